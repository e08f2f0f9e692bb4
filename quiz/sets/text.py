"""Matching rules of format 1: how statements split into words and how phrases find them.

Curly and straight quotes match each other; a word is a run of letters and digits joined by
inner apostrophes or hyphens; a phrase marks every word it overlaps, wherever it occurs.
"""
from __future__ import annotations

import re
from typing import NamedTuple

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u02bc": "'", "\u2032": "'", "\u00b4": "'", "\u201b": "'",
                         "\u201e": '"', "\u201f": '"'})
_WORD = re.compile(r"[^\W_]+(?:['\u2019\u2018\u02bc-][^\W_]+)*")


class Word(NamedTuple):
    """One word of a statement: its text and where it stands."""

    index: int
    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """Text for comparison: quotes straightened and lower case, same length as the input."""
    straight = text.translate(_QUOTES)
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in straight)


def words(statement: str) -> list[Word]:
    """The words of a statement in order, numbered from 0."""
    return [Word(i, m.group(), m.start(), m.end()) for i, m in enumerate(_WORD.finditer(statement))]


def contains(statement: str, phrase: str) -> bool:
    """True when the phrase occurs in the statement (quotes and case aside)."""
    folded = fold(phrase).strip()
    return bool(folded) and folded in fold(statement)


def phrase_spans(statement: str, phrase: str) -> list[tuple[int, int]]:
    """Every (start, end) where the phrase occurs in the statement, quotes and case aside."""
    haystack, needle = fold(statement), fold(phrase).strip()
    spans: list[tuple[int, int]] = []
    if not needle:
        return spans
    start = haystack.find(needle)
    while start != -1:
        spans.append((start, start + len(needle)))
        start = haystack.find(needle, start + 1)
    return spans


def marked_words(statement: str, phrases: list[str] | tuple[str, ...]) -> set[int]:
    """Indexes of the words that any of the phrases overlaps, at every occurrence."""
    spans = [span for phrase in phrases for span in phrase_spans(statement, phrase)]
    return {w.index for w in words(statement)
            if any(w.start < end and start < w.end for start, end in spans)}


def in_article(sentence: str, article: str) -> bool:
    """True when the sentence stands word for word in the article (quotes, case, spacing aside)."""
    squash = lambda s: " ".join(fold(s).split())  # noqa: E731 - a one-line normaliser
    return squash(sentence) in squash(article)
