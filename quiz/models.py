"""The database: people and classes, question sets and their versions, attempts and answers."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any, Optional

from flask_login import UserMixin
from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table,
                        UniqueConstraint, false, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_session_key() -> str:
    return secrets.token_urlsafe(32)


# Ids that reach a URL or a cookie are never used twice: SQLite, unlike PostgreSQL's sequences,
# hands the highest id out again once its row is deleted, unless the table is AUTOINCREMENT.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows that match `where` (both databases support these)."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))


class QuestionSet(db.Model):  # type: ignore[name-defined]
    """A set as last imported: its metadata and article; its questions keep every version."""

    __tablename__ = "question_sets"
    __table_args__ = NEVER_REUSE_IDS

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
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    owner: Mapped[Optional[User]] = relationship()
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
    # at most one unfinished attempt per learner and set, per practice token and set, and per
    # learner at their mistakes: the race rules of quiz/attempts.py
    __table_args__ = (
        partial_unique("uq_attempts_open_set", "user_id", "set_id", where="finished_at IS NULL AND kind = 'set'"),
        partial_unique("uq_attempts_open_practice", "practice_token", "set_id", where="finished_at IS NULL"),
        partial_unique("uq_attempts_open_mistakes", "user_id", where="finished_at IS NULL AND kind = 'mistakes'"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[Optional[int]] = mapped_column(ForeignKey("question_sets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("assignments.id", ondelete="SET NULL"),
                                                         index=True)
    practice_token: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="set")
    feedback: Mapped[str] = mapped_column(String(10), default="immediate")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    points: Mapped[Optional[float]] = mapped_column(Float)
    possible: Mapped[int] = mapped_column(Integer, default=0)

    question_set: Mapped[Optional[QuestionSet]] = relationship()
    user: Mapped[Optional[User]] = relationship()
    assignment: Mapped[Optional[Assignment]] = relationship()
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
    response_text: Mapped[str] = mapped_column(String(500), default="")
    points: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[AttemptItem] = relationship(back_populates="answer")
    label_choices: Mapped[list[LabelChoice]] = relationship(back_populates="answer", cascade="all, delete-orphan")


class LabelChoice(db.Model):  # type: ignore[name-defined]
    """One labelling decision inside an answer (a `label` question, or one `sort` item).

    Kept as rows so that class reports count confusions with GROUP BY, not by reading JSON.
    `right` is true for the preferred label and for an accepted second label.
    """

    __tablename__ = "label_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    part: Mapped[int] = mapped_column(Integer, default=0)
    expected: Mapped[str] = mapped_column(String(64))
    chosen: Mapped[str] = mapped_column(String(64))
    right: Mapped[bool] = mapped_column(Boolean)

    answer: Mapped[Answer] = relationship(back_populates="label_choices")


class RateLimit(db.Model):  # type: ignore[name-defined]
    """A rate-limit counter window (see quiz.ratelimit), shared by every app server."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)


class PasswordReset(db.Model):  # type: ignore[name-defined]
    """A one-time code an instructor made for a learner; only its hash is kept."""

    __tablename__ = "password_resets"
    __table_args__ = (partial_unique("uq_password_resets_unused", "user_id", where="used_at IS NULL"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


classroom_instructors = Table(
    "classroom_instructors", db.metadata,
    Column("classroom_id", ForeignKey("classrooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A learner or an instructor. Learners give a username and a password, nothing else."""

    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12), default="learner")
    timezone: Mapped[Optional[str]] = mapped_column(String(64))
    # what the session cookie holds instead of the id; replaced to end every session of the account
    session_key: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_key)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"

    def get_id(self) -> str:
        return self.session_key

    def end_sessions(self) -> None:
        """Signs the account out everywhere: cookies holding the old key no longer sign anyone in."""
        self.session_key = new_session_key()


class Classroom(db.Model):  # type: ignore[name-defined]
    """A class: its instructors (co-teachers), its learners and the sets assigned to it."""

    __tablename__ = "classrooms"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    join_code: Mapped[Optional[str]] = mapped_column(String(12), unique=True)
    # the random key of the form that made the class: the same form sent twice makes one class
    form_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instructors: Mapped[list[User]] = relationship(secondary=classroom_instructors)
    memberships: Mapped[list[Membership]] = relationship(back_populates="classroom", cascade="all, delete-orphan")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="classroom", cascade="all, delete-orphan")


class Membership(db.Model):  # type: ignore[name-defined]
    """A learner in a class; `removed_at` hides them there without erasing anything."""

    __tablename__ = "memberships"

    classroom_id: Mapped[int] = mapped_column(ForeignKey("classrooms.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    removed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    classroom: Mapped[Classroom] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Assignment(db.Model):  # type: ignore[name-defined]
    """A set given to a class, with how it is taken: feedback, attempts, which counts, when."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("classroom_id", "set_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(ForeignKey("classrooms.id", ondelete="CASCADE"), index=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("question_sets.id", ondelete="CASCADE"), index=True)
    feedback: Mapped[str] = mapped_column(String(10), default="immediate")  # immediate | after
    attempts_allowed: Mapped[Optional[int]] = mapped_column(Integer)  # None: unlimited
    counts: Mapped[str] = mapped_column(String(5), default="best")  # best | last | first
    opens_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    shuffle: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the report_* tables hold this assignment's running counts (quiz.report_counts); False: the
    # next set report counts them from scratch
    report_built: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    classroom: Mapped[Classroom] = relationship(back_populates="assignments")
    question_set: Mapped[QuestionSet] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return ((self.opens_at is None or as_utc(self.opens_at) <= now)
                and (self.closes_at is None or now < as_utc(self.closes_at)))


class ReportScore(db.Model):  # type: ignore[name-defined]
    """Running counts of a set report (quiz.report_counts): counted attempts per score decile."""

    __tablename__ = "report_scores"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    decile: Mapped[int] = mapped_column(Integer, primary_key=True)
    learners: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column(Float)
    squares: Mapped[float] = mapped_column(Float)
    ratios: Mapped[float] = mapped_column(Float)  # the sum of points / possible


class ReportQuestion(db.Model):  # type: ignore[name-defined]
    """Running counts of a set report: the sums per question that facility and discrimination
    need (x: the answer's points; rest: the other points of its attempt)."""

    __tablename__ = "report_questions"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    answers: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column(Float)
    squares: Mapped[float] = mapped_column(Float)
    rest: Mapped[float] = mapped_column(Float)
    rest_squares: Mapped[float] = mapped_column(Float)
    products: Mapped[float] = mapped_column(Float)


class ReportWrongAnswer(db.Model):  # type: ignore[name-defined]
    """Running counts of a set report: answers scoring under 1, per version and answer text."""

    __tablename__ = "report_wrong_answers"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    response_text: Mapped[str] = mapped_column(String(500), primary_key=True)
    question_id: Mapped[int] = mapped_column(Integer)
    answers: Mapped[int] = mapped_column(Integer)


class ReportLabel(db.Model):  # type: ignore[name-defined]
    """Running counts of a set report: the label confusion matrix, (right label, label shown)."""

    __tablename__ = "report_labels"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    expected: Mapped[str] = mapped_column(String(64), primary_key=True)
    shown: Mapped[str] = mapped_column(String(64), primary_key=True)
    choices: Mapped[int] = mapped_column(Integer)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class LiveSession(db.Model):  # type: ignore[name-defined]
    """A set run live in class: the one row every screen follows (see quiz.live).

    `state` is lobby, open, closed or ended; `position` the question on screen (None in the
    lobby); `versions` the question versions asked, fixed at the start so late joiners get the
    same ones. `version` goes up by one at each change of state: a screen that polls with the
    version it has shown is told "not modified" until something changes. `running_classroom_id`
    is the class's id while the session runs and None once it ends: its unique key lets a class
    run one session at a time, however many Start clicks race.
    """

    __tablename__ = "live_sessions"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(ForeignKey("classrooms.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    running_classroom_id: Mapped[Optional[int]] = mapped_column(Integer, unique=True)
    versions: Mapped[list[int]] = mapped_column(JSON)
    position: Mapped[Optional[int]] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8), default="lobby")
    deadline: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    show_names: Mapped[bool] = mapped_column(Boolean, default=False)
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    classroom: Mapped[Classroom] = relationship()
    assignment: Mapped[Assignment] = relationship()


class LiveParticipant(db.Model):  # type: ignore[name-defined]
    """A learner who joined a live session, and the ordinary attempt their answers go to.

    The primary key (session, learner) makes it one attempt per learner: a reload, a second
    device or a double click finds the same one.
    """

    __tablename__ = "live_participants"

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()
