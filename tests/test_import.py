"""Importing sets: versions keep what learners saw, feedback updates in place, nothing doubles."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from quiz import models
from quiz.db import db
from quiz.importer import import_paths
from quiz.sets.model import question_from_parts
from quiz.scoring import score

SET = """\
format: 1
id: envoys
title: The envoys
questions:
  - id: met
    type: label
    statement: "Putin met U.S. envoys Steve Witkoff and Jared Kushner."
    answer: fact
    why: "Step 3: a meeting can be checked against records."
  - id: charade
    type: label
    statement: "It seems the whole charade has hit a snag."
    answer: opinion
    accept: [commentary]
    why: "Step 1: 'charade' judges."
    cues: [charade]
"""


def write(folder: Path, text: str, name: str = "envoys.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def answer_current(set_slug: str, key: str, response) -> models.Answer:
    """Stores an answer to the current version of a question, as a learner would."""
    qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == set_slug))
    question = next(q for q in qset.questions if q.key == key)
    version = question.current
    attempt = models.Attempt(set_id=qset.id, possible=1)
    item = models.AttemptItem(position=0, version=version)
    attempt.items.append(item)
    points = score(question_from_parts(key, version.asked, version.feedback), response)
    item.answer = models.Answer(response=response, points=points)
    db.session.add(attempt)
    db.session.commit()
    return item.answer


def test_changed_wording_makes_a_new_version_and_old_answers_keep_theirs(app, tmp_path):
    path = write(tmp_path, SET)
    with app.app_context():
        assert import_paths(db.session, [path]).new == ["envoys (envoys.yaml)"]
        old = answer_current("envoys", "met", "fact")
        write(tmp_path, SET.replace("Putin met U.S. envoys", "Putin met the U.S. envoys"))
        report = import_paths(db.session, [path])
        assert report.updated == ["envoys (envoys.yaml)"]
        db.session.expire_all()
        stored = db.session.get(models.Answer, old.id)
        assert stored.item.version.asked["statement"] == "Putin met U.S. envoys Steve Witkoff and Jared Kushner."
        assert stored.item.version.number == 1
        met = db.session.scalar(select(models.Question).where(models.Question.key == "met"))
        assert [v.number for v in met.versions] == [1, 2]
        assert met.current.asked["statement"] == "Putin met the U.S. envoys Steve Witkoff and Jared Kushner."
        assert count(models.Question) == 2
        assert count(models.QuestionVersion) == 3
        assert count(models.Answer) == 1


def test_changed_why_updates_in_place_without_a_new_version(app, tmp_path):
    path = write(tmp_path, SET)
    with app.app_context():
        import_paths(db.session, [path])
        answer_current("envoys", "charade", "commentary")
        write(tmp_path, SET.replace("Step 1: 'charade' judges.", "Step 1: the loaded word 'charade' mocks."))
        assert import_paths(db.session, [path]).updated == ["envoys (envoys.yaml)"]
        db.session.expire_all()
        assert count(models.QuestionVersion) == 2
        charade = db.session.scalar(select(models.Question).where(models.Question.key == "charade"))
        assert charade.current.number == 1
        assert charade.current.feedback["why"] == "Step 1: the loaded word 'charade' mocks."


def test_a_changed_key_is_a_new_version(app, tmp_path):
    path = write(tmp_path, SET)
    with app.app_context():
        import_paths(db.session, [path])
        write(tmp_path, SET.replace("accept: [commentary]", "accept: []"))
        import_paths(db.session, [path])
        charade = db.session.scalar(select(models.Question).where(models.Question.key == "charade"))
        assert [v.asked["accept"] for v in charade.versions] == [["commentary"], []]


def test_reimporting_an_unchanged_file_is_skipped_and_duplicates_nothing(app, tmp_path):
    path = write(tmp_path, SET)
    with app.app_context():
        import_paths(db.session, [path])
        report = import_paths(db.session, [path])
        assert report.unchanged == ["envoys (envoys.yaml)"] and not report.new and not report.updated
        assert (count(models.QuestionSet), count(models.Question), count(models.QuestionVersion)) == (1, 2, 2)


def test_a_bad_file_imports_nothing_and_the_good_ones_still_do(app, tmp_path):
    good = write(tmp_path, SET)
    bad = write(tmp_path, SET.replace("id: envoys", "id: other").replace("answer: fact", "answer: fakt"), "bad.yaml")
    with app.app_context():
        report = import_paths(db.session, [good, bad])
        assert report.new == ["envoys (envoys.yaml)"]
        assert report.skipped == [str(bad)]
        assert [str(e) for e in report.errors] == [
            f"{bad}:8: question met: answer 'fakt' is not one of: fact, commentary, opinion (did you mean 'fact'?)"]
        assert db.session.scalars(select(models.QuestionSet.slug)).all() == ["envoys"]


def test_a_question_dropped_from_the_file_is_retired_not_deleted(app, tmp_path):
    path = write(tmp_path, SET)
    with app.app_context():
        import_paths(db.session, [path])
        answer_current("envoys", "charade", "opinion")
        write(tmp_path, SET.split("  - id: charade")[0])
        import_paths(db.session, [path])
        qset = db.session.scalar(select(models.QuestionSet))
        assert [q.key for q in qset.current_questions] == ["met"]
        assert count(models.Answer) == 1 and count(models.Question) == 2


def test_quiz_import_command_reports_each_outcome(runner, tmp_path):
    path = write(tmp_path, SET)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == "new (1): envoys (envoys.yaml)\n"
    result = runner.invoke(args=["import", str(path)])
    assert result.output == "unchanged (1): envoys (envoys.yaml)\n"
