"""Live class mode: one session row that every screen follows, and ordinary attempts behind it.

The rules, stated once and enforced by the database, as in quiz.attempts:
- State lives in `live_sessions`, never in a process: any app server can serve any screen.
  Every change of state is one conditional UPDATE that also raises `version` (open only from
  the version the instructor saw, close only an open question, end only a running session),
  so a double click or two instructors racing change it once.
- A learner's answers are Answer rows of one ordinary Attempt (one per learner and session:
  the primary key of `live_participants`), stored by quiz.attempts.record_answer, whose
  unique key per item keeps one answer per question.
- An answer is stored only while its question is open. The check and the insert share a
  transaction that holds the session row with FOR SHARE (PostgreSQL; on SQLite the write
  lock of `writing()` does the same), and closing is an UPDATE of that row, so it waits for
  answers in flight: once a close has committed, no answer to that question can arrive.
- A timer's deadline is stored; whichever request first sees it passed closes the question
  (a conditional update, so once); an answer after the deadline is refused even before then.
No Flask here: the views phrase what these functions return.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from .. import models
from ..attempts import active_classroom_ids, finish_attempt, item_question, option_order, record_answer
from ..reports import label_matrix
from ..sets.model import Question, question_from_parts

STALE_AFTER = timedelta(hours=12)  # a session nobody ended stops showing as "live now"
TIMER_CHOICES = (0, 15, 30, 45, 60, 90, 120)


# -- starting and joining ------------------------------------------------------------------------

def load(session: Session, live_id: int) -> Optional[models.LiveSession]:
    """A session with what every screen shows of it (class, set), in one query."""
    return session.scalar(select(models.LiveSession).where(models.LiveSession.id == live_id).options(
        joinedload(models.LiveSession.classroom),
        joinedload(models.LiveSession.assignment).joinedload(models.Assignment.question_set)))


def question_at(session: Session, live: models.LiveSession, position: int) -> tuple[Question, Optional[list[int]]]:
    """The question asked at a position (the version fixed when the session started) and the
    order its options are shown in (see `shown_order`)."""
    version = session.scalar(select(models.QuestionVersion).where(
        models.QuestionVersion.id == live.versions[position]).options(joinedload(models.QuestionVersion.question)))
    return question_from_parts(version.question.key, version.asked, version.feedback), shown_order(live.id, version)


def shown_order(live_id: int, version: models.QuestionVersion) -> Optional[list[int]]:
    """A `choice`'s options shuffled as everywhere, but the same way on every screen of the
    session, so the projector and the class name an option by the same letter."""
    return option_order(version, random.Random(f"live-{live_id}-{version.id}"))  # not a secret  # nosec B311


def own_item(session: Session, attempt_id: int, position: int) -> Optional[models.AttemptItem]:
    """A learner's item at a position, with its answer."""
    return session.scalar(select(models.AttemptItem).where(
        models.AttemptItem.attempt_id == attempt_id, models.AttemptItem.position == position)
        .options(joinedload(models.AttemptItem.answer)))


def running_session(session: Session, classroom_id: int) -> Optional[models.LiveSession]:
    return session.scalar(select(models.LiveSession).where(models.LiveSession.running_classroom_id == classroom_id))


def is_stale(live: models.LiveSession) -> bool:
    return live.state != "ended" and models.as_utc(live.started_at) < models.utcnow() - STALE_AFTER


def start_session(session: Session, classroom: models.Classroom, qset: models.QuestionSet,
                  instructor: models.User) -> tuple[models.LiveSession, bool]:
    """A new live session of a set in a class, or the one already running; (session, created).

    A set not yet assigned to the class is assigned (default settings), so the live attempts
    belong to an assignment and every report and export counts them.
    """
    running = running_session(session, classroom.id)
    if running is not None and is_stale(running):
        end_session(session, running.id)
        running = None
    if running is not None:
        return running, False
    assignment = assignment_of(session, classroom, qset)
    live = models.LiveSession(classroom_id=classroom.id, assignment_id=assignment.id, running_classroom_id=classroom.id,
                              versions=[q.current.id for q in qset.current_questions], state="lobby", version=1,
                              started_by_id=instructor.id)
    try:
        with session.begin_nested():
            session.add(live)
    except IntegrityError:  # another Start won the race: that session is the class's
        return running_session(session, classroom.id), False  # type: ignore[return-value]
    return live, True


def assignment_of(session: Session, classroom: models.Classroom, qset: models.QuestionSet) -> models.Assignment:
    """The class's assignment of the set, made if missing (its unique key settles a race)."""
    def find() -> Optional[models.Assignment]:
        return session.scalar(select(models.Assignment).where(models.Assignment.classroom_id == classroom.id,
                                                              models.Assignment.set_id == qset.id))
    found = find()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            found = models.Assignment(classroom_id=classroom.id, set_id=qset.id)
            session.add(found)
    except IntegrityError:
        found = find()
    return found  # type: ignore[return-value]


def participant(session: Session, live_id: int, user_id: int) -> Optional[models.LiveParticipant]:
    return session.get(models.LiveParticipant, (live_id, user_id))


def join(session: Session, live: models.LiveSession, user: models.User) -> Optional[models.Attempt]:
    """The learner's attempt in this session, made on first join; None once the session has ended.

    The attempt asks the versions fixed at the start, in order, with the session's option
    order (the projector's). A second join (reload, second device) finds it.
    """
    current = locked(session, live.id)
    if current is None or current.state == "ended":
        return None
    existing = participant(session, live.id, user.id)
    if existing is not None:
        return session.get(models.Attempt, existing.attempt_id)
    assignment = session.get(models.Assignment, current.assignment_id)
    attempt = models.Attempt(set_id=assignment.set_id if assignment else None, user_id=user.id,
                             assignment_id=current.assignment_id, kind="live", feedback="immediate",
                             possible=len(current.versions))
    versions = {v.id: v for v in session.scalars(select(models.QuestionVersion).where(
        models.QuestionVersion.id.in_(current.versions)))}
    for position, version_id in enumerate(current.versions):
        attempt.items.append(models.AttemptItem(position=position, version_id=version_id,
                                                option_order=shown_order(live.id, versions[version_id])))
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
            session.add(models.LiveParticipant(session_id=live.id, user_id=user.id, attempt_id=attempt.id))
    except IntegrityError:  # the same learner joined at the same moment elsewhere
        existing = participant(session, live.id, user.id)
        return session.get(models.Attempt, existing.attempt_id) if existing else None
    return attempt


def session_of_attempt(session: Session, attempt_id: int) -> Optional[models.LiveSession]:
    """The live session an attempt belongs to, if any."""
    return session.scalar(select(models.LiveSession).join(
        models.LiveParticipant, models.LiveParticipant.session_id == models.LiveSession.id)
        .where(models.LiveParticipant.attempt_id == attempt_id))


def sessions_now(session: Session, user_id: int) -> list[models.LiveSession]:
    """Running sessions of the classes this learner belongs to, for "Live now: join" on /."""
    user = session.get(models.User, user_id)
    return list(session.scalars(
        select(models.LiveSession).where(models.LiveSession.running_classroom_id.in_(active_classroom_ids(user)),
                                         models.LiveSession.started_at >= models.utcnow() - STALE_AFTER)
        .order_by(models.LiveSession.id)))


# -- the state every screen polls ------------------------------------------------------------------

def locked(session: Session, live_id: int) -> Optional[models.LiveSession]:
    """The session row, held against a close until this transaction ends (PostgreSQL FOR SHARE)."""
    return session.scalar(select(models.LiveSession).where(models.LiveSession.id == live_id)
                          .with_for_update(read=True).execution_options(populate_existing=True))


def deadline_passed(live: models.LiveSession) -> bool:
    return live.state == "open" and live.deadline is not None and models.as_utc(live.deadline) <= models.utcnow()


def seconds_left(live: models.LiveSession) -> Optional[int]:
    if live.state != "open" or live.deadline is None:
        return None
    return max(0, int((models.as_utc(live.deadline) - models.utcnow()).total_seconds() + 0.999))


@dataclass
class LearnerView:
    """What a learner's poll needs: one query's worth."""

    state: str
    position: Optional[int]
    joined: bool
    answered: bool
    deadline_passed: bool

    @property
    def etag(self) -> str:
        # Only what the learner's page shows: showing names on the projector reloads no phone.
        return f'"{self.state}-{self.position}-{int(self.joined)}{int(self.answered)}"'


def _learner_view_statement():  # type: ignore[no-untyped-def]
    part, item, user = models.LiveParticipant, models.AttemptItem, models.User
    return (select(models.LiveSession.state, models.LiveSession.position,
                   models.LiveSession.deadline, part.attempt_id, models.Answer.id)
            .join(models.Classroom, models.Classroom.id == models.LiveSession.classroom_id)
            .join(user, user.session_key == bindparam("session_key"))
            .join(models.Membership, and_(models.Membership.classroom_id == models.LiveSession.classroom_id,
                                          models.Membership.user_id == user.id, models.Membership.removed_at.is_(None)))
            .outerjoin(part, and_(part.session_id == models.LiveSession.id, part.user_id == user.id))
            .outerjoin(item, and_(item.attempt_id == part.attempt_id, item.position == models.LiveSession.position))
            .outerjoin(models.Answer, models.Answer.item_id == item.id)
            .where(models.LiveSession.id == bindparam("live_id"), models.Classroom.archived.is_(False)))


LEARNER_VIEW = _learner_view_statement()  # built once: every learner's screen asks it every 2 s


def learner_view(session: Session, live_id: int, session_key: str) -> Optional[LearnerView]:
    """The session as the signed-in learner sees it, or None unless they are a learner of its class.

    One query, which also finds the account by the session key its cookie holds (a password
    change gives a new key, signing out every other device), so a poll needs no other round trip.
    """
    row = session.execute(LEARNER_VIEW, {"live_id": live_id, "session_key": session_key}).first()
    if row is None:
        return None
    state, position, deadline, attempt_id, answer_id = row
    passed = state == "open" and deadline is not None and models.as_utc(deadline) <= models.utcnow()
    return LearnerView(state, position, attempt_id is not None, answer_id is not None, passed)


@dataclass
class ProjectorView:
    version: int
    joined: int
    answered: int
    deadline_passed: bool

    @property
    def etag(self) -> str:
        return f'"v{self.version}-{self.joined}-{self.answered}"'


def answered_count(live_id: int, position: Any):  # type: ignore[no-untyped-def]
    """A scalar subquery: how many learners have answered the question at `position`."""
    return (select(func.count(models.Answer.id))
            .join(models.AttemptItem, models.AttemptItem.id == models.Answer.item_id)
            .join(models.LiveParticipant, models.LiveParticipant.attempt_id == models.AttemptItem.attempt_id)
            .where(models.LiveParticipant.session_id == live_id, models.AttemptItem.position == position)
            .scalar_subquery())


def projector_view(session: Session, live_id: int, classroom_id: int) -> Optional[ProjectorView]:
    """Counts the projector shows live: who has joined, who has answered the current question.

    None unless the session belongs to the class (whose instructor the caller has checked).
    """
    joined = (select(func.count()).select_from(models.LiveParticipant)
              .where(models.LiveParticipant.session_id == live_id).scalar_subquery())
    row = session.execute(
        select(models.LiveSession.version, models.LiveSession.state, models.LiveSession.deadline,
               joined, answered_count(live_id, models.LiveSession.position))
        .where(models.LiveSession.id == live_id, models.LiveSession.classroom_id == classroom_id)).first()
    if row is None:
        return None
    version, state, deadline, n_joined, n_answered = row
    passed = state == "open" and deadline is not None and models.as_utc(deadline) <= models.utcnow()
    return ProjectorView(version, n_joined, n_answered or 0, passed)


# -- changes of state: each one conditional UPDATE that raises the version -------------------------

def change(session: Session, live_id: int, *conditions: Any, **values: Any) -> bool:
    result = session.execute(update(models.LiveSession)
                             .where(models.LiveSession.id == live_id, *conditions)
                             .values(version=models.LiveSession.version + 1, **values)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def open_next(session: Session, live: models.LiveSession, seen_version: int, seconds: int = 0) -> bool:
    """Opens the next question (the first, from the lobby), only from the state the instructor saw."""
    position = 0 if live.position is None else live.position + 1
    if live.state not in ("lobby", "closed") or position >= len(live.versions):
        return False
    deadline = models.utcnow() + timedelta(seconds=seconds) if seconds else None
    return change(session, live.id, models.LiveSession.version == seen_version,
                  models.LiveSession.state.in_(("lobby", "closed")),
                  position=position, state="open", deadline=deadline)


def close_question(session: Session, live_id: int, position: int) -> bool:
    """Closes the open question at `position` (once; waits for answers in flight)."""
    return change(session, live_id, models.LiveSession.state == "open", models.LiveSession.position == position,
                  state="closed", deadline=None)


def close_if_deadline_passed(session: Session, live_id: int) -> bool:
    """The timer: closes the open question if its deadline has passed (once, whoever asks first)."""
    return change(session, live_id, models.LiveSession.state == "open", models.LiveSession.deadline.is_not(None),
                  models.LiveSession.deadline <= models.utcnow(), state="closed", deadline=None)


def toggle_names(session: Session, live_id: int) -> bool:
    return change(session, live_id, show_names=case((models.LiveSession.show_names.is_(True), False), else_=True))


def end_session(session: Session, live_id: int) -> bool:
    """Ends the session and finishes every participant's attempt (scored once, as any attempt)."""
    if not change(session, live_id, models.LiveSession.state != "ended", state="ended", deadline=None,
                  running_classroom_id=None, ended_at=models.utcnow()):
        return False
    for attempt in session.scalars(select(models.Attempt).join(
            models.LiveParticipant, models.LiveParticipant.attempt_id == models.Attempt.id)
            .where(models.LiveParticipant.session_id == live_id)):
        finish_attempt(session, attempt)
    return True


def submit(session: Session, live_id: int, user_id: int, position: int, response: Any) -> str:
    """Stores a learner's answer to the open question: "stored", "already", "closed" or "not joined"."""
    live = locked(session, live_id)
    if live is None or live.state != "open" or live.position != position or deadline_passed(live):
        return "closed"
    joined = participant(session, live_id, user_id)
    if joined is None:
        return "not joined"
    item = own_item(session, joined.attempt_id, position)
    stored = record_answer(session, item.attempt_id, item.id, item_question(item), response)
    return "stored" if stored else "already"


# -- what the class answered -------------------------------------------------------------------------

def items_at(live_id: int, position: Optional[int] = None):  # type: ignore[no-untyped-def]
    """The attempt items of a session's participants (at one position, or all)."""
    query = (select(models.AttemptItem.id)
             .join(models.LiveParticipant, models.LiveParticipant.attempt_id == models.AttemptItem.attempt_id)
             .where(models.LiveParticipant.session_id == live_id))
    return query.where(models.AttemptItem.position == position) if position is not None else query


@dataclass
class Tally:
    """How the class answered one question: counts only, never names."""

    answered: int = 0
    labels: dict[int, dict[str, int]] = field(default_factory=dict)  # part -> chosen label -> n
    wrong: dict[int, tuple[str, int]] = field(default_factory=dict)  # part -> commonest wrong label, n
    options: dict[str, int] = field(default_factory=dict)  # option letter -> n
    bands: dict[str, int] = field(default_factory=dict)  # right | partly | wrong -> n
    mean: float = 0.0


def tally(session: Session, live_id: int, position: int) -> Tally:
    """Counts of what the class chose at one question, in SQL (GROUP BY)."""
    result = Tally()
    items = items_at(live_id, position)
    band = case((models.Answer.points >= 1, "right"), (models.Answer.points > 0, "partly"), else_="wrong")
    for name, n, total in session.execute(
            select(band.label("band"), func.count(), func.sum(models.Answer.points))
            .where(models.Answer.item_id.in_(items)).group_by("band")):
        result.bands[name] = n
        result.answered += n
        result.mean += total or 0
    result.mean = result.mean / result.answered if result.answered else 0.0
    for part, chosen, right, n in session.execute(
            select(models.LabelChoice.part, models.LabelChoice.chosen, models.LabelChoice.right, func.count())
            .join(models.Answer, models.Answer.id == models.LabelChoice.answer_id)
            .where(models.Answer.item_id.in_(items))
            .group_by(models.LabelChoice.part, models.LabelChoice.chosen, models.LabelChoice.right)):
        result.labels.setdefault(part, {})[chosen] = n
        if not right and (part not in result.wrong or (n, chosen) > (result.wrong[part][1], result.wrong[part][0])):
            result.wrong[part] = (chosen, n)
    for text, n in session.execute(select(models.Answer.response_text, func.count())
                                   .where(models.Answer.item_id.in_(items), models.Answer.response_text.is_not(None))
                                   .group_by(models.Answer.response_text)):
        for letter in (text or "").split(","):
            if len(letter) == 1:
                result.options[letter] = result.options.get(letter, 0) + n
    return result


@dataclass
class Missed:
    position: int
    wrong: int
    answered: int


def session_summary(session: Session, live_id: int) -> tuple[dict[tuple[str, str], int], list[Missed]]:
    """The session's label confusion matrix (an accepted label counts as the right one) and the
    three questions most answered wrongly."""
    matrix = label_matrix(session, items_at(live_id))
    item = models.AttemptItem
    missed = [Missed(position, wrong or 0, n) for position, wrong, n in session.execute(
        select(item.position, func.sum(case((models.Answer.points < 1, 1), else_=0)), func.count())
        .join(models.Answer, models.Answer.item_id == item.id)
        .where(item.id.in_(items_at(live_id))).group_by(item.position))]
    missed = sorted((m for m in missed if m.wrong), key=lambda m: (-m.wrong, m.position))[:3]
    return matrix, missed


def participant_names(session: Session, live_id: int) -> list[str]:
    return list(session.scalars(select(models.User.username)
                                .join(models.LiveParticipant, models.LiveParticipant.user_id == models.User.id)
                                .where(models.LiveParticipant.session_id == live_id).order_by(models.User.username)))
