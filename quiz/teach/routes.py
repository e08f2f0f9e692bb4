"""Routes under /teach/: only instructors, and only their own classes."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import models
from ..db import db

bp = Blueprint("teach", __name__, url_prefix="/teach")


def instructor_required(view: Callable) -> Callable:
    """Signed-in instructors only: others are sent to sign in, or get 404 (not 403)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not current_user.is_instructor:
            abort(404)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/")
@instructor_required
def home():  # type: ignore[no-untyped-def]
    classes = db.session.scalars(
        select(models.Classroom).join(models.classroom_instructors)
        .where(models.classroom_instructors.c.user_id == current_user.id)
        .order_by(models.Classroom.archived, models.Classroom.name)).all()
    return render_template("teach/home.html", classes=classes)
