"""Accounts and class membership, shared by the web and the `quiz` commands."""
from __future__ import annotations

import re
from typing import Optional

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from . import models, report_counts
from .db import inserted

DEFAULT_HASH_METHOD = "scrypt:32768:8:1"  # Werkzeug's default: about 32 MiB and a fraction of a second


def hash_method() -> str:
    """Werkzeug's default scrypt cost; PASSWORD_HASH_METHOD may lower it for tests only."""
    return current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_HASH_METHOD) if has_app_context() \
        else DEFAULT_HASH_METHOD


def hash_password(password: str) -> str:
    """A salted scrypt hash."""
    return generate_password_hash(password, method=hash_method())


def dummy_hash() -> str:
    """A stored-hash look-alike with the real cost: checking a password against it costs one hash
    (the digest itself never matches), as much as checking a real account's password."""
    return f"{hash_method()}$not-a-real-salt${'0' * 128}"


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_user(session: Session, username: str) -> Optional[models.User]:
    return session.scalar(select(models.User).where(models.User.username == normalise_username(username)))


def authenticate(session: Session, username: str, password: str) -> Optional[models.User]:
    user = find_user(session, username)
    if user is None:
        # one hash either way, so that a wrong username takes as long as a wrong password
        check_password_hash(dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def create_user(session: Session, username: str, password: str,
                role: str = "learner") -> Optional[models.User]:
    """The new account, or None if the username is taken (the unique key decides, not a lookup)."""
    user = models.User(username=normalise_username(username), password_hash=hash_password(password),
                       role=role)
    if not inserted(session, user):
        return None
    return user


def set_password(user: models.User, password: str) -> None:
    """New password; every other signed-in session of the account ends."""
    user.password_hash = hash_password(password)
    user.end_sessions()


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def classroom_by_code(session: Session, code: str) -> Optional[models.Classroom]:
    clean = normalise_code(code)
    if not clean:
        return None
    return session.scalar(select(models.Classroom).where(func.upper(models.Classroom.join_code) == clean,
                                                         models.Classroom.archived.is_(False)))


def join(session: Session, user: models.User, classroom: models.Classroom) -> str:
    """Adds the learner to the class: "joined", "already" a member, or "removed" by the teacher.

    A learner the teacher removed stays removed: the code alone does not undo that.
    """
    membership = session.get(models.Membership, (classroom.id, user.id))
    if membership is None and inserted(session, models.Membership(classroom_id=classroom.id, user_id=user.id)):
        return "joined"
    membership = membership or session.get(models.Membership, (classroom.id, user.id), populate_existing=True)
    return "removed" if membership is not None and membership.removed_at is not None else "already"


def remove_from_class(session: Session, membership: models.Membership) -> None:
    """Hides the learner in the class, answers kept; the class's set reports count without them."""
    membership.removed_at = models.utcnow()
    report_counts.forget(session, models.Assignment.classroom_id == membership.classroom_id)


def make_reset_code(session: Session, user_id: int, made_by_id: int, code: str, hours: int) -> None:
    """Stores a new one-time code for the learner (its hash); any unused earlier code stops working.

    One unused code per learner is a partial unique key: if another code was made at the same
    moment (a double click), this one replaces it too.
    """
    import hashlib
    from datetime import timedelta

    unused = delete(models.PasswordReset).where(models.PasswordReset.user_id == user_id,
                                                models.PasswordReset.used_at.is_(None))
    for _try in range(2):
        session.execute(unused)
        if inserted(session, models.PasswordReset(
                user_id=user_id, code_hash=hashlib.sha256(code.encode()).hexdigest(), created_by_id=made_by_id,
                expires_at=models.utcnow() + timedelta(hours=hours))):
            return
    raise RuntimeError("another reset code keeps being made for this learner at the same moment")


def use_reset_code(session: Session, username: str, code: str, password: str) -> Optional[models.User]:
    """Sets a new password with a teacher's one-time code; None if the code is wrong, used or old."""
    import hashlib

    user = find_user(session, username)
    digest = hashlib.sha256(normalise_code(code).encode()).hexdigest()
    if user is None:
        return None
    reset = session.scalar(select(models.PasswordReset).where(
        models.PasswordReset.user_id == user.id, models.PasswordReset.code_hash == digest,
        models.PasswordReset.used_at.is_(None)))
    if reset is None or models.as_utc(reset.expires_at) < models.utcnow():
        return None
    reset.used_at = models.utcnow()
    set_password(user, password)
    return user
