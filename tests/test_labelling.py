"""The labelled corpus `docs/labelling/<set-id>.tsv`: the loader reads both blind labellings and
the settlement, and says which line is wrong and how to fix it."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from quiz.labelling import LabellingError, parse_labelling, read_corpus, read_labelling

CORPUS = Path(__file__).resolve().parent.parent / "docs" / "labelling"
HEADER = "sentence\tlabeller_a\tlabeller_b\tsettled\tstep\n"


def test_the_seed_article_holds_both_labellings_of_its_45_units():
    rows = read_corpus(CORPUS)["putin-peace-proposal"]
    assert len(rows) == 45
    counts = {label: sum(1 for r in rows if r.settled.label == label) for label in ("fact", "commentary", "opinion")}
    assert counts == {"fact": 7, "commentary": 14, "opinion": 24}   # docs/seed-labelling.md, "Counts"
    disagreed = [r for r in rows if r.labeller_a.label != r.labeller_b.label]
    assert len(disagreed) == 4                                        # no. 21, 27, 39 and 40
    surprise = next(r for r in rows if r.sentence == "Well, isn’t that just a surprise?")
    assert surprise.settled.label == "opinion" and surprise.step == 1
    raw = CORPUS.joinpath("putin-peace-proposal.tsv").read_text(encoding="utf-8")
    seed_text = " ".join(r.sentence for r in rows)
    assert "Read the original article here" not in seed_text and raw.count("\n") == 46


@pytest.mark.parametrize("text, label, second", [
    ("fact", "fact", None), ("Opinion (+commentary)", "opinion", "commentary"),
    ("commentary+opinion", "commentary", "opinion"), ("opinion / commentary", "opinion", "commentary")])
def test_a_label_may_carry_a_second_defensible_label(text, label, second):
    parsed = parse_labelling(text)
    assert (parsed.label, parsed.second) == (label, second)


def test_defensible_labels_gather_both_labellers_and_the_settlement(tmp_path):
    path = tmp_path / "elm-street.tsv"
    path.write_text(HEADER + "It seems odd.\tcommentary\topinion (+commentary)\tcommentary (+opinion)\t2\n",
                    encoding="utf-8")
    row = read_labelling(path)[0]
    assert row.article == "elm-street"
    assert row.labeller_b.defensible == {"opinion", "commentary"}
    assert row.defensible == {"opinion", "commentary"}


@pytest.mark.parametrize("body, message", [
    ("It rained.\tfakt\tfact\tfact\t3\n", ":2: 'fakt' is not a label: use fact, commentary or opinion"),
    ("It rained.\tfact\tfact\tfact\t4\n", ":2: step '4' must be 1, 2 or 3"),
    ("It rained.\tfact\tfact\topinion\t3\n", ":2: settled opinion is decided at step 1, not step 3"),
    ("It rained.\tfact\tfact\n", ":2: 3 fields, expected 5 (separate columns with tabs)"),
])
def test_a_bad_row_is_named_with_its_line_and_the_fix(tmp_path, body, message):
    path = tmp_path / "bad.tsv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(LabellingError) as error:
        read_labelling(path)
    assert message in str(error.value)


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("sentence\tlabeller_a\tsettled\n", encoding="utf-8")
    with pytest.raises(LabellingError, match="missing column.*labeller_b, step"):
        read_labelling(path)


def test_a_quoted_field_reads_back_as_csv_wrote_it_and_an_empty_labelling_is_not_done_yet(tmp_path):
    path = tmp_path / "quotes.tsv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, dialect="excel-tab", lineterminator="\n")
        writer.writerow(["sentence", "labeller_a", "labeller_b", "settled", "step"])
        writer.writerow(['"We will win," she said.', "fact", "", "fact", "3"])
        writer.writerow(["It rained \u201cheavily\u201d.", "fact", "fact", "fact", "3"])
    first, second = read_labelling(path)
    assert first.sentence == '"We will win," she said.'
    assert first.labeller_b is None and first.defensible == {"fact"}
    assert second.sentence == "It rained \u201cheavily\u201d."
