"""How well `quiz draft` suggests labels: macro-F1 on CheckThat! dev_test, and agreement with
the hand-written sets in questions/.

CheckThat! is binary (OBJ = fact, SUBJ = commentary or opinion), so it measures fact vs.
not-fact: macro-F1 over the two classes, per-class precision and recall, the majority-class
baseline, and the time per sentence, for --rules-only, the readable model and (if installed)
the nlp extra. dev_test is the local test split: tune nothing against these numbers.
The seed sets carry all three labels; agreement with them is reported, never tuned for.

    .venv/bin/python benchmarks/draft_accuracy.py [--data DIR] [--questions DIR]

Exits 0 with a message when the data folder is absent.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quiz.draft import Suggester, nlp_suggester, rules_model, trained_model

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "checkthat-2025-en"
DEFAULT_QUESTIONS = ROOT / "questions"


def read_split(path: Path) -> list[tuple[str, int]]:
    """(sentence, 1 if SUBJ); quoting off, as some sentences begin with a quotation mark."""
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        text_at, label_at = header.index("sentence"), header.index("label")
        for fields in reader:
            if len(fields) > label_at:
                rows.append((fields[text_at], 1 if fields[label_at].strip() == "SUBJ" else 0))
    return rows


def scores(gold: list[int], predicted: list[int]) -> dict[str, float]:
    """Precision, recall and F1 per class (0 fact, 1 not fact) and their macro average."""
    result: dict[str, float] = {}
    f1s = []
    for cls, name in ((0, "fact"), (1, "not-fact")):
        tp = sum(1 for g, p in zip(gold, predicted) if g == cls and p == cls)
        fp = sum(1 for g, p in zip(gold, predicted) if g != cls and p == cls)
        fn = sum(1 for g, p in zip(gold, predicted) if g == cls and p != cls)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[f"{name} P"], result[f"{name} R"], result[f"{name} F1"] = precision, recall, f1
        f1s.append(f1)
    result["macro-F1"] = sum(f1s) / 2
    result["accuracy"] = sum(1 for g, p in zip(gold, predicted) if g == p) / len(gold)
    return result


@lru_cache(maxsize=1)
def suggesters() -> tuple[Suggester, ...]:
    found = [Suggester(rules_model())]
    model = trained_model()
    if model is None:
        print("(the readable model's weights are absent: run scripts/train_draft_model.py)")
    else:
        found.append(Suggester(model))
    try:
        found.append(nlp_suggester())
    except ImportError as error:
        print(f"(no nlp model: {error}; install the quiz[nlp] extra to measure it)")
    return tuple(found)


def benchmark_checkthat(data: Path, split: str = "dev_test") -> None:
    path = data / f"{split}_en.tsv"
    rows = read_split(path)
    gold = [y for _, y in rows]
    print(f"CheckThat! 2025 Task 1 English {split}: {len(rows)} sentences, "
          f"{len(rows) - sum(gold)} OBJ (fact), {sum(gold)} SUBJ (not fact)")
    header = (f"{'suggester':<16} {'macro-F1':>8} {'acc':>6} {'fact P':>7} {'fact R':>7} "
              f"{'nf P':>6} {'nf R':>6} {'ms/sent':>8}")
    print(header)
    print("-" * len(header))
    baseline = scores(gold, [0] * len(gold))
    print(f"{'majority (fact)':<16} {baseline['macro-F1']:>8.3f} {baseline['accuracy']:>6.3f} "
          f"{baseline['fact P']:>7.3f} {baseline['fact R']:>7.3f} {baseline['not-fact P']:>6.3f} "
          f"{baseline['not-fact R']:>6.3f} {'':>8}")
    for suggester in suggesters():
        start = time.perf_counter()
        predicted = [int(suggester.suggest(sentence).label != "fact") for sentence, _ in rows]
        per_sentence = (time.perf_counter() - start) / len(rows) * 1000
        s = scores(gold, predicted)
        print(f"{suggester.model.name:<16} {s['macro-F1']:>8.3f} {s['accuracy']:>6.3f} {s['fact P']:>7.3f} "
              f"{s['fact R']:>7.3f} {s['not-fact P']:>6.3f} {s['not-fact R']:>6.3f} {per_sentence:>8.2f}")
    print("(nf = not fact: commentary or opinion; organisers' baseline 0.54, best entry 0.81 on the official test)")


def benchmark_seed_sets(questions: Path) -> None:
    """Agreement of the draft's label with the hand-written labels, per hand-written label."""
    from quiz.sets import SetFileError, load_path, set_files
    files = set_files([questions]) if questions.exists() else []
    if not files:
        print(f"\nSeed sets: none found in {questions} (nothing to compare yet).")
        return
    decisions: list[tuple[str, str, tuple[str, ...]]] = []   # (sentence, answer, accept)
    for file in files:
        try:
            loaded = load_path(file)
        except SetFileError as error:
            print(f"  skipped {file}: {len(error.problems)} problem(s)")
            continue
        if not loaded.set.standard_labels:
            continue
        for question in loaded.set.questions:
            if question.type == "label":
                decisions.append((question.statement, str(question.answer), question.accept))
            elif question.type == "sort":
                decisions.extend((item.text, item.answer, item.accept) for item in question.items)
    print(f"\nSeed sets ({len(files)} file(s) in {questions}): {len(decisions)} labelled sentences")
    if not decisions:
        return
    print(f"{'suggester':<16} {'label':<11} {'n':>4} {'same':>6} {'accepted':>9}")
    for suggester in suggesters():
        drafted_all = [suggester.suggest(s).label for s, _a, _acc in decisions]
        for label in ("fact", "commentary", "opinion"):
            mine = [(d, a, acc) for d, (_s, a, acc) in zip(drafted_all, decisions) if a == label]
            if not mine:
                continue
            same = sum(1 for d, a, _acc in mine if d == a)
            accepted = sum(1 for d, a, acc in mine if d == a or d in acc)
            print(f"{suggester.model.name:<16} {label:<11} {len(mine):>4} {same / len(mine):>6.0%} "
                  f"{accepted / len(mine):>9.0%}")
        binary = sum(1 for d, (_s, a, _acc) in zip(drafted_all, decisions) if (d == "fact") == (a == "fact"))
        print(f"{suggester.model.name:<16} {'fact vs not':<11} {len(decisions):>4} {binary / len(decisions):>6.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    args = parser.parse_args()
    if (args.data / "dev_test_en.tsv").exists():
        benchmark_checkthat(args.data)
    else:
        print(f"No CheckThat! data at {args.data}: skipping the dev_test benchmark.")
    benchmark_seed_sets(args.questions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
