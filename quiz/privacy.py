"""A person's data on request: all of it as JSON, or erased for good."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from . import models, report_counts
from .views_time import iso


def export_person(session: Session, user: models.User) -> dict[str, Any]:
    """Everything stored about one account: the account, classes, attempts and answers."""
    attempts = session.scalars(select(models.Attempt).where(models.Attempt.user_id == user.id)
                               .options(selectinload(models.Attempt.items).selectinload(models.AttemptItem.answer))
                               .order_by(models.Attempt.started_at)).all()
    return {
        "account": {"username": user.username, "role": user.role, "created": iso(user.created_at),
                    "last_seen": iso(user.last_seen_at), "timezone": user.timezone,
                    "credentials": "the password is kept only as a one-way hash, so it cannot be exported"},
        "classes": [{"class": m.classroom.name, "joined": iso(m.joined_at), "removed": iso(m.removed_at)}
                    for m in user.memberships],
        "attempts": [{
            "set": a.question_set.slug if a.question_set else None, "kind": a.kind,
            "started": iso(a.started_at), "finished": iso(a.finished_at), "points": a.points, "possible": a.possible,
            "answers": [{"question": i.version.question.key, "version": i.version.number,
                         "response": i.answer.response, "points": i.answer.points,
                         "answered": iso(i.answer.answered_at)} for i in a.items if i.answer is not None],
        } for a in attempts],
        "sets_uploaded": [s.slug for s in session.scalars(select(models.QuestionSet).where(
            models.QuestionSet.owner_id == user.id))],
        "classes_taught": [c.name for c in session.scalars(
            select(models.Classroom).join(models.classroom_instructors)
            .where(models.classroom_instructors.c.user_id == user.id).order_by(models.Classroom.id))],
        "live_sessions_joined": [{"session": p.session_id, "joined": iso(p.joined_at), "attempt_started": iso(a.started_at)}
                                 for p, a in session.execute(
                                     select(models.LiveParticipant, models.Attempt)
                                     .join(models.Attempt, models.Attempt.id == models.LiveParticipant.attempt_id)
                                     .where(models.LiveParticipant.user_id == user.id)
                                     .order_by(models.LiveParticipant.joined_at))],
        "live_sessions_started": [{"session": live.id, "class": live.classroom.name, "started": iso(live.started_at),
                                   "ended": iso(live.ended_at)} for live in session.scalars(
                                       select(models.LiveSession).where(models.LiveSession.started_by_id == user.id)
                                       .order_by(models.LiveSession.id))],
    }


def delete_person(session: Session, user: models.User) -> None:
    """Erases the account and everything that hangs on it, in one transaction.

    Answers, attempts, memberships, reset codes and co-teaching go with it; sets the person
    uploaded stay for the learners who answered them, with no owner.
    """
    user_id = user.id
    report_counts.forget(session, models.Assignment.classroom_id.in_(   # their classes' reports recount
        select(models.Membership.classroom_id).where(models.Membership.user_id == user_id)))
    attempts = select(models.Attempt.id).where(models.Attempt.user_id == user_id)
    items = select(models.AttemptItem.id).where(models.AttemptItem.attempt_id.in_(attempts))
    answers = select(models.Answer.id).where(models.Answer.item_id.in_(items))
    session.execute(delete(models.LabelChoice).where(models.LabelChoice.answer_id.in_(answers)))
    session.execute(delete(models.Answer).where(models.Answer.item_id.in_(items)))
    session.execute(delete(models.AttemptItem).where(models.AttemptItem.attempt_id.in_(attempts)))
    session.execute(delete(models.Attempt).where(models.Attempt.user_id == user_id))
    session.execute(delete(models.Membership).where(models.Membership.user_id == user_id))
    session.execute(delete(models.PasswordReset).where(models.PasswordReset.user_id == user_id))
    session.execute(update(models.PasswordReset).where(models.PasswordReset.created_by_id == user_id)
                    .values(created_by_id=None))
    session.execute(delete(models.classroom_instructors).where(models.classroom_instructors.c.user_id == user_id))
    session.execute(update(models.QuestionSet).where(models.QuestionSet.owner_id == user_id).values(owner_id=None))
    session.expunge(user)
    session.execute(delete(models.User).where(models.User.id == user_id))
