"""A learner's progress: scores over time, accuracy per label, the commonest confusion."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from flask_babel import gettext, ngettext
from sqlalchemy.orm import Session

from . import attempts as service
from . import models
from .scoring import percent
from .sets.model import STANDARD_LABELS

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 560, 220, 36
LABEL_COLOURS = {"fact": "#1b6ca8", "commentary": "#8a5a00", "opinion": "#a4262c"}


@dataclass
class AttemptRow:
    attempt: models.Attempt
    title: str
    when: datetime
    percent: Optional[int]
    accuracy: dict[str, Optional[float]]


@dataclass
class Progress:
    rows: list[AttemptRow] = field(default_factory=list)
    confusion: Optional[str] = None
    own_label_sets: list[tuple[str, list[str]]] = field(default_factory=list)
    chart: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return list(STANDARD_LABELS)


def learner_progress(session: Session, user: models.User) -> Progress:
    """Every attempt with its score and per-label accuracy (standard labels), oldest first."""
    progress = Progress()
    confusions: dict[tuple[str, str], int] = {}
    for attempt in service.learner_attempts(session, user):
        qset = attempt.question_set
        if qset is not None and not qset.standard_labels:
            labels = service.set_labels(qset)
            pairs = [(service.item_question(i), i.answer.response) for i in attempt.items if i.answer]
            lines = service.label_sentences(service.label_results(pairs, labels), labels)
            progress.own_label_sets.append((qset.title, lines))
        accuracy: dict[str, Optional[float]] = {key: None for key in STANDARD_LABELS}
        if qset is None or qset.standard_labels:
            pairs = [(service.item_question(i), i.answer.response) for i in attempt.items
                     if i.answer and i.version.question.question_set.standard_labels]
            for result in service.label_results(pairs, dict(STANDARD_LABELS)):
                accuracy[result.label.key] = result.right / result.total
                for chosen, n in result.taken_for.items():
                    confusions[(result.label.key, chosen)] = confusions.get((result.label.key, chosen), 0) + n
        title = qset.title if qset else gettext("Practise my mistakes")
        shown = (percent(attempt.points or 0, attempt.possible)
                 if attempt.finished_at is not None and attempt.possible else None)
        progress.rows.append(AttemptRow(attempt, title, attempt.started_at, shown, accuracy))
    if confusions:
        (truth, chosen), n = max(confusions.items(), key=lambda kv: kv[1])
        progress.confusion = ngettext(
            "Your most common confusion: %(what)s taken for %(other)s (%(num)d time).",
            "Your most common confusion: %(what)s taken for %(other)s (%(num)d times).", n,
            what=service.plural(STANDARD_LABELS[truth]), other=service.plural(STANDARD_LABELS[chosen]))
    progress.chart = chart_points([r for r in progress.rows if r.attempt.finished_at is not None])
    return progress


def chart_points(rows: list[AttemptRow]) -> dict[str, list[tuple[float, float]]]:
    """SVG coordinates of each label's accuracy line, one point per finished attempt."""
    points: dict[str, list[tuple[float, float]]] = {key: [] for key in STANDARD_LABELS}
    if not rows:
        return points
    span = max(len(rows) - 1, 1)
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    for n, row in enumerate(rows):
        x = CHART_PAD + inner_w * (n / span if len(rows) > 1 else 0.5)
        for key, value in row.accuracy.items():
            if value is not None:
                points[key].append((round(x, 1), round(CHART_PAD + inner_h * (1 - value), 1)))
    return points
