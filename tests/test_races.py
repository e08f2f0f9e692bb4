"""Every POST that creates a row, sent twice at the same moment, on both databases.

A double click, a retried request or two tabs send the same form (same cookie, same CSRF
token) twice at once. Each test here does that from two threads, each with its own test client
holding the same cookies (so each request has its own database connection), then counts rows:
one of each thing, and no error page. Several rounds, because a race shows only sometimes.
"""
from __future__ import annotations

import hashlib
import io
import re
import threading
from typing import Callable

from sqlalchemy import func, select

from quiz import accounts, models
from quiz.db import db

from support import SAMPLE_SET, join_as, post_form

ROUNDS = 4


def at_once(*calls: Callable):  # type: ignore[no-untyped-def]
    """Runs the calls in threads released together; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(n: int, call: Callable) -> None:
        barrier.wait()
        try:
            results[n] = call()
        except Exception as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def twin(app, client):  # type: ignore[no-untyped-def]
    """A second tab of the same browser: another client holding the same session cookie."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    if cookie is not None:
        other.set_cookie("session", cookie.value)
    return other


def double_post(app, client, page: str, action: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """The form on `page` submitted twice at once, as a double click sends it (hidden fields too)."""
    html = client.get(page).get_data(as_text=True)
    hidden = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        hidden.setdefault(name.group(1), value.group(1) if value else "")
    assert "csrf_token" in hidden, f"no form on {page}"
    payload = dict(hidden, **(data or {}))
    other = twin(app, client)

    def send(who):  # type: ignore[no-untyped-def]
        # a file is (bytes, name): each request reads a stream of its own
        body = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in payload.items()}
        return who.post(action, data=body, **kwargs)

    replies = at_once(lambda: send(client), lambda: send(other))
    assert all(r.status_code < 500 for r in replies), [r.status_code for r in replies]
    return replies


def count(app, *where, model=models.Attempt) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
        return n


def sign_in(app, username: str, password: str = "teacher-password"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert post_form(client, "/login", {"username": username, "password": password}).status_code == 302
    return client


def test_two_start_clicks_at_once_make_one_practice_attempt(app, sample_set):
    for _round in range(ROUNDS):
        visitor = app.test_client()
        replies = double_post(app, visitor, "/sets/sample/", "/sets/sample/start")
        assert len({r.headers["Location"].split("?")[0] for r in replies}) == 1, "two attempts came back"
    assert count(app) == ROUNDS


def test_two_start_clicks_at_once_keep_an_assignment_to_one_attempt(app, sample_set, make_class):
    class_id = make_class(assign="sample", attempts_allowed=1)
    for n in range(ROUNDS):
        learner = app.test_client()
        join_as(learner, f"racer{n}")
        replies = double_post(app, learner, "/sets/sample/", "/sets/sample/start")
        assert len({r.headers["Location"].split("?")[0] for r in replies}) == 1, "two attempts came back"
        url = replies[0].headers["Location"].split("?")[0]
        post_form(learner, url, {}, action=url + "finish")
        double_post(app, learner, "/sets/sample/", "/sets/sample/start")
    assert count(app) == ROUNDS  # one each: the limit of 1 held
    teacher = sign_in(app, "teacher")
    rows = teacher.get(f"/teach/classes/{class_id}/results.csv").get_data(as_text=True).splitlines()
    assert len(rows) == 1 + ROUNDS


def test_two_joins_at_once_make_one_account_and_one_membership(app, make_class):
    make_class()
    for n in range(ROUNDS):
        newcomer = app.test_client()
        password = "learner-password"
        double_post(app, newcomer, "/join", "/join", {"code": "K7QXM2PA", "username": f"twin{n}",
                                                      "password": password, "confirm": password})
    assert count(app, model=models.User) == 1 + ROUNDS  # the teacher and one account each
    assert count(app, model=models.Membership) == ROUNDS


def test_a_signed_in_learner_joining_twice_at_once_is_in_the_class_once(app, make_class):
    make_class()
    for n in range(ROUNDS):
        make_class(name=f"Extra {n}", code=f"EXTRA{n}AB")
        learner = app.test_client()
        join_as(learner, f"member{n}")
        double_post(app, learner, "/join", "/join", {"code": f"EXTRA{n}AB"})
    assert count(app, model=models.Membership) == 2 * ROUNDS


def test_creating_a_class_twice_at_once_makes_one_class(app, make_class):
    make_class()
    teacher = sign_in(app, "teacher")
    for n in range(ROUNDS):
        replies = double_post(app, teacher, "/teach/", "/teach/", {"name": f"Year {n}"})
        assert len({r.headers["Location"] for r in replies}) == 1
    assert count(app, model=models.Classroom) == 1 + ROUNDS
    # a class of the same name made on purpose, from a fresh form, is still made
    post_form(teacher, "/teach/", {"name": "Year 0"})
    assert count(app, model=models.Classroom) == 2 + ROUNDS


def test_assigning_twice_at_once_makes_one_assignment(app, sample_set, make_class):
    teacher_class = make_class()
    teacher = sign_in(app, "teacher")
    for n in range(ROUNDS):
        class_id = make_class(name=f"Set {n}", code=f"ASSIGN{n}A") if n else teacher_class
        double_post(app, teacher, f"/teach/classes/{class_id}/", f"/teach/classes/{class_id}/assignments",
                    {"set_id": "sample", "feedback": "immediate", "counts": "best"})
    assert count(app, model=models.Assignment) == ROUNDS


def test_uploading_a_set_twice_at_once_imports_it_once(app, make_class):
    make_class()
    teacher = sign_in(app, "teacher")
    for n in range(ROUNDS):
        text = SAMPLE_SET.replace("id: sample", f"id: upload-{n}")
        double_post(app, teacher, "/teach/sets/", "/teach/sets/",
                    {"file": (text.encode(), f"upload-{n}.yaml")},
                    content_type="multipart/form-data")
    assert count(app, model=models.QuestionSet) == ROUNDS
    assert count(app, model=models.Question) == 4 * ROUNDS
    assert count(app, model=models.QuestionVersion) == 4 * ROUNDS


def test_practising_mistakes_twice_at_once_makes_one_attempt(app, sample_set, make_class):
    make_class(assign="sample")
    for n in range(ROUNDS):
        learner = app.test_client()
        join_as(learner, f"mistaken{n}")
        url = post_form(learner, "/sets/sample/", {}, action="/sets/sample/start").headers["Location"].split("?")[0]
        post_form(learner, url, {"position": "0", "label": "opinion"})  # wrong
        post_form(learner, url, {}, action=url + "finish")
        replies = double_post(app, learner, "/progress", "/progress/mistakes")
        assert len({r.headers["Location"] for r in replies}) == 1
    assert count(app, models.Attempt.kind == "mistakes") == ROUNDS


def test_making_a_reset_code_twice_at_once_leaves_one_working_code(app, make_class):
    class_id = make_class()
    teacher = sign_in(app, "teacher")
    for n in range(ROUNDS):
        join_as(app.test_client(), f"forgetful{n}")
        with app.app_context():
            user_id = accounts.find_user(db.session, f"forgetful{n}").id
        replies = double_post(app, teacher, f"/teach/classes/{class_id}/",
                              f"/teach/classes/{class_id}/learners/{user_id}/reset")
        shown = {re.search(r'<p class="code big"><strong>([A-Z0-9-]+)</strong>', r.get_data(as_text=True)).group(1)
                 for r in replies}
        working = [code for code in shown if count(app, models.PasswordReset.code_hash == hashlib.sha256(
            code.replace("-", "").encode()).hexdigest(), model=models.PasswordReset)]
        assert len(working) == 1, shown
    assert count(app, models.PasswordReset.used_at.is_(None), model=models.PasswordReset) == ROUNDS


def test_adding_a_co_teacher_twice_at_once_adds_them_once(app, make_class):
    with app.app_context():
        for n in range(ROUNDS):
            accounts.create_user(db.session, f"co{n}", "teacher-password", role="instructor")
        db.session.commit()
    class_id = make_class()
    teacher = sign_in(app, "teacher")
    for n in range(ROUNDS):
        double_post(app, teacher, f"/teach/classes/{class_id}/", f"/teach/classes/{class_id}/coteachers",
                    {"username": f"co{n}"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(models.classroom_instructors)) == 1 + ROUNDS
