"""The question-set data a loaded format-1 file becomes: plain, immutable values."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .reading import reading_grade

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
    pin: tuple[str, ...] = ()
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
        """What explains the answer, and pinned options: a change here updates the version in place."""
        shown: dict[str, Any] = {"why": self.why, "cues": list(self.cues),
                                 "items": [{"why": i.why, "cues": list(i.cues)} for i in self.items]}
        if self.pin:
            shown["pin"] = list(self.pin)
        return shown

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
    """Where the article comes from, and the licence that lets a set republish it."""

    headline: str
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    author: str | None = None
    licence: str | None = None


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
        """How many labelling decisions have each preferred label (see `label_counts`)."""
        return label_counts(self.questions, list(self.labels))

    def possible_points(self) -> int:
        return len(self.questions)

    def guess_score(self) -> float:
        """What always answering the commonest label scores (see `guess_score`)."""
        return guess_score(self.questions, list(self.labels))

    def blind_score(self) -> float:
        """What the best blind strategy scores (see `blind_score`)."""
        return blind_score(self.questions, list(self.labels))

    def sorts_won_by_one_label(self) -> list[tuple[Question, str]]:
        """Each `sort` one label answers wholly right, with that label (see `sort_winner`)."""
        won = [(q, sort_winner(q, list(self.labels))) for q in self.questions if q.type == "sort"]
        return [(q, label) for q, label in won if label is not None]

    def why_grade(self) -> float | None:
        """The reading grade of the set's explanations (Flesch-Kincaid; see `reading`)."""
        return reading_grade(self.whys())

    def whys(self) -> list[str]:
        """Every explanation in the set: each question's `why` and each sort item's."""
        return [q.why for q in self.questions if q.why] + [i.why for q in self.questions for i in q.items]


def label_counts(questions: tuple[Question, ...] | list[Question], label_keys: list[str]) -> dict[str, int]:
    """How many labelling decisions have each preferred label (label questions, sort items)."""
    counts = {key: 0 for key in label_keys}
    for question in questions:
        for answer, _accept in question.decisions:
            counts[answer] += 1
    return counts


def guess_score(questions: tuple[Question, ...] | list[Question], label_keys: list[str]) -> float:
    """The best score a learner gets by always choosing one label, ignoring the text.

    Each question is worth a point; a `sort` shares its point among its items; `choice` and
    `spot` questions cannot be answered with a label and earn nothing.
    """
    if not questions:
        return 0.0
    return max(sum(one_label_share(q, key) for q in questions) for key in label_keys) / len(questions)


def one_label_share(question: Question, key: str) -> float:
    """The share of a question's labelling decisions that answering `key` gets right."""
    decisions = question.decisions
    if not decisions:
        return 0.0
    return sum(1 for answer, accept in decisions if key == answer or key in accept) / len(decisions)


def blind_points(question: Question, key: str) -> float:
    """Points for answering without reading: `key` for every label, option a, nothing marked.

    Option a is the author's first option, whatever order learners see: a set keyed a throughout
    tells of a habit a guesser can learn. Points follow the scoring rules of DESIGN.md.
    """
    if question.type == "choice":
        if "a" not in question.answer:
            return 0.0
        return 1.0 / len(question.answer) if question.select_all else float(question.answer == ("a",))
    if question.type == "spot":
        return 1.0 if not question.answer else 0.0
    return one_label_share(question, key)


def blind_score(questions: tuple[Question, ...] | list[Question], label_keys: list[str]) -> float:
    """The best score of the blind strategy (DESIGN.md): one label for every `label` question and
    `sort` item (the best label for the set), the first option of every `choice`, nothing marked
    on every `spot`. A set a reader should pass keeps this at 50% or under.
    """
    if not questions:
        return 0.0
    return max(sum(blind_points(q, key) for q in questions) for key in label_keys) / len(questions)


def sort_winner(question: Question, label_keys: list[str]) -> str | None:
    """The label that answers every item of a `sort` right (preferred or accepted), if one does."""
    return next((key for key in label_keys if one_label_share(question, key) == 1.0), None)


def sort_blind_share(question: Question, label_keys: list[str]) -> float:
    """The best share of a `sort`'s items one label answers right."""
    return max(one_label_share(question, key) for key in label_keys)


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
        select_all=bool(asked.get("select_all", False)), pin=tuple(feedback.get("pin", ())),
        accept=tuple(asked.get("accept", ())),
        cues=tuple(feedback.get("cues", ())), items=items)
