"""Scoring: one place, pure functions, the rules of DESIGN.md. No Flask, no database.

A response is what the learner chose: a label key (`label`), option letters (`choice`),
indexes of the statement's words (`spot`) or one label key per item (`sort`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .sets.model import Question, SortItem
from .sets.text import marked_words, words


def score_label(answer: str, accept: Iterable[str], chosen: str | None) -> float:
    """1 for the answer or an accepted label, else 0."""
    return 1.0 if chosen is not None and (chosen == answer or chosen in accept) else 0.0


def score_choice(answer: Sequence[str], select_all: bool, chosen: Iterable[str]) -> float:
    """One answer: 1 or 0. Select-all: max(0, (right chosen - wrong chosen) / right options)."""
    picked = set(chosen)
    right = set(answer)
    if not select_all:
        return 1.0 if picked == right else 0.0
    return max(0.0, (len(picked & right) - len(picked - right)) / len(right))


def spot_answer_words(statement: str, phrases: Sequence[str]) -> set[int]:
    """The words a spot answer marks: every word each phrase overlaps, wherever it occurs."""
    return marked_words(statement, phrases)


def score_spot(statement: str, phrases: Sequence[str], chosen: Iterable[int]) -> float:
    """Word-level F1 of the learner's words against the answer's; `[]` wants nothing marked."""
    valid = {w.index for w in words(statement)}
    picked = {i for i in chosen if i in valid}
    target = spot_answer_words(statement, phrases)
    if not target:
        return 1.0 if not picked else 0.0
    overlap = len(picked & target)
    if not overlap:
        return 0.0
    return 2 * overlap / (len(picked) + len(target))


def score_sort(items: Sequence[SortItem], chosen: Sequence[str | None]) -> float:
    """The share of items labelled right, accepted labels counting as right."""
    given = list(chosen) + [None] * (len(items) - len(chosen))
    right = sum(score_label(item.answer, item.accept, label) for item, label in zip(items, given))
    return right / len(items)


def score(question: Question, response: object) -> float:
    """Points (0 to 1) for a response to any question type."""
    if question.type == "label":
        return score_label(str(question.answer), question.accept, response if isinstance(response, str) else None)
    if question.type == "choice":
        chosen = [response] if isinstance(response, str) else list(response or [])  # type: ignore[call-overload]
        return score_choice(tuple(question.answer), question.select_all, chosen)
    if question.type == "spot":
        return score_spot(question.statement, tuple(question.answer), list(response or []))  # type: ignore[call-overload]
    if question.type == "sort":
        return score_sort(question.items, list(response or []))  # type: ignore[call-overload]
    raise ValueError(f"unknown question type {question.type!r}")


def percent(points: float, possible: int) -> int:
    """A quiz score as a whole percentage, as learners see it; halves round up (12.5% is 13%)."""
    return int(100 * points / possible + 0.5 + 1e-9) if possible else 0
