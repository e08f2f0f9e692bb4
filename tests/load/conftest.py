"""Shared pieces of the load, crash and deployment tests: a world of classes on real servers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from quiz import accounts, create_app, models
from quiz.db import db

from serverkit import JOIN_CODE


def make_class_for(database_url: str, set_id: str = "load") -> None:
    """An instructor's class with the load set assigned, made through the models."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        teacher = accounts.create_user(db.session, "load-teacher", "teacher-password", role="instructor")
        classroom = models.Classroom(name="Load", join_code=JOIN_CODE)
        classroom.instructors.append(teacher)
        db.session.add(classroom)
        db.session.flush()
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == set_id))
        db.session.add(models.Assignment(classroom_id=classroom.id, set_id=qset.id, attempts_allowed=1))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def world(db_url, tmp_path):
    """A migrated, imported database with one class, as a release would leave it."""
    from serverkit import label_set, release

    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "load.yaml").write_text(label_set(), encoding="utf-8")
    release(db_url, sets, tmp_path)
    make_class_for(db_url)
    return db_url
