"""Reading a learner's answer out of a submitted form, strictly: a forged value is refused."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..security import is_number
from ..sets.model import Question
from ..sets.text import words

LETTERS = "abcdefghijklmnopqrstuvwxyz"


class AnswerProblem(ValueError):
    """An answer that cannot be stored; the message tells the learner what to do."""


def read_response(form: MultiDict, question: Question, label_keys: list[str]) -> Any:
    """The response to store for a question, in the shape `quiz.scoring` expects."""
    if question.type == "label":
        chosen = form.get("label", "")
        if chosen not in label_keys:
            raise AnswerProblem(_("Choose one of the labels, then press Check."))
        return chosen
    if question.type == "choice":
        letters = LETTERS[:len(question.options)]
        chosen = form.getlist("option")
        if not chosen or any(c not in letters for c in chosen) or len(set(chosen)) != len(chosen):
            raise AnswerProblem(_("Choose an option, then press Check.") if not question.select_all
                                else _("Choose at least one option, then press Check."))
        if not question.select_all and len(chosen) != 1:
            raise AnswerProblem(_("Choose one option."))
        return sorted(chosen)
    if question.type == "spot":
        count = len(words(question.statement))
        raw = form.getlist("word")
        if not all(is_number(r) and int(r) < count for r in raw):
            raise AnswerProblem(_("Select words from the sentence."))
        return sorted({int(r) for r in raw})
    if question.type == "sort":
        labels = [form.get(f"item-{n}", "") for n in range(len(question.items))]
        missing = [str(n + 1) for n, label in enumerate(labels) if label not in label_keys]
        if missing:
            raise AnswerProblem(_("Label every sentence: sentence %(n)s has no label yet.", n=", ".join(missing)))
        return labels
    raise AnswerProblem(_("This question cannot be answered."))
