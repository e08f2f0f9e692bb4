"""Fine-tunes all-MiniLM-L6-v2 for `quiz draft --model nlp`: fact vs. not fact, with low-rank
adapters (LoRA) on the six layers' attention query and value, and a logistic head on the
mean-pooled, unit-length sentence embedding.

The encoder's own weights stay frozen; each adapted matrix W becomes W + scale * B @ A, with A
(rank x in) and B (out x rank) the only encoder weights trained, so the shipped delta is small
(`quiz/data/draft_encoder.npz`, float32) and `quiz/embeddings.py` merges it into W at load time
(numpy, no torch at run time). The head goes into `quiz/data/draft_model_nlp.json` as the nlp
model's embedding weights, with the calibration (score + own-voice signals, fitted on
out-of-fold scores) and the thresholds chosen as `scripts/train_draft_model.py` chooses them.

Data: CheckThat! 2025 Task 1 English train + dev plus docs/labelling/ (fact vs. not fact), as
`scripts/train_draft_model.py` reads them; dev_test is never read here.

    .venv/bin/pip install torch==2.13.0 scikit-learn        # training only (CPU build)
    nice -n 19 .venv/bin/python scripts/train_encoder.py --cv --cache /tmp/emb.npz   # baseline vs. settings
    nice -n 19 .venv/bin/python scripts/train_encoder.py --ship SETTING              # fit on all, write files
    .venv/bin/python scripts/train_encoder.py --check      # numpy (quiz/embeddings.py) scores as torch does

`--cv` scores each setting of SETTINGS by 5-fold cross-validation on the same folds as the
other designs (fixed seed): fine-tune on four folds, score the fifth; then calibration and
thresholds on those held-out scores, and the macro-F1 of `quiz.draft.decide`. It prints the
current nlp design (concat) on the same data for comparison and keeps each setting's
out-of-fold scores in --scores (outside the repository: they are derived from the data), which
`--ship` reuses for the calibration. Runs on one CPU thread; reproducible for a given torch.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import train_draft_model as base  # noqa: E402  (also puts the checkout on sys.path, one thread for BLAS)
from quiz.draft import LinearModel  # noqa: E402
from quiz.labelling import read_corpus  # noqa: E402

ADAPTERS_OUT = ROOT / "quiz" / "data" / "draft_encoder.npz"
MAX_TOKENS = 96          # training and cross-validation; sentences here are short (99th percentile 79)
BATCH = 16
HEAD_SCALE = math.sqrt(384)   # the head reads the unit-length embedding scaled to unit size per dimension
#: The settings tried: (adapted matrices, rank, learning rate, epochs).
SETTINGS: dict[str, dict[str, Any]] = {
    "qv-r8": {"targets": ("attention.self.query", "attention.self.value"), "rank": 8, "lr": 1e-3, "epochs": 3},
    "qv-r8-long": {"targets": ("attention.self.query", "attention.self.value"), "rank": 8, "lr": 5e-4, "epochs": 6},
}
#: Sentences of our own whose torch scores the adapters file keeps, so a test without torch can
#: check the numpy forward pass against the torch one.
CHECK_SENTENCES = (
    "Putin says there are points he can't agree to in the U.S. proposal to end Ukraine war.",
    "Well, isn't that just a surprise?",
    "The council closed the library on Elm Street in March.",
    "This ridiculous charade has gone on long enough, and everyone knows it.",
)


def torch_encoder(setting: dict[str, Any], seed: int):  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 in torch, written as quiz/embeddings.py computes it, with LoRA adapters
    on the setting's matrices and a head; only the adapters and the head are trainable."""
    import torch
    from safetensors.numpy import load_file
    from torch import nn

    from quiz.embeddings import model_dir

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(seed)
            self.w = {k: torch.from_numpy(v.astype("float32")) for k, v in load_file(str(model_dir() / "model.safetensors")).items()}
            self.layers = 1 + max(int(k.split(".")[2]) for k in self.w if k.startswith("encoder.layer."))
            self.rank = setting["rank"]
            self.scale = 2.0     # alpha / rank with alpha = 2 * rank
            self.a = nn.ParameterDict()
            self.b = nn.ParameterDict()
            for i in range(self.layers):
                for target in setting["targets"]:
                    name = f"encoder.layer.{i}.{target}"
                    out_size, in_size = self.w[name + ".weight"].shape
                    key = name.replace(".", "_")
                    self.a[key] = nn.Parameter(torch.randn(self.rank, in_size) / math.sqrt(in_size))
                    self.b[key] = nn.Parameter(torch.zeros(out_size, self.rank))
            self.head = nn.Linear(384, 1)
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)
            self.dropout = nn.Dropout(0.1)

        def dense(self, x: Any, name: str) -> Any:
            y = x @ self.w[name + ".weight"].T + self.w[name + ".bias"]
            key = name.replace(".", "_")
            if key in self.a:
                y = y + (self.dropout(x) @ self.a[key].T) @ self.b[key].T * self.scale
            return y

        def norm(self, x: Any, name: str) -> Any:
            return nn.functional.layer_norm(x, x.shape[-1:], self.w[name + ".weight"], self.w[name + ".bias"], 1e-12)

        def embed(self, ids: Any, mask: Any) -> Any:
            """Unit-length mean-pooled embeddings of a padded batch (mask 1 on real tokens)."""
            w, n, length = self.w, ids.shape[0], ids.shape[1]
            x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
                 + w["embeddings.token_type_embeddings.weight"][0])
            x = self.norm(x, "embeddings.LayerNorm")
            heads, size = 12, 384 // 12
            blocked = (1.0 - mask[:, None, None, :]) * -1e9
            for i in range(self.layers):
                p = f"encoder.layer.{i}."
                q, k, v = (self.dense(x, p + f"attention.self.{m}").view(n, length, heads, size).transpose(1, 2)
                           for m in ("query", "key", "value"))
                attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size) + blocked, dim=-1)
                context = (attention @ v).transpose(1, 2).reshape(n, length, 384)
                x = self.norm(self.dense(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
                hidden = nn.functional.gelu(self.dense(x, p + "intermediate.dense"))
                x = self.norm(self.dense(hidden, p + "output.dense") + x, p + "output.LayerNorm")
            pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
            return pooled / pooled.norm(dim=-1, keepdim=True).clamp_min(1e-12)

        def forward(self, ids: Any, mask: Any) -> Any:
            return self.head(self.dropout(self.embed(ids, mask)) * HEAD_SCALE).squeeze(-1)

    return Encoder()


def tokenizer(max_tokens: int):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    from quiz.embeddings import model_dir
    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.enable_truncation(max_tokens)
    tok.no_padding()
    return tok


def batch(tok: Any, sentences: list[str]):  # type: ignore[no-untyped-def]
    import torch
    encoded = [tok.encode(s).ids for s in sentences]
    length = max(len(e) for e in encoded)
    ids = torch.zeros(len(encoded), length, dtype=torch.long)
    mask = torch.zeros(len(encoded), length)
    for i, e in enumerate(encoded):
        ids[i, :len(e)] = torch.tensor(e)
        mask[i, :len(e)] = 1.0
    return ids, mask


def fine_tune(setting: dict[str, Any], rows: list[tuple[str, int]], seed: int):  # type: ignore[no-untyped-def]
    """The encoder with its adapters and head trained on `rows` (AdamW, linear decay, batches of
    similar length)."""
    import random

    import torch
    model = torch_encoder(setting, seed)
    tok = tokenizer(MAX_TOKENS)
    lengths = [len(tok.encode(s).ids) for s, _ in rows]
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=setting["lr"], weight_decay=0.01)
    steps = setting["epochs"] * math.ceil(len(rows) / BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: max(0.0, 1 - step / steps))
    shuffler = random.Random(seed)
    model.train()
    for _epoch in range(setting["epochs"]):
        order = list(range(len(rows)))
        shuffler.shuffle(order)
        batches = []
        for start in range(0, len(order), BATCH * 8):   # sort within chunks: little padding, still shuffled
            chunk = sorted(order[start:start + BATCH * 8], key=lambda i: lengths[i])
            batches += [chunk[j:j + BATCH] for j in range(0, len(chunk), BATCH)]
        shuffler.shuffle(batches)
        for chosen in batches:
            ids, mask = batch(tok, [rows[i][0] for i in chosen])
            labels = torch.tensor([float(rows[i][1]) for i in chosen])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(ids, mask), labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    model.eval()
    return model


def score_sentences(model: Any, sentences: list[str], max_tokens: int = 256) -> list[float]:
    """The head's logit for each sentence, one at a time as quiz/embeddings.py runs (no padding)."""
    import torch
    tok = tokenizer(max_tokens)
    with torch.no_grad():
        return [float(model(*batch(tok, [s]))[0]) for s in sentences]


def cross_validate(name: str, rows: list[tuple[str, int]]) -> list[float]:
    """Out-of-fold head scores of a setting, on base.folds (the other designs' folds)."""
    scores = [0.0] * len(rows)
    for fold, (train_index, test_index) in enumerate(base.folds(len(rows), [y for _, y in rows])):
        start = time.process_time()
        model = fine_tune(SETTINGS[name], [rows[i] for i in train_index], base.SEED + fold)
        for i, s in zip(test_index, score_sentences(model, [rows[i][0] for i in test_index])):
            scores[i] = s
        print(f"  {name} fold {fold + 1}/{base.FOLDS}: {time.process_time() - start:.0f} s CPU", flush=True)
    return scores


def judge(scores: list[float], data: list[Any]) -> tuple[float, float, float, list[float]]:
    """(macro-F1, threshold, overrule_below, calibrated held-out probabilities), as the other designs."""
    probabilities = base.calibrated_out_of_fold(scores, data)
    f1, t, o = base.choose_thresholds(probabilities, data)
    return f1, t, o, probabilities


def export(model: Any, setting: dict[str, Any], out: Path) -> tuple[list[float], float]:
    """Writes the adapters (and the torch scores of CHECK_SENTENCES) to `out`; returns the head
    as embedding weights and bias of the unit-length embedding."""
    import numpy as np
    arrays: dict[str, Any] = {}
    for key in model.a:
        name = key.replace("_", ".")
        arrays[f"{name}.A"] = model.a[key].detach().numpy().astype(np.float32)
        arrays[f"{name}.B"] = (model.b[key].detach().numpy() * model.scale).astype(np.float32)
    head = model.head.weight.detach().numpy()[0] * HEAD_SCALE
    bias = float(model.head.bias.detach().numpy()[0])
    arrays["check_sentences"] = np.array(CHECK_SENTENCES)
    arrays["check_scores"] = np.array(score_sentences(model, list(CHECK_SENTENCES)), dtype=np.float64)
    arrays["notice"] = np.array(base.NOTICE)
    arrays["setting"] = np.array(json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in setting.items()}))
    np.savez_compressed(out, **arrays)
    return [float(w) for w in head], bias


def as_linear_model(model: Any, setting: dict[str, Any], adapters: Path, calibration: tuple[float, ...],
                    threshold: float, overrule_below: float) -> LinearModel:
    """The fine-tuned encoder as `quiz.draft` runs it: its adapters written to `adapters`, its head
    as the embedding weights, with a calibration and thresholds chosen on held-out scores."""
    head, bias = export(model, setting, adapters)
    return LinearModel("nlp model", {}, round(bias, 5), threshold, base.NOTICE, tuple(round(w, 5) for w in head),
                       tuple(round(w, 4) for w in calibration), overrule_below)  # type: ignore[arg-type]


def shipped_setting() -> str:
    """The name in SETTINGS of the setting the shipped adapters (quiz/data/draft_encoder.npz) were fitted with."""
    import numpy as np
    stored = json.loads(str(np.load(ADAPTERS_OUT, allow_pickle=False)["setting"]))
    return next(name for name, setting in SETTINGS.items()
                if stored == {k: list(v) if isinstance(v, tuple) else v for k, v in setting.items()})


def check_numpy_matches_torch(tmp: Path) -> bool:
    """Random non-zero adapters and head, exported as --ship exports them: quiz/embeddings.py's
    numpy forward pass must score as torch does (a check of the training tool, not of the data)."""
    import numpy as np
    import torch

    from quiz.embeddings import MiniLM, model_dir
    model = torch_encoder(SETTINGS["qv-r8"], seed=1)
    with torch.no_grad():   # adapters and head as training might leave them: not zero
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.normal_(0.0, 0.05)
    model.eval()
    head, bias = export(model, SETTINGS["qv-r8"], tmp / "adapters.npz")
    embedder = MiniLM(model_dir(), np.load(tmp / "adapters.npz", allow_pickle=False))
    sentences = ["The council closed the library on Elm Street in March.",
                 "Isn't it obvious that the mayor never cared about readers?",
                 "Officials said the bridge would reopen next week, according to a statement."]
    ok = True
    for sentence, expected in zip(sentences, score_sentences(model, sentences)):
        got = bias + sum(w * x for w, x in zip(head, embedder.embed(sentence)))
        ok &= abs(got - expected) <= 1e-3
        print(f"  torch {expected:+.5f}  numpy {got:+.5f}  {sentence}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=base.DEFAULT_DATA)
    parser.add_argument("--cv", action="store_true", help="cross-validate the baseline and every setting")
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), help="settings to cross-validate")
    parser.add_argument("--ship", choices=list(SETTINGS), help="fit this setting on all the data and write the files")
    parser.add_argument("--cache", type=Path, default=None, help="embeddings cache for the baseline (.npz)")
    parser.add_argument("--check", action="store_true",
                        help="check that quiz/embeddings.py scores exported adapters as torch does, then stop")
    parser.add_argument("--scores", type=Path, default=Path("/tmp/encoder_oof.json"),
                        help="out-of-fold scores per setting (kept outside the repository)")
    args = parser.parse_args()
    if args.check:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            ok = check_numpy_matches_torch(Path(tmp))
        print("numpy forward pass matches torch" if ok else "MISMATCH between numpy and torch")
        return 0 if ok else 1
    if not (args.data / "train_en.tsv").exists():
        print(f"No training data at {args.data}: nothing to train.")
        return 0
    try:
        import sklearn  # noqa: F401
        import torch
    except ImportError:
        print("Training needs torch and scikit-learn: .venv/bin/pip install torch==2.13.0 scikit-learn")
        return 1
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    corpus = read_corpus(base.CORPUS)
    rows = base.training_rows(args.data, corpus)
    data = base.examples(rows)
    print(f"train + dev + {len(corpus)} labelled article(s): {len(rows)} sentences, {sum(y for _, y in rows)} not fact")
    stored = json.loads(args.scores.read_text()) if args.scores.exists() else {}
    if args.cv:
        start = time.process_time()
        baseline = base.select("concat", base.examples(rows, base.embed_all([s for s, _ in rows], args.cache)), verbose=False)
        print(f"baseline (the current nlp design, concat, C {baseline['param']}): CV macro-F1 "
              f"{baseline['cv_macro_f1']:.4f} ({time.process_time() - start:.0f} s CPU)", flush=True)
        for name in args.settings:
            start = time.process_time()
            stored[name] = cross_validate(name, rows)
            args.scores.write_text(json.dumps(stored))
            f1, t, o, _ = judge(stored[name], data)
            print(f"{name} {SETTINGS[name]}: CV macro-F1 {f1:.4f} (threshold {t}, overrule below {o}; "
                  f"{time.process_time() - start:.0f} s CPU)", flush=True)
    if args.ship:
        if args.ship not in stored:
            print(f"No out-of-fold scores for {args.ship} in {args.scores}: run --cv --settings {args.ship} first.")
            return 1
        f1, t, o, probabilities = judge(stored[args.ship], data)
        start = time.process_time()
        model = fine_tune(SETTINGS[args.ship], rows, base.SEED)
        fitted = as_linear_model(model, SETTINGS[args.ship], ADAPTERS_OUT,
                                 base.fit_calibration(stored[args.ship], data), t, o)
        choice = {"design": f"fine-tuned encoder ({args.ship})", "param": SETTINGS[args.ship]["rank"],
                  "cv_macro_f1": f1, "reliability": base.reliability(probabilities, data, t, o)}
        base.write_model(fitted, choice, len(rows), list(corpus), base.DEFAULT_OUT["nlp"], adapters=ADAPTERS_OUT.name)
        print(f"fitted on all {len(rows)} sentences in {time.process_time() - start:.0f} s CPU; wrote "
              f"{ADAPTERS_OUT} ({ADAPTERS_OUT.stat().st_size // 1024} KB) and {base.DEFAULT_OUT['nlp']}")
        for b, n, c, r in choice["reliability"]:
            print(f"  {b:<10} {n:>5} {c:>6.3f} {r:>6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
