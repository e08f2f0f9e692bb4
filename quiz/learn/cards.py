"""What a set's card and page say before it is started: how many questions, and about how long.

The time is an estimate a learner can plan with, not a limit: reading the article at 200 words
a minute, plus a typical time per decision (a label, an option, a spot, each sorted sentence).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import models

WORDS_PER_MINUTE = 200
SECONDS = {"label": 25, "choice": 35, "spot": 40, "sort_item": 20}


@dataclass
class SetFacts:
    questions: int
    minutes: int


def estimate_minutes(article_words: int, asked: list[dict]) -> int:
    """Minutes to take a set: reading time plus seconds per decision, rounded up, at least 1."""
    seconds = 60 * article_words / WORDS_PER_MINUTE
    for question in asked:
        if question.get("type") == "sort":
            seconds += SECONDS["sort_item"] * len(question.get("items") or [])
        else:
            seconds += SECONDS.get(str(question.get("type")), 30)
    return max(1, math.ceil(seconds / 60))


def set_facts(session: Session, sets: list[models.QuestionSet]) -> dict[int, SetFacts]:
    """Per set id: its current questions and minutes to take it, in one query for all the sets."""
    if not sets:
        return {}
    latest: dict[int, tuple[int, int, dict]] = {}  # question id -> (set id, version number, asked)
    for set_id, question_id, number, asked in session.execute(
            select(models.Question.set_id, models.Question.id, models.QuestionVersion.number,
                   models.QuestionVersion.asked)
            .join(models.QuestionVersion, models.QuestionVersion.question_id == models.Question.id)
            .where(models.Question.set_id.in_([s.id for s in sets]), models.Question.position.is_not(None))):
        if question_id not in latest or number > latest[question_id][1]:
            latest[question_id] = (set_id, number, asked)
    facts = {}
    for qset in sets:
        asked = [a for set_id, _n, a in latest.values() if set_id == qset.id]
        words = sum(len(str(section.get("text", "")).split()) for section in qset.article or [])
        facts[qset.id] = SetFacts(len(asked), estimate_minutes(words, asked))
    return facts
