"""The sets shipped in questions/ and the labelling records behind them.

A learner who answers blind must not pass a site set, no sort may be won by one label, and
each article's labelling record (docs/labelling/<name>.tsv, read by the draft model's
training) must hold the article's sentences word for word with labels the steps allow: the
article of the set of that id, or, for an article no set is built on, its text in
docs/labelling/articles/<name>.md.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from quiz.draft import clean_article
from quiz.labelling import STEP_OF, parse_labelling
from quiz.sets import check_paths
from quiz.sets.model import sort_blind_share
from quiz.sets.text import in_article

ROOT = Path(__file__).resolve().parent.parent
SITE = check_paths([ROOT / "questions"])
LABELLING = sorted((ROOT / "docs" / "labelling").glob("*.tsv"))
ARTICLES = ROOT / "docs" / "labelling" / "articles"


def test_site_sets_load_without_errors_or_warnings():
    assert SITE.errors == []
    assert [str(w) for w in SITE.warnings] == []
    assert len(SITE.loaded) >= 6


@pytest.mark.parametrize("loaded", SITE.loaded, ids=lambda loaded: loaded.set.id)
def test_no_site_set_is_passed_blind_and_no_sort_is_won_by_one_label(loaded):
    qset = loaded.set
    assert qset.blind_score() <= 0.5
    for question in qset.questions:
        if question.type == "sort":
            assert sort_blind_share(question, list(qset.labels)) < 1, question.id


def test_beginner_sets_ask_no_label_with_a_second_defensible_one():
    for loaded in SITE.loaded:
        if loaded.set.level == "beginner":
            assert [(q.id, accept) for q in loaded.set.questions for _answer, accept in q.decisions
                    if accept] == [], loaded.set.id


def test_every_article_set_credits_its_source_and_licence():
    for loaded in SITE.loaded:
        source = loaded.set.source
        assert source is not None and source.headline, loaded.set.id
        if source.publisher:  # a published article: who, when, where and under what licence
            assert source.author and source.date and source.url and source.licence, loaded.set.id


@pytest.mark.parametrize("path", LABELLING, ids=lambda path: path.stem)
def test_labelling_records_hold_their_articles_sentences_and_standard_labels(path):
    sets = {loaded.set.id: loaded.set for loaded in SITE.loaded}
    text = ARTICLES / f"{path.stem}.md"
    assert path.stem in sets or text.exists(), f"{path.name} names no set in questions/ and no article in {ARTICLES}"
    article = sets[path.stem].article_text if path.stem in sets else "\n".join(
        clean_article(text.read_text(encoding="utf-8")).paragraphs)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows and list(rows[0]) == ["sentence", "labeller_a", "labeller_b", "settled", "step"]
    for row in rows:
        assert in_article(row["sentence"], article), row["sentence"]
        assert parse_labelling(row["labeller_a"]) and (row["labeller_b"] == "" or parse_labelling(row["labeller_b"]))
        assert str(STEP_OF[parse_labelling(row["settled"]).label]) == row["step"], row["sentence"]
