"""The fine-tuned encoder of `quiz draft --model nlp`: the adapters trained in torch
(scripts/train_encoder.py) give the same scores in quiz/embeddings.py's numpy forward pass."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from quiz.draft import NLP_MODEL_FILE, trained_model
from test_draft import need_nlp_extra

ROOT = Path(__file__).resolve().parent.parent


def shipped_adapters():  # type: ignore[no-untyped-def]
    from importlib import resources

    import numpy as np
    model = trained_model(NLP_MODEL_FILE)
    assert model is not None and model.adapters, "the nlp model names no adapters file"
    with resources.files("quiz.data").joinpath(model.adapters).open("rb") as handle:
        stored = np.load(handle, allow_pickle=False)
        return model, {key: stored[key] for key in stored.files}


def test_the_nlp_model_scores_as_torch_scored_when_it_was_trained():
    need_nlp_extra()
    from quiz.embeddings import load_embedder
    model, stored = shipped_adapters()
    adapted, plain = load_embedder(model.adapters), load_embedder()
    for sentence, expected in zip(stored["check_sentences"].tolist(), stored["check_scores"].tolist()):
        embedding = adapted.embed(sentence)
        assert model.bias + sum(w * x for w, x in zip(model.embedding_weights, embedding)) == pytest.approx(expected, abs=1e-3)
        assert max(abs(a - b) for a, b in zip(embedding, plain.embed(sentence))) > 1e-3   # the adapters count


def test_a_missing_adapters_file_is_reported_as_a_missing_part():
    need_nlp_extra()
    from quiz.embeddings import load_embedder
    with pytest.raises(ImportError, match="quiz/data/absent.npz is absent"):
        load_embedder("absent.npz")


def test_numpy_forward_pass_with_adapters_equals_the_torch_one(tmp_path):
    need_nlp_extra()
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed: it is a training-time tool only "
                    "(.venv/bin/pip install torch==2.13.0 to run this check)")
    import numpy as np

    sys.path.insert(0, str(ROOT / "scripts"))
    from train_encoder import SETTINGS, export, score_sentences, torch_encoder

    from quiz.embeddings import MiniLM, model_dir
    model = torch_encoder(SETTINGS["qv-r8"], seed=1)
    with torch.no_grad():   # adapters and head as training might leave them: not zero
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.normal_(0.0, 0.05)
    model.eval()
    head, bias = export(model, SETTINGS["qv-r8"], tmp_path / "adapters.npz")
    embedder = MiniLM(model_dir(), np.load(tmp_path / "adapters.npz", allow_pickle=False))
    sentences = ["The council closed the library on Elm Street in March.",
                 "Isn't it obvious that the mayor never cared about readers?",
                 "Officials said the bridge would reopen next week, according to a statement."]
    for sentence, expected in zip(sentences, score_sentences(model, sentences)):
        numpy_score = bias + sum(w * x for w, x in zip(head, embedder.embed(sentence)))
        assert numpy_score == pytest.approx(expected, abs=1e-3)
