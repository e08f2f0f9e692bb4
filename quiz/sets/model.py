"""The question-set data a loaded format-1 file becomes: plain, immutable values."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TYPES = ("label", "choice", "spot", "sort")
LEVELS = ("beginner", "intermediate", "advanced")
VISIBILITIES = ("public", "classes")

DEFAULT_PROMPTS = {
    "label": "Is this a reported fact, commentary or opinion?",
    "spot": "Select the words that signal opinion or commentary.",
    "sort": "Label each sentence, reading it in context.",
}


@dataclass(frozen=True)
class Label:
    """One label a learner can choose: its key, its name and the definition shown to learners."""

    key: str
    name: str
    definition: str


STANDARD_LABELS: dict[str, Label] = {
    "fact": Label("fact", "Reported fact",
                  "A checkable claim: says what happened or what is the case, in a way that could be "
                  "checked against evidence (records, documents, recordings, observation). It may "
                  "still be false: checkable is the test, not true. \u201cPutin said X\u201d reports "
                  "a fact about what Putin said."),
    "commentary": Label("commentary", "Commentary",
                        "Goes beyond the reported facts to interpret, explain, predict or guess at "
                        "motives and hidden meaning: an inference the writer draws, which the "
                        "evidence at hand cannot settle."),
    "opinion": Label("opinion", "Opinion",
                     "Judges (good or bad, loaded or emotional words, sarcasm, rhetorical questions) "
                     "or says what should be done; rests on values and beliefs."),
}


@dataclass(frozen=True)
class SortItem:
    """One sentence of a `sort` question, labelled in the context of its passage."""

    text: str
    answer: str
    why: str
    accept: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """One question of a set. Which fields matter depends on `type` (see DESIGN.md).

    `answer` is a label key (`label`), a tuple of option letters (`choice`) or a tuple of
    phrases (`spot`); `select_all` is true for a `choice` whose answer is written as a list.
    """

    id: str
    type: str
    prompt: str
    why: str = ""
    statement: str = ""
    options: tuple[str, ...] = ()
    answer: str | tuple[str, ...] = ""
    select_all: bool = False
    accept: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    items: tuple[SortItem, ...] = ()
    line: int = 0

    def asks(self) -> dict[str, Any]:
        """What the question asks and its key: a change here makes a new version."""
        asked: dict[str, Any] = {"type": self.type, "prompt": self.prompt}
        if self.type in ("label", "spot"):
            asked["statement"] = self.statement
        if self.type == "choice":
            asked["options"] = list(self.options)
            asked["select_all"] = self.select_all
        if self.type == "sort":
            asked["items"] = [{"text": i.text, "answer": i.answer, "accept": list(i.accept)}
                              for i in self.items]
        else:
            asked["answer"] = list(self.answer) if isinstance(self.answer, tuple) else self.answer
        if self.type == "label":
            asked["accept"] = list(self.accept)
        return asked

    def feedback(self) -> dict[str, Any]:
        """What explains the answer: a change here updates the version in place."""
        return {"why": self.why, "cues": list(self.cues),
                "items": [{"why": i.why, "cues": list(i.cues)} for i in self.items]}

    @property
    def decisions(self) -> list[tuple[str, tuple[str, ...]]]:
        """The labelling decisions in this question: (preferred label, accepted labels) each."""
        if self.type == "label":
            return [(str(self.answer), self.accept)]
        if self.type == "sort":
            return [(item.answer, item.accept) for item in self.items]
        return []


@dataclass(frozen=True)
class Source:
    headline: str
    publisher: str | None = None
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Section:
    """A part of the article learners can read beside the questions."""

    text: str
    section: str | None = None


@dataclass(frozen=True)
class QuestionSet:
    """A whole format-1 set, as loaded and validated."""

    id: str
    title: str
    questions: tuple[Question, ...]
    summary: str = ""
    level: str | None = None
    language: str = "en"
    visibility: str = "public"
    source: Source | None = None
    labels: dict[str, Label] = field(default_factory=lambda: dict(STANDARD_LABELS))
    standard_labels: bool = True
    article: tuple[Section, ...] = ()

    @property
    def article_text(self) -> str:
        return "\n".join(section.text for section in self.article)

    def label_counts(self) -> dict[str, int]:
        """How many labelling decisions have each preferred label (label questions, sort items)."""
        counts = {key: 0 for key in self.labels}
        for question in self.questions:
            for answer, _accept in question.decisions:
                counts[answer] += 1
        return counts

    def possible_points(self) -> int:
        return len(self.questions)

    def guess_score(self) -> float:
        """What always answering the commonest label scores (see `guess_score`)."""
        return guess_score(self.questions, list(self.labels))

def guess_score(questions: tuple[Question, ...] | list[Question], label_keys: list[str]) -> float:
    """The best score a learner gets by always choosing one label, ignoring the text.

    Each question is worth a point; a `sort` shares its point among its items; `choice` and
    `spot` questions cannot be answered with a label and earn nothing.
    """
    best = 0.0
    for key in label_keys:
        points = 0.0
        for question in questions:
            decisions = question.decisions
            if decisions:
                points += sum(1 for answer, accept in decisions if key == answer or key in accept) / len(decisions)
        best = max(best, points)
    return best / len(questions) if questions else 0.0


def question_from_parts(key: str, asked: dict[str, Any], feedback: dict[str, Any]) -> Question:
    """Rebuilds a question from what a stored version asked and its feedback (see `asks`)."""
    qtype = asked["type"]
    item_feedback = feedback.get("items") or []
    items = tuple(
        SortItem(text=item["text"], answer=item["answer"], accept=tuple(item.get("accept", ())),
                 why=(item_feedback[n]["why"] if n < len(item_feedback) else ""),
                 cues=tuple(item_feedback[n]["cues"]) if n < len(item_feedback) else ())
        for n, item in enumerate(asked.get("items", ())))
    answer = asked.get("answer", "")
    return Question(
        id=key, type=qtype, prompt=asked.get("prompt", ""), why=feedback.get("why", ""),
        statement=asked.get("statement", ""), options=tuple(asked.get("options", ())),
        answer=tuple(answer) if isinstance(answer, list) else answer,
        select_all=bool(asked.get("select_all", False)), accept=tuple(asked.get("accept", ())),
        cues=tuple(feedback.get("cues", ())), items=items)
