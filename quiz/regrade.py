"""Regrading after a key fix: answers to earlier versions with the same wording get the new key.

Only the key may differ (answer, accept): the learner saw exactly the words of the current
version, so their answer is moved to it and re-scored. Scores of finished attempts follow.
"""
from __future__ import annotations

from copy import deepcopy
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import models, report_counts
from .attempts import describe_response, item_question, label_choices
from .scoring import score


def wording(asked: dict[str, Any]) -> dict[str, Any]:
    """What a question shows, without its key."""
    shown = deepcopy(asked)
    shown.pop("answer", None)
    shown.pop("accept", None)
    for item in shown.get("items", []):
        item.pop("answer", None)
        item.pop("accept", None)
    return shown


def regrade_set(session: Session, qset: models.QuestionSet) -> tuple[int, int]:
    """Re-scores answers to same-worded earlier versions; returns (answers moved, scores changed)."""
    report_counts.forget(session, models.Assignment.set_id == qset.id)   # scores change: reports recount
    moved = changed = 0
    touched: set[int] = set()
    for question in qset.questions:
        current = question.current
        earlier = [v for v in question.versions[:-1] if wording(v.asked) == wording(current.asked)]
        if not earlier:
            continue
        items = session.scalars(select(models.AttemptItem).where(
            models.AttemptItem.version_id.in_([v.id for v in earlier]))).all()
        for item in items:
            item.version = current
            moved += 1
            touched.add(item.attempt_id)
            if item.answer is None:
                continue
            session.flush()
            question_now = item_question(item)
            new_points = score(question_now, item.answer.response)
            if abs(new_points - item.answer.points) > 1e-9:
                changed += 1
            item.answer.points = new_points
            item.answer.response_text = describe_response(question_now, item.answer.response)
            item.answer.label_choices = [models.LabelChoice(**row)
                                         for row in label_choices(question_now, item.answer.response)]
    session.flush()
    for attempt_id in touched:
        total = (select(func.coalesce(func.sum(models.Answer.points), 0.0))
                 .join(models.AttemptItem, models.AttemptItem.id == models.Answer.item_id)
                 .where(models.AttemptItem.attempt_id == attempt_id).scalar_subquery())
        session.execute(update(models.Attempt).where(models.Attempt.id == attempt_id,
                                                     models.Attempt.finished_at.is_not(None))
                        .values(points=total).execution_options(synchronize_session=False))
    return moved, changed
