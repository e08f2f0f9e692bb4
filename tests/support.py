"""Helpers the tests share: constants, skip rules, and forms posted the way a browser does.

Kept out of conftest.py because every conftest.py imports under the one name "conftest":
test modules import these from `support`, which is unambiguous.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from quiz import create_app
from quiz.db import db

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI") == "true"
FAST_HASH = "scrypt:1024:8:1"  # still salted scrypt, cheap enough for hundreds of test accounts


def database_url(kind: str, request, tmp_path: Path) -> str:
    if kind == "sqlite":
        path = tmp_path / "quiz.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("migrated_postgres")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()
    return url


def skip_or_fail(reason: str) -> None:
    """Skips with a message saying how to enable the test; under CI=true, fails instead."""
    if CI:
        pytest.fail(f"CI must run every test: {reason}")
    pytest.skip(reason)


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on a page, read as a browser would."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF_FIELD.search(page)
    assert match, f"no form with a CSRF token on {url}"
    return match.group(1) or match.group(2)


def post_form(client, page_url: str, data: dict, action: str | None = None, **kwargs):
    """Posts a form the way a browser does: token from the page, then the submission."""
    payload = dict(data)
    payload["csrf_token"] = csrf_token(client, page_url)
    return client.post(action or page_url, data=payload, **kwargs)


SAMPLE_SET = """\
format: 1
id: sample
title: Sample set
summary: Four questions, one of each type.
article:
  - section: News summary
    text: |
      Putin met U.S. envoys Steve Witkoff and Jared Kushner. This whole thing feels staged, like a carefully choreographed performance.
questions:
  - id: met
    type: label
    statement: "Putin met U.S. envoys Steve Witkoff and Jared Kushner."
    answer: fact
    why: "Step 3: a meeting can be checked against records."
  - id: which
    type: choice
    prompt: "Which sentence reports a fact?"
    options: ["Putin met U.S. envoys.", "This whole thing feels staged."]
    answer: a
    why: "Step 3: a meeting is on the record; 'feels staged' judges (step 1)."
  - id: staged
    type: spot
    statement: "This whole thing feels staged, like a carefully choreographed performance."
    answer: ["feels staged", "carefully choreographed performance"]
    why: "Step 1: 'staged' and 'choreographed' mock the talks."
    cues: ["feels staged"]
  - id: passage
    type: sort
    items:
      - {text: "Putin met U.S. envoys Steve Witkoff and Jared Kushner.", answer: fact, why: "Step 3: on the record."}
      - {text: "This whole thing feels staged, like a carefully choreographed performance.", answer: opinion, accept: [commentary], why: "Step 1: 'staged' judges.", cues: [staged]}
"""


def join_as(client, username: str, code: str = "K7QXM2PA", password: str = "learner-password"):
    return post_form(client, "/join", {"code": code, "username": username, "password": password,
                                       "confirm": password})


def make_classroom(app, name: str = "Year 9", code: str = "K7QXM2PA", assign: str | None = None,
                   instructor: str = "teacher", **settings) -> int:  # type: ignore[no-untyped-def]
    """A class with a join code and an instructor (made if new), optionally with a set assigned."""
    from sqlalchemy import select

    from quiz import accounts, models

    with app.app_context():
        teacher = accounts.find_user(db.session, instructor) or accounts.create_user(
            db.session, instructor, "teacher-password", role="instructor")
        classroom = models.Classroom(name=name, join_code=code)
        classroom.instructors.append(teacher)
        db.session.add(classroom)
        db.session.flush()
        if assign:
            qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == assign))
            db.session.add(models.Assignment(classroom_id=classroom.id, set_id=qset.id, **settings))
        db.session.commit()
        return classroom.id
