"""The database: question sets and their versions, attempts and the answers learners give."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class QuestionSet(db.Model):  # type: ignore[name-defined]
    """A set as last imported: its metadata and article; its questions keep every version."""

    __tablename__ = "question_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    level: Mapped[Optional[str]] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(35), default="en")
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    source: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    labels: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    standard_labels: Mapped[bool] = mapped_column(Boolean, default=True)
    article: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    digest: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(10), default="site")
    path: Mapped[Optional[str]] = mapped_column(String(500))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="question_set", order_by="Question.position", cascade="all, delete-orphan")

    @property
    def current_questions(self) -> list[Question]:
        """The questions the set's file holds now, in file order (retired ones left out)."""
        return [q for q in self.questions if q.position is not None]


class Question(db.Model):  # type: ignore[name-defined]
    """A question by its stable id within a set; `position` is None once the file drops it."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("set_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("question_sets.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[Optional[int]] = mapped_column(Integer)

    question_set: Mapped[QuestionSet] = relationship(back_populates="questions")
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number", cascade="all, delete-orphan")

    @property
    def current(self) -> QuestionVersion:
        return self.versions[-1]


class QuestionVersion(db.Model):  # type: ignore[name-defined]
    """What a question asked and its key at one time. Answers point here, never at the newest.

    `asked` changes only by a new version; `feedback` (why, cues) is updated in place.
    """

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(10))
    asked: Mapped[dict[str, Any]] = mapped_column(JSON)
    asked_hash: Mapped[str] = mapped_column(String(64))
    feedback: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    question: Mapped[Question] = relationship(back_populates="versions")


class Attempt(db.Model):  # type: ignore[name-defined]
    """One go at a set (or at a learner's past mistakes): the questions it asks, in order."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[Optional[int]] = mapped_column(ForeignKey("question_sets.id", ondelete="CASCADE"), index=True)
    practice_token: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    points: Mapped[Optional[float]] = mapped_column(Float)
    possible: Mapped[int] = mapped_column(Integer, default=0)

    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan")


class AttemptItem(db.Model):  # type: ignore[name-defined]
    """The question version an attempt asks at one position: fixed when the attempt starts."""

    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position"), UniqueConstraint("attempt_id", "version_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    option_order: Mapped[Optional[list[int]]] = mapped_column(JSON)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version: Mapped[QuestionVersion] = relationship()
    answer: Mapped[Optional[Answer]] = relationship(back_populates="item", cascade="all, delete-orphan",
                                                    uselist=False)


class Answer(db.Model):  # type: ignore[name-defined]
    """What a learner answered to one item of an attempt, stored the moment it is submitted."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"), unique=True)
    response: Mapped[Any] = mapped_column(JSON)
    points: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[AttemptItem] = relationship(back_populates="answer")
