"""The CSV exports of a class, for the web and `quiz export`: safe to open in a spreadsheet, and
streamed (rows fetched and written in batches) so memory stays flat whatever the class's size."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import models
from .scoring import percent
from .views_time import iso

RESULTS_HEADER = ["class", "learner", "set", "attempt", "started", "finished", "score", "points", "possible"]
RESPONSES_HEADER = ["learner", "set", "question", "version", "type", "given answer", "right answer", "score", "time"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000  # rows fetched from the database (a server-side cursor on PostgreSQL) and written at a time


def neutralise(value: Any) -> str:
    """A cell a spreadsheet shows as text: a formula-like start gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text


def csv_chunks(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark (Excel reads accents right) and CRLF line ends, given
    out header first, then `BATCH` rows at a time as the rows come, so an export of any size needs little memory."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow(header)
    yield out.getvalue()  # at once, before the database has sent a row
    out.seek(0)
    out.truncate()
    for number, row in enumerate(rows, start=1):
        writer.writerow([neutralise(v) for v in row])
        if number % BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


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


def results_rows(session: Session, classroom: models.Classroom) -> Iterator[list[Any]]:
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
        .order_by(models.User.username, models.QuestionSet.slug, models.Attempt.started_at, models.Attempt.id)
        .execution_options(yield_per=BATCH))
    name = classroom.name
    for username, slug, n, started, finished, points, possible in rows:
        shown = f"{percent(points or 0, possible)}%" if finished and possible else ""
        yield [name, username, slug, n, iso(started), iso(finished), shown,
               "" if points is None else round(points, 4), possible]


def responses_rows(session: Session, classroom: models.Classroom) -> Iterator[list[Any]]:
    """One row per answer given at the class's assignments."""
    assigned = select(models.Assignment.set_id).where(models.Assignment.classroom_id == classroom.id)
    versions = {version.id: (version.number, version.type, right_answer(version)) for version in session.scalars(
        select(models.QuestionVersion).join(models.Question, models.Question.id == models.QuestionVersion.question_id)
        .where(models.Question.set_id.in_(assigned)))}
    rows = session.execute(
        select(models.User.username, models.QuestionSet.slug, models.Question.key, models.AttemptItem.version_id,
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
        .order_by(models.User.username, models.QuestionSet.slug, models.Attempt.id, models.AttemptItem.position)
        .execution_options(yield_per=BATCH))
    for username, slug, key, version_id, given, points, answered in rows:
        number, kind, right = versions[version_id]
        yield [username, slug, key, number, kind, given, right, round(points, 4), iso(answered)]


def results_csv(session: Session, classroom: models.Classroom) -> Iterator[str]:
    return csv_chunks(RESULTS_HEADER, results_rows(session, classroom))


def responses_csv(session: Session, classroom: models.Classroom) -> Iterator[str]:
    return csv_chunks(RESPONSES_HEADER, responses_rows(session, classroom))
