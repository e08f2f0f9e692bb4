"""The fine-tuned encoder of `quiz draft --model nlp`: the adapters trained in torch
(scripts/train_encoder.py) give the same scores in quiz/embeddings.py's numpy forward pass.
(With torch installed, `scripts/train_encoder.py --check` compares the two passes on random
adapters; torch is a training tool, not in the test extras.)"""
from __future__ import annotations


import pytest

from quiz.draft import NLP_MODEL_FILE, trained_model
from test_draft import need_nlp_extra



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
