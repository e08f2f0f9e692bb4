"""Reading grade of a set's explanations: the Flesch-Kincaid grade level, computed here.

Grade = 0.39 x (words per sentence) + 11.8 x (syllables per word) - 15.59, the US school grade
a reader needs. Syllables are counted by vowel groups (a silent final e dropped), the usual
approximation: good to about a grade for school prose, which is all an author needs to see
whether a `why` reads at about grade 8 (age 13-14).
"""
from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")
_VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Vowel groups in a word, less a silent final e; at least one."""
    word = word.lower().replace("\u2019", "'").split("'")[0] or word.lower()
    count = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


def reading_grade(texts: list[str]) -> float | None:
    """The Flesch-Kincaid grade of the texts read together; None when they hold no words.

    Each text counts as at least one sentence, so a `why` without a full stop is still one.
    """
    sentences = words = syllable_count = 0
    for text in texts:
        found = _WORD.findall(text)
        if not found:
            continue
        words += len(found)
        syllable_count += sum(syllables(w) for w in found)
        sentences += max(1, len(_SENTENCE_END.findall(text.strip() + " ")))
    if not words:
        return None
    return 0.39 * words / sentences + 11.8 * syllable_count / words - 15.59
