"""The set report's running counts: kept up to date as attempts finish, so that a report reads
a few rows per question however large the class.

The counts are `reports.ReportSums` over each active learner's counted attempt, stored per
assignment in report_scores, report_questions, report_wrong_answers and report_labels. Which
attempt counts changes in these ways, each handled here:
- an attempt of the assignment finishes (`attempt_finished`, from `attempts.finish_attempt`):
  if it now counts for its learner, the attempt it replaces is subtracted and it is added, by
  `SET n = n + :change` upserts;
- rarer, larger changes (a learner removed from the class, the assignment's `counts` setting
  changed, a regrade, an account deleted) drop the counts instead (`forget`):
  `Assignment.report_built` goes False and the next report counts them from scratch (`rebuild`,
  with `reports.sums_from_scratch`, the same queries the report ran before it had counts).

The race rule: each of these holds the assignment's row lock from before it reads anything to
its commit (`SELECT ... FOR NO KEY UPDATE`, or the UPDATE of `forget`, on PostgreSQL; SQLite's
`BEGIN IMMEDIATE` under `writing()` already serialises writers). So a rebuild has seen every
finish that counts into it, or that finish waits for it and then counts into what it stored;
two finishes of one learner never both replace the same attempt; and dropped counts are not
changed again before they are rebuilt. The lock is taken before any attempt row's, in every
transaction that takes both, so no two transactions wait for each other.
"""
from __future__ import annotations

from functools import cache
from typing import Any, Optional

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from . import models, reports
from .reports import ReportSums, SetReport

SCORES = models.ReportScore.__table__
QUESTIONS = models.ReportQuestion.__table__
WRONG_ANSWERS = models.ReportWrongAnswer.__table__
LABELS = models.ReportLabel.__table__
SUMMED = {SCORES: ("learners", "points", "squares", "ratios"),
          QUESTIONS: ("answers", "points", "squares", "rest", "rest_squares", "products"),
          WRONG_ANSWERS: ("answers",), LABELS: ("choices",)}


def set_report(session: Session, assignment: models.Assignment) -> SetReport:
    """The set report from the running counts; if they were dropped, they are rebuilt first, in
    the caller's transaction (which should then be a writer: `writing()`)."""
    if not assignment.report_built:
        rebuild(session, assignment.id)
    return reports.report_from_sums(stored_sums(session, assignment.id),
                                    {q.id: q for q in assignment.question_set.questions})


def stored_sums(session: Session, assignment_id: int) -> ReportSums:
    sums = ReportSums()
    score = models.ReportScore
    for band, *row in session.execute(select(score.decile, score.learners, score.points, score.squares, score.ratios)
                                      .where(score.assignment_id == assignment_id, score.learners > 0)):
        sums.scores[band] = tuple(row)  # type: ignore[assignment]
    question = models.ReportQuestion
    for question_id, *row in session.execute(
            select(question.question_id, question.answers, question.points, question.squares, question.rest,
                   question.rest_squares, question.products)
            .where(question.assignment_id == assignment_id, question.answers > 0)):
        sums.questions[question_id] = tuple(row)  # type: ignore[assignment]
    wrong = models.ReportWrongAnswer
    sums.wrong = {(question_id, version_id, text): n for question_id, version_id, text, n in session.execute(
        select(wrong.question_id, wrong.version_id, wrong.response_text, wrong.answers)
        .where(wrong.assignment_id == assignment_id, wrong.answers > 0))}
    label = models.ReportLabel
    sums.labels = {(expected, shown): n for expected, shown, n in session.execute(
        select(label.expected, label.shown, label.choices)
        .where(label.assignment_id == assignment_id, label.choices > 0))}
    return sums


def rebuild(session: Session, assignment_id: int) -> None:
    """Counts the assignment's report from scratch and stores it in place of what is stored,
    unless another request just did."""
    assignment = session.get(models.Assignment, assignment_id, populate_existing=True,
                             with_for_update={"key_share": True})
    if assignment is None or assignment.report_built:
        return
    sums = reports.sums_from_scratch(session, assignment)
    for table in SUMMED:
        session.execute(delete(table).where(table.c.assignment_id == assignment_id))
    add(session, assignment_id, sums)
    assignment.report_built = True
    session.flush()


def forget(session: Session, *where: Any) -> None:
    """Drops the running counts of the assignments that match `where` (nothing of an erased
    learner stays in them): the next report of each counts from scratch. Every matching row is
    updated, built or not, so that the UPDATE waits for a rebuild in progress rather than letting
    it store counts this change has made wrong; the rows are deleted once it holds the lock."""
    session.execute(update(models.Assignment).where(*where).values(report_built=False)
                    .execution_options(synchronize_session=False))
    dropped = select(models.Assignment.id).where(*where)
    for table in SUMMED:
        session.execute(delete(table).where(table.c.assignment_id.in_(dropped)))


def lock_assignment(session: Session, assignment_id: int) -> Optional[Any]:
    """The assignment's counting policy, state and class, its row locked to the commit (the race rule)."""
    return session.execute(select(models.Assignment.id, models.Assignment.counts, models.Assignment.report_built,
                                  models.Assignment.classroom_id)
                           .where(models.Assignment.id == assignment_id)
                           .with_for_update(key_share=True)).one_or_none()


def attempt_finished(session: Session, assignment: Any, attempt_id: int, user_id: Optional[int]) -> None:
    """Counts a just-finished attempt if it is now its learner's counted one, in place of the
    one it replaces. `assignment` is what `lock_assignment` returned, before the attempt finished."""
    if not assignment.report_built or user_id is None:
        return
    finished = session.execute(
        select(models.Attempt.id, models.Attempt.points, models.Attempt.possible, models.Attempt.started_at,
               models.Attempt.finished_at)
        .join(models.Membership, and_(models.Membership.user_id == models.Attempt.user_id,
                                      models.Membership.classroom_id == assignment.classroom_id,
                                      models.Membership.removed_at.is_(None)))
        .where(models.Attempt.assignment_id == assignment.id, models.Attempt.user_id == user_id,
               models.Attempt.finished_at.is_not(None))).all()
    if not finished or reports.counted_among(finished, assignment.counts).id != attempt_id:
        return   # not an active learner of the class, or an earlier attempt still counts
    earlier = [a for a in finished if a.id != attempt_id]
    signs = {attempt_id: 1}
    if earlier:
        signs[reports.counted_among(earlier, assignment.counts).id] = -1
    add(session, assignment.id, contributions(session, [a for a in finished if a.id in signs], signs))


def contributions(session: Session, attempts: list[Any], signs: dict[int, int]) -> ReportSums:
    """What some attempts add to the sums (sign 1) or take away from them (sign -1), with the
    same arithmetic as `reports.sums_from_scratch`."""
    change = ReportSums()
    totals = {a.id: a.points for a in attempts}
    for a in attempts:
        sign, ratio = signs[a.id], a.points / a.possible if a.possible else 0.0
        plus(change.scores, reports.decile(ratio), (sign, sign * a.points, sign * (a.points * a.points), sign * ratio))
    answers = session.execute(
        select(models.AttemptItem.attempt_id, models.QuestionVersion.question_id, models.AttemptItem.version_id,
               models.Answer.points, models.Answer.response_text)
        .join(models.Answer, models.Answer.item_id == models.AttemptItem.id)
        .join(models.QuestionVersion, models.QuestionVersion.id == models.AttemptItem.version_id)
        .where(models.AttemptItem.attempt_id.in_(list(signs))))
    for attempt_id, question_id, version_id, x, text in answers:
        sign, rest = signs[attempt_id], totals[attempt_id] - x
        plus(change.questions, question_id,
             (sign, sign * x, sign * (x * x), sign * rest, sign * (rest * rest), sign * (x * rest)))
        if x < 1:
            plus(change.wrong, (question_id, version_id, text), sign)
    shown = reports.shown_label().label("shown")
    for attempt_id, expected, chosen, n in session.execute(
            select(models.AttemptItem.attempt_id, models.LabelChoice.expected, shown, func.count())
            .join(models.Answer, models.Answer.id == models.LabelChoice.answer_id)
            .join(models.AttemptItem, models.AttemptItem.id == models.Answer.item_id)
            .where(models.AttemptItem.attempt_id.in_(list(signs)))
            .group_by(models.AttemptItem.attempt_id, models.LabelChoice.expected, "shown")):
        plus(change.labels, (expected, chosen), signs[attempt_id] * n)
    return change


def plus(sums: dict[Any, Any], key: Any, value: Any) -> None:
    """Adds a count, or a tuple of sums element by element, to the entry under `key`."""
    if key not in sums:
        sums[key] = value
    elif isinstance(value, tuple):
        sums[key] = tuple(a + b for a, b in zip(sums[key], value))
    else:
        sums[key] += value


def add(session: Session, assignment_id: int, change: ReportSums) -> None:
    """Adds the sums to the stored counts, row by row in key order: `SET n = n + :change`."""
    rows = {
        SCORES: [{"decile": band, **dict(zip(SUMMED[SCORES], row))} for band, row in sorted(change.scores.items())],
        QUESTIONS: [{"question_id": question_id, **dict(zip(SUMMED[QUESTIONS], row))}
                    for question_id, row in sorted(change.questions.items())],
        WRONG_ANSWERS: [{"question_id": question_id, "version_id": version_id, "response_text": text, "answers": n}
                        for (question_id, version_id, text), n in sorted(change.wrong.items()) if n],
        LABELS: [{"expected": expected, "shown": shown, "choices": n}
                 for (expected, shown), n in sorted(change.labels.items()) if n],
    }
    statements = increments(session.get_bind().dialect.name)
    for table, values in rows.items():
        if values:
            session.execute(statements[table], [{"assignment_id": assignment_id, **row} for row in values])


@cache
def increments(dialect: str) -> dict[Any, Any]:
    """Per table, an INSERT that adds to the row if it exists (both databases speak ON CONFLICT)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statements = {}
    for table, summed in SUMMED.items():
        statement = insert(table)
        statements[table] = statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={name: table.c[name] + statement.excluded[name] for name in summed})
    return statements
