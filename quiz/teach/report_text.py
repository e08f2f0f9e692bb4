"""Item analysis in a teacher's words: a question by what it asks, a wrong answer by what was chosen.

Stored answers keep short codes (a label key, option letters, the words marked), which suit
exports; the report shows the statement or prompt and the option's own text instead.
"""
from __future__ import annotations

from typing import Optional

from flask_babel import gettext as _

from ..sets.model import Label, Question

SHORT = 90


def shorten(text: str, limit: int = SHORT) -> str:
    """At most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def question_text(question: Question) -> str:
    """What a question asks, shortened: the statement for label and spot, else the prompt."""
    if question.type in ("label", "spot"):
        return shorten(question.statement)
    if question.type == "sort" and question.items:
        return shorten(f"{question.prompt} “{question.items[0].text}” …")
    return shorten(question.prompt)


def wrong_answer_text(question: Question, stored: Optional[str], labels: dict[str, Label]) -> Optional[str]:
    """A stored wrong answer as a teacher reads it: label names, option texts, the words marked."""
    if stored is None:
        return None
    name = (lambda key: labels[key].name if key in labels else key)
    if question.type == "label":
        return name(stored)
    if question.type == "choice":
        letters = [letter for letter in stored.split(",") if letter]
        texts = [f"{letter}. {shorten(question.options[ord(letter) - ord('a')], 60)}"
                 for letter in letters if 0 <= ord(letter) - ord("a") < len(question.options)]
        return "; ".join(texts) or _("nothing chosen")
    if question.type == "spot":
        return _("nothing marked") if stored == "(none)" else f"“{shorten(stored, 60)}”"
    return " / ".join(name(key.strip()) for key in stored.split(" / "))
