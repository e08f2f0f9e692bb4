"""How well `quiz draft` suggests labels.

1. Three labels, leave one article out: for each article labelled twice blind in
   `docs/labelling/<set-id>.tsv`, the models are trained on CheckThat! train + dev and the other
   articles only (never a sentence of the test article), then suggest a label for every sentence
   of it. With `--nlp`, also the shipped nlp design: the encoder fine-tuned with the setting of
   `quiz/data/draft_encoder.npz` (scripts/train_encoder.py), run through quiz/embeddings.py's
   numpy forward pass as `quiz draft --model nlp` runs it. Its calibration and thresholds are
   chosen on held-out scores from models that saw no labelled article (see `encoder_held_out`):
   cheaper than the shipped scheme, which would refit five folds for each left-out article.
   Reported: three-label accuracy against the settled answer, the share of suggestions each
   blind labeller found defensible (their label or their second label), the confusion matrix,
   a reliability table, and how often the `why` names the step of its label (always, by design).
   Then, on the same folds, the commentary-vs-opinion experiment of
   scripts/train_draft_model.py (a model fitted and tuned on the other articles' commentary and
   opinion sentences, choosing where the steps leave room): before and after, confusion matrix,
   per article, and a line for each variant. It did not help, so `quiz draft` does not use it.
2. `--dev-test`: fact vs. not fact on CheckThat! 2025 dev_test (OBJ = fact, SUBJ = commentary
   or opinion): macro-F1, per-class precision and recall, the majority-class baseline, time per
   sentence, for the rules and the shipped readable and nlp models. dev_test is the local test
   split: touch it once, at the end; tune nothing against it.

    .venv/bin/python benchmarks/draft_accuracy.py [--corpus DIR] [--dev-test] [--data DIR]
    nice -n 19 .venv/bin/python benchmarks/draft_accuracy.py --nlp     # ~13 fine-tunings, ~25 min CPU

Needs scikit-learn for the leave-one-article-out training, and torch for `--nlp`
(`.venv/bin/pip install torch==2.13.0`, a CPU build; one thread). Exits 0 with a message when
the data folder is absent.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from quiz.draft import Suggester, nlp_suggester, rules_model, trained_model, writer_voice  # noqa: E402
from quiz.labelling import LABELS, STEP_OF, LabelledSentence, read_corpus  # noqa: E402
import train_encoder as encoder  # noqa: E402
from train_draft_model import (CORPUS, DEFAULT_DATA, OPINION_VARIANTS, choose_opinion_model,  # noqa: E402
                               examples, fit_calibration, lean, read_split, train, training_rows)


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


def step_named(why: str) -> int:
    """The step a `why` names first: "Step 2 (...): ..." gives 2."""
    return int(why.split()[1]) if why.startswith("Step ") and why.split()[1][:1].isdigit() else 0


def three_label_report(name: str, pairs: list[tuple[LabelledSentence, object]], whys: bool = True) -> None:
    """Accuracy, defensible shares, confusion matrix and reliability of (gold, suggestion) pairs;
    `whys=False` for labels changed after the `why` was written (the experiment below)."""
    n = len(pairs)
    same = sum(1 for g, s in pairs if s.label == g.settled.label)  # type: ignore[attr-defined]
    accepted = sum(1 for g, s in pairs if s.label in g.settled.defensible)  # type: ignore[attr-defined]
    with_a = [(g.labeller_a, s) for g, s in pairs if g.labeller_a is not None]
    with_b = [(g.labeller_b, s) for g, s in pairs if g.labeller_b is not None]
    by_a = sum(1 for labelling, s in with_a if s.label in labelling.defensible)  # type: ignore[attr-defined]
    by_b = sum(1 for labelling, s in with_b if s.label in labelling.defensible)  # type: ignore[attr-defined]
    by_either = sum(1 for g, s in pairs if s.label in g.defensible)  # type: ignore[attr-defined]
    steps = sum(1 for _g, s in pairs if step_named(s.why) == STEP_OF[s.label])  # type: ignore[attr-defined]
    binary = sum(1 for g, s in pairs if (s.label == "fact") == (g.settled.label == "fact"))  # type: ignore[attr-defined]
    print(f"\n{name}: {n} sentences")
    print(f"  three-label accuracy (= settled answer)     {same:>3}/{n}  {same / n:.0%}")
    print(f"  defensible (settled answer or its accept)   {accepted:>3}/{n}  {accepted / n:.0%}")
    print(f"  defensible to labeller A / B / either       {by_a}/{len(with_a)} {by_a / max(1, len(with_a)):.0%}, "
          f"{by_b}/{len(with_b)} {by_b / max(1, len(with_b)):.0%}, {by_either}/{n} {by_either / n:.0%}"
          + ("" if len(with_b) == n else f"  ({n - len(with_b)} sentences not yet labelled by B)"))
    print(f"  fact vs. not fact right                     {binary:>3}/{n}  {binary / n:.0%}")
    print(f"  why names the step of its label             {steps:>3}/{n}" if whys else
          "  why names the step of its label             (labels only: the experiment writes no why)")
    print("  confusion (rows: settled answer; columns: suggested)")
    print(f"  {'':<12}" + "".join(f"{label:>12}" for label in LABELS))
    for gold in LABELS:
        row = [sum(1 for g, s in pairs if g.settled.label == gold and s.label == label)  # type: ignore[attr-defined]
               for label in LABELS]
        print(f"  {gold:<12}" + "".join(f"{count:>12}" for count in row))
    print("  reliability (confidence: sentences, mean confidence, fact/not fact right, defensible)")
    for low, high in ((0.0, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01)):
        inside = [(g, s) for g, s in pairs if low <= s.confidence < high]  # type: ignore[attr-defined]
        if inside:
            k = len(inside)
            mean = sum(s.confidence for _g, s in inside) / k  # type: ignore[attr-defined]
            right = sum(1 for g, s in inside if (s.label == "fact") == (g.settled.label == "fact")) / k  # type: ignore[attr-defined]
            ok = sum(1 for g, s in inside if s.label in g.settled.defensible) / k  # type: ignore[attr-defined]
            print(f"  {f'{low:.1f}-{min(high, 1.0):.1f}':<10} {k:>4} {mean:>6.2f} {right:>6.0%} {ok:>6.0%}")


def same_and_defensible(pairs: list[tuple[LabelledSentence, object]]) -> tuple[int, int]:
    """How many suggestions are the settled answer, and how many the settlement accepts."""
    return (sum(1 for g, s in pairs if s.label == g.settled.label),  # type: ignore[attr-defined]
            sum(1 for g, s in pairs if s.label in g.settled.defensible))  # type: ignore[attr-defined]


def per_article(pairs: list[tuple[LabelledSentence, object]], articles: list[str],
                before: list[tuple[LabelledSentence, object]] | None = None) -> None:
    """Each article's same and defensible counts, after `before`'s when given."""
    for article in articles:
        mine = [(g, s) for g, s in pairs if g.article == article]
        same, ok = same_and_defensible(mine)
        if before is None:
            print(f"    {article}: same {same}/{len(mine)}, defensible {ok}/{len(mine)}")
        else:
            was_same, was_ok = same_and_defensible([(g, s) for g, s in before if g.article == article])
            print(f"    {article}: same {was_same} -> {same}/{len(mine)}, defensible {was_ok} -> {ok}/{len(mine)}")


def encoder_held_out(data: Path, corpus: dict[str, list[LabelledSentence]],
                     setting: str) -> tuple[list[float], dict[str, list[float]]]:
    """Held-out head scores of the encoder fine-tuned with `setting`, from models that saw no
    labelled article, so that any left-out article's calibration may use them: CheckThat! train +
    dev by 5-fold cross-validation (the other designs' folds), and every article's sentences from
    one model fitted on all of CheckThat!."""
    start = time.process_time()
    checkthat = read_split(data, "train") + read_split(data, "dev")
    scores = encoder.cross_validate(setting, checkthat)
    model = encoder.fine_tune(encoder.SETTINGS[setting], checkthat, encoder.base.SEED)
    by_article = {article: encoder.score_sentences(model, [s.sentence for s in sentences])
                  for article, sentences in corpus.items()}
    print(f"  held-out scores for the calibration: {time.process_time() - start:.0f} s CPU", flush=True)
    return scores, by_article


def encoder_suggester(rows: list[tuple[str, int]], held_out: list[float], setting: str,
                      folder: Path) -> tuple[Suggester, float, float, float]:
    """The encoder fine-tuned on `rows` as `scripts/train_encoder.py --ship` fits it, calibrated and
    thresholded on `held_out` scores of the same rows, run by quiz/embeddings.py with its adapters
    merged; with the held-out macro-F1, threshold and overrule_below."""
    import numpy as np

    from quiz.embeddings import MiniLM, model_dir
    training = examples(rows)
    f1, threshold, overrule, _ = encoder.judge(held_out, training)
    model = encoder.fine_tune(encoder.SETTINGS[setting], rows, encoder.base.SEED)
    adapters = folder / "adapters.npz"
    linear = encoder.as_linear_model(model, encoder.SETTINGS[setting], adapters,
                                     fit_calibration(held_out, training), threshold, overrule)
    return Suggester(linear, MiniLM(model_dir(), np.load(adapters, allow_pickle=False))), f1, threshold, overrule


def leave_one_article_out(data: Path, use_nlp: bool, folder: Path = CORPUS) -> None:
    corpus = read_corpus(folder)
    if not corpus:
        print(f"No labelled articles in {folder}.")
        return
    print(f"Leave one article out over {len(corpus)} article(s): "
          + ", ".join(f"{a} ({len(s)})" for a, s in corpus.items()))
    if use_nlp:
        import torch
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        setting = encoder.shipped_setting()
        print(f"  nlp: the fine-tuned encoder, setting {setting} {encoder.SETTINGS[setting]}")
        checkthat_scores, article_scores = encoder_held_out(data, corpus, setting)
    results: dict[str, list[tuple[LabelledSentence, object]]] = {"rules only": []}
    families = ["readable"] + (["nlp"] if use_nlp else [])
    for family in families:
        results[f"{family} model"] = []
    # The commentary-vs-opinion experiment (scripts/train_draft_model.py): each variant's model
    # is fitted and tuned on the other articles, then changes the labels the steps leave open.
    leaned: dict[tuple[str, str], list[tuple[LabelledSentence, object]]] = {
        (f"{family} model", v.name): [] for family in families for v in OPINION_VARIANTS}
    for article, sentences in corpus.items():
        rules = Suggester(rules_model())
        results["rules only"] += [(s, rules.suggest(s.sentence)) for s in sentences]
        rows = training_rows(data, corpus, leave_out=article)
        others = {a: s for a, s in corpus.items() if a != article}
        opinion_models = [choose_opinion_model(others, variant) for variant in OPINION_VARIANTS]
        for family in families:
            if family == "nlp":
                start = time.process_time()
                # the same order as training_rows: CheckThat!, then the other articles
                held_out = checkthat_scores + [x for a in others for x in article_scores[a]]
                with tempfile.TemporaryDirectory() as tmp:
                    suggester, f1, threshold, overrule = encoder_suggester(rows, held_out, setting, Path(tmp))
                print(f"  {article}: nlp fine-tuned on {len(rows)} sentences, held-out macro-F1 {f1:.3f}, "
                      f"threshold {threshold}, overrule below {overrule}; {time.process_time() - start:.0f} s CPU",
                      flush=True)
            else:
                model, choice, _ = train(family, rows, None, verbose=False)
                suggester = Suggester(model)
                print(f"  {article}: {family} trained on {len(rows)} sentences, design {choice['design']}, "
                      f"CV macro-F1 {choice['cv_macro_f1']:.3f}")
            suggested = [(s, suggester.suggest(s.sentence)) for s in sentences]
            results[f"{family} model"] += suggested
            for opinion in opinion_models:
                leaned[(f"{family} model", opinion.variant.name)] += [
                    (g, dataclasses.replace(s, label=lean(s.label, writer_voice(s.signals), opinion.opinion(g.sentence),
                                                          opinion.margin, opinion.variant.bare)))
                    for g, s in suggested]
    for name, pairs in results.items():
        three_label_report(name, pairs)
        if len(corpus) > 1:
            per_article(pairs, list(corpus))
    print("\nCommentary vs. opinion learned from the other articles (an experiment, tried and dropped: "
          "scripts/train_draft_model.py --opinion-experiment); before = the same model's labels above")
    primary = OPINION_VARIANTS[0].name
    for family in families:
        before = results[f"{family} model"]
        pairs = leaned[(f"{family} model", primary)]
        three_label_report(f"{family} model + learned commentary vs. opinion ({primary})", pairs, whys=False)
        per_article(pairs, list(corpus), before)
        was_same, was_ok = same_and_defensible(before)
        print(f"  every variant (same, defensible; before {was_same}, {was_ok} of {len(before)}):")
        for variant in OPINION_VARIANTS:
            same, ok = same_and_defensible(leaned[(f"{family} model", variant.name)])
            print(f"    {same:>3} {ok:>3}  {variant.name}")


def benchmark_dev_test(data: Path) -> None:
    rows = read_split(data, "dev_test")
    gold = [y for _, y in rows]
    print(f"\nCheckThat! 2025 Task 1 English dev_test: {len(rows)} sentences, "
          f"{len(rows) - sum(gold)} OBJ (fact), {sum(gold)} SUBJ (not fact)")
    header = (f"{'suggester':<16} {'macro-F1':>8} {'acc':>6} {'fact P':>7} {'fact R':>7} "
              f"{'nf P':>6} {'nf R':>6} {'ms/sent':>8}")
    print(header)
    print("-" * len(header))
    baseline = scores(gold, [0] * len(gold))
    print(f"{'majority (fact)':<16} {baseline['macro-F1']:>8.3f} {baseline['accuracy']:>6.3f} "
          f"{baseline['fact P']:>7.3f} {baseline['fact R']:>7.3f} {baseline['not-fact P']:>6.3f} "
          f"{baseline['not-fact R']:>6.3f} {'':>8}")
    found = [Suggester(rules_model())]
    model = trained_model()
    if model is not None:
        found.append(Suggester(model))
    try:
        found.append(nlp_suggester())
    except ImportError as error:
        print(f"(no nlp model: {error})")
    for suggester in found:
        start = time.perf_counter()
        predicted = [int(suggester.suggest(sentence).label != "fact") for sentence, _ in rows]
        per_sentence = (time.perf_counter() - start) / len(rows) * 1000
        s = scores(gold, predicted)
        print(f"{suggester.model.name:<16} {s['macro-F1']:>8.3f} {s['accuracy']:>6.3f} {s['fact P']:>7.3f} "
              f"{s['fact R']:>7.3f} {s['not-fact P']:>6.3f} {s['not-fact R']:>6.3f} {per_sentence:>8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--nlp", action="store_true",
                        help="also fine-tune and judge the shipped nlp design (needs torch; ~25 min CPU)")
    parser.add_argument("--dev-test", action="store_true", help="measure the shipped models on dev_test (once)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the folder of labelling files")
    args = parser.parse_args()
    if not (args.data / "train_en.tsv").exists():
        print(f"No CheckThat! data at {args.data}: nothing to measure.")
        return 0
    if args.nlp and not args.dev_test:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("--nlp fine-tunes the encoder and needs torch: .venv/bin/pip install torch==2.13.0")
            return 1
    if args.dev_test:
        benchmark_dev_test(args.data)
    else:
        leave_one_article_out(args.data, args.nlp, args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
