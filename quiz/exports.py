"""The CSV exports of a class, for the web and `quiz export`: safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import models
from .scoring import percent
from .views_time import iso

RESULTS_HEADER = ["class", "learner", "set", "attempt", "started", "finished", "score", "points", "possible"]
RESPONSES_HEADER = ["learner", "set", "question", "version", "type", "given answer", "right answer", "score", "time"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """A cell a spreadsheet shows as text: a formula-like start gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    """UTF-8 CSV with a byte-order mark (Excel reads accents right) and CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return "\ufeff" + out.getvalue()


def right_answer(version: models.QuestionVersion) -> str:
    asked = version.asked
    if asked["type"] == "sort":
        return " / ".join(item["answer"] for item in asked["items"])
    answer = asked.get("answer")
    if asked["type"] == "choice":
        return ",".join(answer)
    if asked["type"] == "spot":
        return " | ".join(answer) or "(none)"
    return str(answer)


def active_learners(classroom: models.Classroom):
    return (select(models.Membership.user_id).where(models.Membership.classroom_id == classroom.id,
                                                    models.Membership.removed_at.is_(None)))


def results_rows(session: Session, classroom: models.Classroom) -> list[list[Any]]:
    """One row per learner x attempt at the class's assignments, numbered per learner and set."""
    number = func.row_number().over(partition_by=(models.Attempt.user_id, models.Attempt.assignment_id),
                                    order_by=(models.Attempt.started_at, models.Attempt.id))
    rows = session.execute(
        select(models.User.username, models.QuestionSet.slug, number, models.Attempt.started_at,
               models.Attempt.finished_at, models.Attempt.points, models.Attempt.possible)
        .join(models.User, models.User.id == models.Attempt.user_id)
        .join(models.Assignment, models.Assignment.id == models.Attempt.assignment_id)
        .join(models.QuestionSet, models.QuestionSet.id == models.Assignment.set_id)
        .where(models.Assignment.classroom_id == classroom.id, models.Attempt.user_id.in_(active_learners(classroom)))
        .order_by(models.User.username, models.QuestionSet.slug, models.Attempt.started_at, models.Attempt.id))
    out = []
    for username, slug, n, started, finished, points, possible in rows:
        shown = f"{percent(points or 0, possible)}%" if finished and possible else ""
        out.append([classroom.name, username, slug, n, iso(started), iso(finished), shown,
                    "" if points is None else round(points, 4), possible])
    return out


def responses_rows(session: Session, classroom: models.Classroom) -> list[list[Any]]:
    """One row per answer given at the class's assignments."""
    rows = session.execute(
        select(models.User.username, models.QuestionSet.slug, models.Question.key, models.QuestionVersion,
               models.Answer.response_text, models.Answer.points, models.Answer.answered_at)
        .select_from(models.Answer)
        .join(models.AttemptItem, models.AttemptItem.id == models.Answer.item_id)
        .join(models.Attempt, models.Attempt.id == models.AttemptItem.attempt_id)
        .join(models.User, models.User.id == models.Attempt.user_id)
        .join(models.Assignment, models.Assignment.id == models.Attempt.assignment_id)
        .join(models.QuestionSet, models.QuestionSet.id == models.Assignment.set_id)
        .join(models.QuestionVersion, models.QuestionVersion.id == models.AttemptItem.version_id)
        .join(models.Question, models.Question.id == models.QuestionVersion.question_id)
        .where(models.Assignment.classroom_id == classroom.id, models.Attempt.user_id.in_(active_learners(classroom)))
        .order_by(models.User.username, models.QuestionSet.slug, models.Attempt.id, models.AttemptItem.position))
    return [[username, slug, key, version.number, version.type, given, right_answer(version), round(points, 4),
             iso(answered)] for username, slug, key, version, given, points, answered in rows]


def results_csv(session: Session, classroom: models.Classroom) -> str:
    return to_csv(RESULTS_HEADER, results_rows(session, classroom))


def responses_csv(session: Session, classroom: models.Classroom) -> str:
    return to_csv(RESPONSES_HEADER, responses_rows(session, classroom))
