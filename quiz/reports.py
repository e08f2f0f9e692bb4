"""Class statistics: the database counts (GROUP BY), pure functions do the maths.

Facility is the mean score of a question; discrimination the correlation between a question's
score and the rest of the learner's score (item-rest); KR-20 the reliability of the whole set,
computed as Cronbach's alpha, which equals KR-20 when every question scores 0 or 1 and extends it
to partial credit (`spot`, `sort`, select-all).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from . import models
from .scoring import percent

# One minimum for every statistic that needs a spread of learners (discrimination, KR-20):
# below it a figure says more about chance than about the questions, so it is withheld.
MIN_LEARNERS = 5
MIN_FOR_DISCRIMINATION = MIN_FOR_RELIABILITY = MIN_LEARNERS


# -- the maths (no database) -------------------------------------------------------------------

def variance(n: int, total: float, squares: float) -> float:
    """Population variance from a count, a sum and a sum of squares.

    A spread under a billionth of the mean square is taken for none: sums kept running
    (quiz.report_counts) carry rounding noise of about 1e-16 of the squares per change, and
    it must not pass for a spread where every learner scored the same.
    """
    if n <= 0:
        return 0.0
    mean = total / n
    spread = squares / n - mean * mean
    return spread if spread > 1e-9 * squares / n else 0.0


def pearson(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> Optional[float]:
    """Correlation from sums; None when either side does not vary (it is then undefined)."""
    if n < 2:
        return None
    cov = sxy / n - (sx / n) * (sy / n)
    vx, vy = variance(n, sx, sxx), variance(n, sy, syy)
    if vx <= 1e-12 or vy <= 1e-12:
        return None
    return max(-1.0, min(1.0, cov / math.sqrt(vx * vy)))


def kr20(item_variances: list[float], total_variance: float) -> Optional[float]:
    """KR-20 (Cronbach's alpha): k/(k-1) * (1 - sum of item variances / variance of totals)."""
    k = len(item_variances)
    if k < 2 or total_variance <= 1e-12:
        return None
    return k / (k - 1) * (1 - sum(item_variances) / total_variance)


# -- which attempts count ------------------------------------------------------------------------

def counted_attempts(assignment: models.Assignment):
    """A subquery: each active learner's counted attempt (best, last or first) and its score."""
    order = {"best": (models.Attempt.points.desc(), models.Attempt.finished_at, models.Attempt.id),
             "last": (models.Attempt.finished_at.desc(), models.Attempt.id.desc()),
             "first": (models.Attempt.started_at, models.Attempt.id)}[assignment.counts]
    ranked = (select(models.Attempt.id.label("attempt_id"), models.Attempt.user_id.label("user_id"),
                     models.Attempt.points.label("points"), models.Attempt.possible.label("possible"),
                     func.row_number().over(partition_by=models.Attempt.user_id, order_by=order).label("rank"))
              .join(models.Membership, and_(models.Membership.user_id == models.Attempt.user_id,
                                            models.Membership.classroom_id == assignment.classroom_id,
                                            models.Membership.removed_at.is_(None)))
              .where(models.Attempt.assignment_id == assignment.id, models.Attempt.finished_at.is_not(None))
              .subquery())
    return select(ranked).where(ranked.c.rank == 1).subquery()


def counted_among(attempts: list[Any], counts: str) -> Any:
    """Which of one learner's finished attempts counts, ordered as `counted_attempts` orders them
    (rows with id, points, started_at and finished_at)."""
    if counts == "last":
        return max(attempts, key=lambda a: (a.finished_at, a.id))
    if counts == "first":
        return min(attempts, key=lambda a: (a.started_at, a.id))
    return min(attempts, key=lambda a: (-a.points, a.finished_at, a.id))


# -- the class matrix ----------------------------------------------------------------------------

@dataclass
class Cell:
    status: str = "not started"  # not started | in progress | done
    percent: Optional[int] = None
    attempts: int = 0


def class_matrix(session: Session, classroom: models.Classroom) -> tuple[list, dict, dict]:
    """Learners (active), cells keyed (user_id, assignment_id), and class average per assignment."""
    learners = session.scalars(
        select(models.User).join(models.Membership, models.Membership.user_id == models.User.id)
        .where(models.Membership.classroom_id == classroom.id, models.Membership.removed_at.is_(None))
        .order_by(models.User.username)).all()
    cells: dict[tuple[int, int], Cell] = {}
    ids = [a.id for a in classroom.assignments]
    if ids:
        for user_id, assignment_id, done, total in session.execute(
                select(models.Attempt.user_id, models.Attempt.assignment_id,
                       func.count(models.Attempt.finished_at), func.count(models.Attempt.id))
                .where(models.Attempt.assignment_id.in_(ids)).group_by(models.Attempt.user_id, models.Attempt.assignment_id)):
            cells[(user_id, assignment_id)] = Cell(status="done" if done else "in progress", attempts=total)
    averages: dict[int, Optional[int]] = {}
    for assignment in classroom.assignments:
        counted = counted_attempts(assignment)
        ratios = []
        for user_id, points, possible in session.execute(select(counted.c.user_id, counted.c.points, counted.c.possible)):
            ratio = (points or 0) / possible if possible else 0.0
            cell = cells.setdefault((user_id, assignment.id), Cell())
            cell.percent, cell.status = percent(ratio, 1), "done"
            ratios.append(ratio)
        # the average of the exact scores, rounded once: the same figure as the set report's mean
        averages[assignment.id] = percent(sum(ratios) / len(ratios), 1) if ratios else None
    return list(learners), cells, averages


# -- the set report ------------------------------------------------------------------------------

@dataclass
class QuestionStats:
    question: models.Question
    answered: int
    facility: Optional[float]
    discrimination: Optional[float]
    wrong_answer: Optional[str] = None
    wrong_share: Optional[float] = None
    wrong_version_id: Optional[int] = None  # the version whose options the wrong answer's letters name


@dataclass
class SetReport:
    learners: int
    distribution: list[int]  # counts of scores in 0-9%, 10-19%, ..., 90-100%
    questions: list[QuestionStats]
    matrix: dict[tuple[str, str], int] = field(default_factory=dict)
    row_totals: dict[str, int] = field(default_factory=dict)
    reliability: Optional[float] = None
    reliability_note: str = ""  # why KR-20 is missing: "too few", "unanswered" or "no spread" (the page words it)
    largest_confusion: Optional[tuple[str, str, float]] = None
    mean_percent: Optional[int] = None


def bucket(ratio):  # type: ignore[no-untyped-def]
    """Score decile 0..9 in portable SQL (CAST rounds on PostgreSQL, so no CAST)."""
    return case(*[(ratio >= edge / 10, edge) for edge in range(9, 0, -1)], else_=0)


@dataclass
class ReportSums:
    """What a set report is computed from, summed over the counted attempts.

    `scores`: per score decile 0..9, (learners, sum of points, of points squared, of points / possible);
    `questions`: per question id, (answers, sum x, x², rest, rest², x * rest), where x is the
    answer's points and rest the other points of its attempt; `wrong`: answers scoring under 1
    per (question id, version id, answer text); `labels`: label choices per (right label, label
    shown). quiz.report_counts keeps these up to date in tables; `sums_from_scratch` counts them
    from the answers.
    """

    scores: dict[int, tuple[int, float, float, float]] = field(default_factory=dict)
    questions: dict[int, tuple[int, float, float, float, float, float]] = field(default_factory=dict)
    wrong: dict[tuple[int, int, str], int] = field(default_factory=dict)
    labels: dict[tuple[str, str], int] = field(default_factory=dict)


def decile(ratio: float) -> int:
    """A score's decile 0..9, as `bucket` counts it in SQL."""
    return next((edge for edge in range(9, 0, -1) if ratio >= edge / 10), 0)


def sums_from_scratch(session: Session, assignment: models.Assignment) -> ReportSums:
    """The report's sums counted from the answers of the counted attempts: grows with the class."""
    counted = counted_attempts(assignment)
    sums = ReportSums()
    ratio = counted.c.points * 1.0 / counted.c.possible
    for band, n, points, squares, ratios in session.execute(
            select(bucket(ratio).label("decile"), func.count(), func.sum(counted.c.points),
                   func.sum(counted.c.points * counted.c.points), func.sum(ratio)).group_by("decile")):
        sums.scores[int(band)] = (n, points or 0.0, squares or 0.0, ratios or 0.0)

    x = models.Answer.points
    rest = counted.c.points - x
    for question_id, *row in session.execute(counted_answers(
            select(models.QuestionVersion.question_id, func.count(), func.sum(x), func.sum(x * x), func.sum(rest),
                   func.sum(rest * rest), func.sum(x * rest)), counted)
            .group_by(models.QuestionVersion.question_id)):
        sums.questions[question_id] = tuple(row)  # type: ignore[assignment]
    for question_id, version_id, text, n in session.execute(counted_answers(
            select(models.QuestionVersion.question_id, models.QuestionVersion.id, models.Answer.response_text,
                   func.count()), counted)
            .where(models.Answer.points < 1)
            .group_by(models.QuestionVersion.question_id, models.QuestionVersion.id, models.Answer.response_text)):
        sums.wrong[(question_id, version_id, text)] = n
    sums.labels = label_matrix(session, select(models.AttemptItem.id).join(
        counted, counted.c.attempt_id == models.AttemptItem.attempt_id))
    return sums


def counted_answers(statement, counted):  # type: ignore[no-untyped-def]
    """`statement` over the answers of the counted attempts, read from those attempts down by
    their indexes (with each answer's item and question version joined)."""
    return (statement.select_from(counted)
            .join(models.AttemptItem, models.AttemptItem.attempt_id == counted.c.attempt_id)
            .join(models.Answer, models.Answer.item_id == models.AttemptItem.id)
            .join(models.QuestionVersion, models.QuestionVersion.id == models.AttemptItem.version_id))


def set_report_from_scratch(session: Session, assignment: models.Assignment) -> SetReport:
    """The set report counted from the answers; the page reads the running counts instead
    (quiz.report_counts.set_report), which must always agree with this."""
    return report_from_sums(sums_from_scratch(session, assignment),
                            {q.id: q for q in assignment.question_set.questions})


def report_from_sums(sums: ReportSums, questions: dict[int, models.Question]) -> SetReport:
    """The report's figures from its sums (no database).

    Sums kept running carry rounding noise, so everything that compares floats does it at a
    precision far beyond what the page shows: `math.fsum`, and facilities rounded to 9
    places to sort the questions.
    """
    scores = [sums.scores[band] for band in sorted(sums.scores)]
    learners = sum(n for n, *_rest in scores)
    points, squares, ratios = (math.fsum(row[column] for row in scores) for column in (1, 2, 3))
    distribution = [sums.scores[band][0] if band in sums.scores else 0 for band in range(10)]

    # per version: a choice's letters mean what that version's options said
    commonest: dict[int, tuple[str, int, int]] = {}
    for (question_id, version_id, text), n in sorted(sums.wrong.items()):
        if question_id not in commonest or n > commonest[question_id][1] or (
                n == commonest[question_id][1] and text < commonest[question_id][0]):
            commonest[question_id] = (text, n, version_id)

    stats: list[QuestionStats] = []
    item_variances = []
    for question_id, (n, sx, sxx, sr, srr, sxr) in sorted(sums.questions.items()):
        enough = n >= MIN_FOR_DISCRIMINATION
        stat = QuestionStats(questions[question_id], n, sx / n if n else None,
                             pearson(n, sx, sr, sxx, srr, sxr) if enough else None)
        if question_id in commonest:
            stat.wrong_answer, count, stat.wrong_version_id = commonest[question_id]
            stat.wrong_share = count / n
        stats.append(stat)
        item_variances.append(variance(n, sx, sxx))
    stats.sort(key=lambda s: (round(s.facility, 9) if s.facility is not None else 2, s.question.position or 0))

    report = SetReport(learners=learners, distribution=distribution, questions=stats)
    if learners:
        report.mean_percent = percent(ratios / learners, 1)
    answered_everywhere = all(s.answered == learners for s in stats)
    if learners < MIN_FOR_RELIABILITY:
        report.reliability_note = "too few"
    elif len(stats) < 2 or not answered_everywhere:
        report.reliability_note = "unanswered"
    else:
        report.reliability = kr20(item_variances, variance(learners, points, squares))
        if report.reliability is None:
            report.reliability_note = "no spread"

    report.matrix = dict(sums.labels)
    for (expected, _chosen), n in report.matrix.items():
        report.row_totals[expected] = report.row_totals.get(expected, 0) + n
    confusions = [(expected, chosen, n / report.row_totals[expected])
                  for (expected, chosen), n in report.matrix.items() if expected != chosen]
    if confusions:
        report.largest_confusion = max(confusions, key=lambda c: (c[2], c[0], c[1]))
    return report


def label_matrix(session: Session, items) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    """The label confusion matrix of the answers to some attempt items: (right label, label
    shown) -> count, where an accepted second label is shown as the right one (no confusion)."""
    return {(expected, chosen): n for expected, chosen, n in session.execute(
        select(models.LabelChoice.expected, shown_label().label("shown"), func.count())
        .join(models.Answer, models.Answer.id == models.LabelChoice.answer_id)
        .where(models.Answer.item_id.in_(items))
        .group_by(models.LabelChoice.expected, "shown"))}


def shown_label():  # type: ignore[no-untyped-def]
    """The label a choice shows in the confusion matrix: the right one for an accepted label."""
    return case((models.LabelChoice.right, models.LabelChoice.expected), else_=models.LabelChoice.chosen)
