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
    lowered = straight.lower()
    if len(lowered) == len(straight):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in straight)


def words(statement: str) -> list[Word]:
    """The words of a statement in order, numbered from 0."""
    return [Word(i, m.group(), m.start(), m.end()) for i, m in enumerate(_WORD.finditer(statement))]


def contains(statement: str, phrase: str) -> bool:
    """True when the phrase occurs in the statement as whole words (quotes and case aside)."""
    return bool(phrase_spans(statement, phrase))


def _inside_word(text: str, at: int) -> bool:
    """True when position `at` falls between two letters or digits (not at a word's edge)."""
    return 0 < at < len(text) and text[at - 1].isalnum() and text[at].isalnum()


def phrase_spans(statement: str, phrase: str) -> list[tuple[int, int]]:
    """Every (start, end) where the phrase occurs in the statement, quotes and case aside.

    An occurrence must begin and end at word edges: "as" does not occur in "has".
    """
    haystack, needle = fold(statement), fold(phrase).strip()
    spans: list[tuple[int, int]] = []
    if not needle:
        return spans
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        if not _inside_word(haystack, start) and not _inside_word(haystack, end):
            spans.append((start, end))
        start = haystack.find(needle, start + 1)
    return spans


def marked_words(statement: str, phrases: list[str] | tuple[str, ...]) -> set[int]:
    """Indexes of the words that any of the phrases overlaps, at every occurrence."""
    spans = [span for phrase in phrases for span in phrase_spans(statement, phrase)]
    return {w.index for w in words(statement)
            if any(w.start < end and start < w.end for start, end in spans)}


def squash(text: str) -> str:
    """Text folded for comparison, with every run of spaces and line breaks made one space."""
    return " ".join(fold(text).split())


def in_article(sentence: str, article: str) -> bool:
    """True when the sentence stands word for word in the article (quotes, case, spacing aside)."""
    return squash(sentence) in squash(article)


def marked_segments(statement: str, phrases: list[str] | tuple[str, ...]) -> list[tuple[str, bool]]:
    """The statement cut into (text, marked) runs: marked where a phrase occurs, for `<mark>`."""
    flags = [False] * len(statement)
    for phrase in phrases:
        for start, end in phrase_spans(statement, phrase):
            flags[start:end] = [True] * (end - start)
    runs: list[tuple[str, bool]] = []
    for char, flag in zip(statement, flags):
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + char, flag)
        else:
            runs.append((char, flag))
    return runs


def word_segments(statement: str) -> list[tuple[str, int | None]]:
    """The statement cut into words (with their index) and the text between them (None)."""
    runs: list[tuple[str, int | None]] = []
    at = 0
    for word in words(statement):
        if word.start > at:
            runs.append((statement[at:word.start], None))
        runs.append((word.text, word.index))
        at = word.end
    if at < len(statement):
        runs.append((statement[at:], None))
    return runs
