"""Trains the readable model of `quiz draft` on CheckThat! 2025 Task 1 (English) train + dev.

A logistic regression over the signal engine's features (`quiz.signals.features`: named signals
plus 1- to 3-grams in which content words are masked) learns style, not topics; its weights go
to `quiz/data/draft_model.json`, where inference needs nothing but Python. Regularisation,
class weights and the decision threshold are chosen by 5-fold cross-validation on train + dev
(fixed seed). The dev_test split is never read here: `benchmarks/draft_accuracy.py` measures it.

Needs scikit-learn (a development tool, not a runtime dependency):
    .venv/bin/pip install scikit-learn
    .venv/bin/python scripts/train_draft_model.py [--data DIR] [--out FILE]
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "checkthat-2025-en"
DEFAULT_OUT = ROOT / "quiz" / "data" / "draft_model.json"
SEED = 20250717
MIN_DOCS = 2          # a feature must occur in at least this many training sentences
NOTICE = ("Weights trained on CheckThat! 2025 Task 1 English train + dev (CC BY-NC-SA 4.0); "
          "see quiz/data/draft_model.NOTICE.md. --rules-only avoids them.")


def read_split(folder: Path, name: str) -> list[tuple[str, int]]:
    """(sentence, 1 if SUBJ) rows; tab-separated with quoting off (sentences may start with a quote)."""
    rows = []
    with open(folder / f"{name}_en.tsv", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        text_at, label_at = header.index("sentence"), header.index("label")
        for fields in reader:
            if len(fields) > label_at:
                rows.append((fields[text_at], 1 if fields[label_at].strip() == "SUBJ" else 0))
    return rows


def feature_sets(sentences: list[str]) -> list[set[str]]:
    from quiz.signals import features
    return [{f.name for f in features(s)} for s in sentences]


def vectorise(sets: list[set[str]], vocabulary: dict[str, int]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix
    rows, cols = [], []
    for i, names in enumerate(sets):
        for name in names:
            j = vocabulary.get(name)
            if j is not None:
                rows.append(i)
                cols.append(j)
    return csr_matrix(([1.0] * len(rows), (rows, cols)), shape=(len(sets), len(vocabulary)))


def build_vocabulary(sets: list[set[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for names in sets:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    kept = sorted(name for name, n in counts.items() if n >= MIN_DOCS or name.startswith("sig:"))
    return {name: i for i, name in enumerate(kept)}


def macro_f1(gold: list[int], predicted: list[int]) -> float:
    from sklearn.metrics import f1_score
    return float(f1_score(gold, predicted, average="macro"))


def cross_validate(sets: list[set[str]], labels: list[int], c: float, class_weight: str | None,
                   folds: int = 5) -> list[float]:
    """Out-of-fold probabilities of SUBJ, the vocabulary rebuilt inside each fold."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    probabilities = [0.0] * len(labels)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train_index, test_index in splitter.split(sets, labels):
        vocabulary = build_vocabulary([sets[i] for i in train_index])
        model = LogisticRegression(C=c, class_weight=class_weight, max_iter=5000, solver="liblinear",
                                   random_state=SEED)
        model.fit(vectorise([sets[i] for i in train_index], vocabulary), [labels[i] for i in train_index])
        scores = model.predict_proba(vectorise([sets[i] for i in test_index], vocabulary))[:, 1]
        for i, p in zip(test_index, scores):
            probabilities[i] = float(p)
    return probabilities


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not (args.data / "train_en.tsv").exists():
        print(f"No training data at {args.data}: nothing to train (the shipped weights stay as they are).")
        return 0
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        print("Training needs scikit-learn: .venv/bin/pip install scikit-learn")
        return 1
    rows = read_split(args.data, "train") + read_split(args.data, "dev")
    sentences = [s for s, _ in rows]
    labels = [y for _, y in rows]
    print(f"train + dev: {len(rows)} sentences, {sum(labels)} SUBJ")
    sets = feature_sets(sentences)

    best: tuple[float, float, str | None, float] | None = None
    for class_weight in (None, "balanced"):
        for c in (0.03, 0.1, 0.3, 1.0, 3.0):
            probabilities = cross_validate(sets, labels, c, class_weight)
            for threshold in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
                score = macro_f1(labels, [int(p >= threshold) for p in probabilities])
                if best is None or score > best[0]:
                    best = (score, c, class_weight, threshold)
            at_half = macro_f1(labels, [int(p >= 0.5) for p in probabilities])
            print(f"  C={c:<5} class_weight={class_weight!s:<9} CV macro-F1 at 0.5: {at_half:.3f}")
    assert best is not None
    score, c, class_weight, threshold = best
    print(f"chosen: C={c} class_weight={class_weight} threshold={threshold} (CV macro-F1 {score:.3f})")

    vocabulary = build_vocabulary(sets)
    model = LogisticRegression(C=c, class_weight=class_weight, max_iter=5000, solver="liblinear",
                               random_state=SEED)
    model.fit(vectorise(sets, vocabulary), labels)
    weights = {name: round(float(w), 4) for name, w in zip(vocabulary, model.coef_[0]) if abs(w) >= 1e-3}
    payload = {
        "format": 1,
        "name": "readable model",
        "notice": NOTICE,
        "trained_on": "CheckThat! 2025 Task 1 English: train_en.tsv + dev_en.tsv (1,292 sentences)",
        "labels": "positive score = not a reported fact (SUBJ), negative = reported fact (OBJ)",
        "features": "quiz.signals.features: sig:<signal name>, ng:<masked 1-3-gram>, len:<bucket>",
        "hyperparameters": {"C": c, "class_weight": class_weight, "threshold": threshold,
                            "min_docs": MIN_DOCS, "seed": SEED, "cv_macro_f1": round(score, 4)},
        "bias": round(float(model.intercept_[0]), 4),
        "threshold": threshold,
        "weights": dict(sorted(weights.items(), key=lambda kv: -abs(kv[1]))),
    }
    args.out.write_text(json.dumps(payload, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(weights)} weights")
    top = sorted(weights.items(), key=lambda kv: kv[1])
    print("most fact-like:", ", ".join(f"{k} {v:+.2f}" for k, v in top[:12]))
    print("most not-fact-like:", ", ".join(f"{k} {v:+.2f}" for k, v in top[-12:][::-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
