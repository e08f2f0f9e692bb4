"""A learner's progress: scores over time, accuracy per label, and what they confuse now.

"Now" means each question's latest answer: a confusion the learner has since put right (by
practising their mistakes, or a later attempt) no longer counts, so the page never contradicts
"nothing to practise". The whole history stays in the table and the chart, with its dates.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from flask_babel import gettext, ngettext
from sqlalchemy.orm import Session

from . import attempts as service
from . import models
from .scoring import percent
from .sets.model import STANDARD_LABELS
from .views import display_zone

# The chart's drawing box (SVG user units): room on the left for "100%", below for dates.
CHART_WIDTH, CHART_HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 14, 56
MAX_DATE_TICKS = 3
DOT_SPACING = 14


@dataclass
class AttemptRow:
    attempt: models.Attempt
    title: str
    when: datetime
    percent: Optional[int]
    accuracy: dict[str, Optional[float]]


@dataclass
class Chart:
    """SVG coordinates: one line per label, the y axis (0, 50, 100%) and dated x ticks."""

    lines: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str, str]] = field(default_factory=list)  # x, date, text-anchor
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = LEFT
    right: int = CHART_WIDTH - RIGHT
    top: int = TOP
    bottom: int = CHART_HEIGHT - BOTTOM


@dataclass
class Progress:
    rows: list[AttemptRow] = field(default_factory=list)
    confusion: Optional[str] = None
    period: Optional[str] = None
    mistakes_left: int = 0
    own_label_sets: list[tuple[str, list[str]]] = field(default_factory=list)
    chart: Chart = field(default_factory=Chart)

    @property
    def labels(self) -> list[str]:
        return list(STANDARD_LABELS)


def day(moment: datetime, year: bool = True) -> str:
    """A date as a learner reads it in sentences ("3 Dec 2025") and on the chart ("3 Dec")."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(display_zone())
    return f"{local.day} {local.strftime('%b %Y' if year else '%b')}"


def learner_progress(session: Session, user: models.User) -> Progress:
    """Every attempt with its score and per-label accuracy (standard labels), oldest first."""
    progress = Progress()
    latest: dict[int, tuple[Any, Any, float]] = {}  # question id -> (question, response, points), newest answer
    for attempt in service.learner_attempts(session, user):
        qset = attempt.question_set
        if qset is not None and not qset.standard_labels:
            labels = service.set_labels(qset)
            pairs = [(service.item_question(i), i.answer.response) for i in attempt.items if i.answer]
            lines = service.label_sentences(service.label_results(pairs, labels), labels)
            progress.own_label_sets.append((qset.title, lines))
        accuracy: dict[str, Optional[float]] = {key: None for key in STANDARD_LABELS}
        standard = [i for i in attempt.items if i.answer and i.version.question.question_set.standard_labels]
        if qset is None or qset.standard_labels:
            pairs = [(service.item_question(i), i.answer.response) for i in standard]
            for result in service.label_results(pairs, dict(STANDARD_LABELS)):
                accuracy[result.label.key] = result.right / result.total
        for item in sorted((i for i in attempt.items if i.answer), key=lambda i: i.answer.answered_at):
            latest[item.version.question_id] = (item, item.answer.response, item.answer.points)
        title = qset.title if qset else gettext("Practise my mistakes")
        shown = (percent(attempt.points or 0, attempt.possible)
                 if attempt.finished_at is not None and attempt.possible else None)
        progress.rows.append(AttemptRow(attempt, title, attempt.started_at, shown, accuracy))

    progress.mistakes_left = sum(1 for _i, _r, points in latest.values() if points < 1)
    confusions: dict[tuple[str, str], int] = {}
    now = [(service.item_question(item), response) for item, response, _p in latest.values()
           if item.version.question.question_set.standard_labels]
    for result in service.label_results(now, dict(STANDARD_LABELS)):
        for chosen, n in result.taken_for.items():
            confusions[(result.label.key, chosen)] = confusions.get((result.label.key, chosen), 0) + n
    if confusions:
        (truth, chosen), n = max(confusions.items(), key=lambda kv: (kv[1], kv[0]))
        progress.confusion = ngettext(
            "Your most common confusion now: %(what)s taken for %(other)s (%(num)d sentence in your latest answers).",
            "Your most common confusion now: %(what)s taken for %(other)s (%(num)d sentences in your latest answers).",
            n, what=service.plural(STANDARD_LABELS[truth]), other=service.plural(STANDARD_LABELS[chosen]))
    finished = [r for r in progress.rows if r.attempt.finished_at is not None]
    if finished:
        first, last = day(finished[0].when), day(finished[-1].when)
        progress.period = (ngettext("%(num)d finished attempt, on %(first)s.",
                                    "%(num)d finished attempts, from %(first)s to %(last)s.",
                                    len(finished), first=first, last=last)
                           if first != last or len(finished) == 1 else
                           gettext("%(num)s finished attempts, all on %(first)s.", num=len(finished), first=first))
    progress.chart = chart(finished)
    return progress


def chart(rows: list[AttemptRow]) -> Chart:
    """SVG coordinates of each label's accuracy line, one point per finished attempt, with axes."""
    drawn = Chart()
    inner_w, inner_h = drawn.right - drawn.left, drawn.bottom - drawn.top
    drawn.y_ticks = [(round(drawn.top + inner_h * (1 - tick / 100), 1), f"{tick}%") for tick in (0, 50, 100)]
    drawn.lines = {key: [] for key in STANDARD_LABELS}
    if not rows:
        return drawn
    span = max(len(rows) - 1, 1)
    inset = DOT_SPACING + 10  # room for the nudged dots inside the axes
    xs = [drawn.left + inset + (inner_w - 2 * inset) * (n / span if len(rows) > 1 else 0.5) for n in range(len(rows))]
    # each label a few units apart, so equal shares (all three at 100%) stay three visible dots
    nudge = {key: (n - 1) * DOT_SPACING for n, key in enumerate(STANDARD_LABELS)}
    for x, row in zip(xs, rows):
        for key, value in row.accuracy.items():
            if value is not None:
                drawn.lines[key].append((round(x + nudge.get(key, 0), 1), round(drawn.top + inner_h * (1 - value), 1)))
    step = max(1, -(-(len(rows) - 1) // (MAX_DATE_TICKS - 1))) if len(rows) > 1 else 1
    shown = sorted(set(range(0, len(rows), step)) | {len(rows) - 1})
    seen: set[str] = set()
    for n in shown:
        label = day(rows[n].when, year=False)
        if label not in seen:
            seen.add(label)
            anchor = "middle" if len(rows) == 1 else ("start" if n == 0 else "end" if n == len(rows) - 1 else "middle")
            drawn.x_ticks.append((round(xs[n], 1), label, anchor))
    return drawn
