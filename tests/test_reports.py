"""Class statistics against hand-worked examples: the maths alone, then through the database."""
from __future__ import annotations

import math
import statistics

import pytest
from sqlalchemy import select

from quiz import accounts, models
from quiz import attempts as service
from quiz.db import db
from quiz.importer import import_paths
from quiz.report_counts import set_report
from quiz.reports import kr20, pearson, variance

THREE = """\
format: 1
id: three
title: Three statements
questions:
  - {id: one, type: label, statement: "Putin met the envoys.", answer: fact, why: "Step 3: on the record."}
  - {id: two, type: label, statement: "It seems he wants it all.", answer: commentary, why: "Step 2: a guess at intent."}
  - {id: three, type: label, statement: "What a charade.", answer: opinion, why: "Step 1: a loaded word."}
"""
KEY = ["fact", "commentary", "opinion"]


def test_variance_and_pearson_by_hand():
    # x = 1,1,1,0 and rest = 2,1,0,0: cov 0.1875, var x 0.1875, var rest 0.6875
    assert variance(4, 3, 3) == pytest.approx(0.1875)
    assert pearson(4, 3, 3, 3, 5, 3) == pytest.approx(0.1875 / math.sqrt(0.1875 * 0.6875))
    assert pearson(4, 4, 3, 4, 5, 3) is None  # everyone right: no spread, no correlation
    assert pearson(1, 1, 2, 1, 4, 2) is None  # one learner


def test_kr20_by_hand():
    # scores 111, 110, 100, 000: item p*q = .1875 + .25 + .1875, total variance 1.25 -> 1.5 * (1 - .5)
    assert kr20([0.1875, 0.25, 0.1875], 1.25) == pytest.approx(0.75)
    assert kr20([0.25], 1.0) is None  # one question
    assert kr20([0.0, 0.0, 0.0], 0.0) is None  # everyone the same score


@pytest.fixture
def assignment(app, tmp_path, make_class):
    path = tmp_path / "three.yaml"
    path.write_text(THREE, encoding="utf-8")
    with app.app_context():
        import_paths(db.session, [path])
    class_id = make_class(assign="three")
    with app.app_context():
        return db.session.scalar(select(models.Assignment.id).where(models.Assignment.classroom_id == class_id))


def answer_as(app, assignment_id, name, marks, finish=True):
    """A learner of the class answers the three questions right (1) or wrong (0)."""
    with app.app_context():
        assignment = db.session.get(models.Assignment, assignment_id)
        user = accounts.create_user(db.session, name, "learner-password")
        db.session.add(models.Membership(classroom_id=assignment.classroom_id, user_id=user.id))
        attempt = service.start_attempt(db.session, assignment.question_set, user=user, assignment=assignment)
        db.session.commit()
        for item, mark in zip(attempt.items, marks):
            right = KEY[item.position]
            wrong = "opinion" if right == "fact" else "fact"
            service.record_answer(db.session, attempt.id, item.id, service.item_question(item),
                                  right if mark else wrong)
        if finish:
            service.finish_attempt(db.session, attempt)
        db.session.commit()


def report(app, assignment_id):
    with app.app_context():
        return set_report(db.session, db.session.get(models.Assignment, assignment_id))


def test_nobody_answered(app, assignment):
    result = report(app, assignment)
    assert result.learners == 0 and result.questions == [] and result.matrix == {}
    assert result.reliability is None and result.reliability_note == "too few"
    assert result.distribution == [0] * 10 and result.largest_confusion is None


def test_one_learner(app, assignment):
    answer_as(app, assignment, "solo", [1, 0, 1])
    result = report(app, assignment)
    assert result.learners == 1 and result.mean_percent == 67
    assert {s.question.key: s.facility for s in result.questions} == {"one": 1.0, "two": 0.0, "three": 1.0}
    assert all(s.discrimination is None for s in result.questions)
    assert result.reliability is None
    assert result.distribution[6] == 1  # 67% falls in 60-69%
    assert result.matrix == {("fact", "fact"): 1, ("commentary", "fact"): 1, ("opinion", "opinion"): 1}
    assert result.largest_confusion == ("commentary", "fact", 1.0)


def test_everyone_right(app, assignment):
    for n in range(5):
        answer_as(app, assignment, f"ace{n}", [1, 1, 1])
    result = report(app, assignment)
    assert [s.facility for s in result.questions] == [1.0, 1.0, 1.0]
    assert all(s.discrimination is None and s.wrong_answer is None for s in result.questions)
    assert result.reliability is None and result.reliability_note == "no spread"
    assert result.distribution[9] == 5 and result.largest_confusion is None


def test_a_spread_of_learners_matches_the_textbook_formulas(app, assignment):
    marks = {"a": [1, 1, 1], "b": [1, 1, 0], "c": [1, 0, 0], "d": [0, 0, 0], "e": [1, 1, 1], "f": [0, 0, 0]}
    for name, row in marks.items():
        answer_as(app, assignment, name, row)
    answer_as(app, assignment, "unfinished", [1, 1, 1], finish=False)  # does not count
    result = report(app, assignment)
    rows = list(marks.values())
    totals = [sum(r) for r in rows]
    by_key = {s.question.key: s for s in result.questions}
    for index, key in enumerate(["one", "two", "three"]):
        item = [r[index] for r in rows]
        rest = [t - x for t, x in zip(totals, item)]
        assert by_key[key].facility == pytest.approx(sum(item) / len(item))
        assert by_key[key].discrimination == pytest.approx(statistics.correlation(item, rest))
    item_vars = [statistics.pvariance([r[i] for r in rows]) for i in range(3)]
    expected = 3 / 2 * (1 - sum(item_vars) / statistics.pvariance(totals))
    assert result.reliability == pytest.approx(expected)
    assert result.learners == 6
    assert [s.question.key for s in result.questions] == ["three", "two", "one"]  # most confusing first
    assert by_key["one"].wrong_answer == "opinion" and by_key["one"].wrong_share == pytest.approx(2 / 6)


def test_reliability_is_withheld_below_the_same_minimum_as_discrimination(app, assignment):
    # four learners with a spread: KR-20 would be computable, but like discrimination it needs five
    for name, row in {"a": [1, 1, 1], "b": [1, 1, 0], "c": [1, 0, 0], "d": [0, 0, 0]}.items():
        answer_as(app, assignment, name, row)
    result = report(app, assignment)
    assert result.learners == 4
    assert all(s.discrimination is None for s in result.questions)
    assert result.reliability is None and result.reliability_note == "too few"
