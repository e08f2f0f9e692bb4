"""Sign-in sessions on both databases: what the cookie holds, and when the server stops taking it.

The cookie holds a random per-account session key, never a row id; signing out, a password
change and erasure replace or remove that key; a session idle for SESSION_IDLE_HOURS is refused.
"""
from __future__ import annotations

import copy
import time
from datetime import timedelta

import itsdangerous
import pytest

from quiz import accounts, create_app
from quiz.db import db

from support import join_as, post_form


def cookie_of(client) -> str:  # type: ignore[no-untyped-def]
    return client.get_cookie("session").value


def replay(app, cookie: str):  # type: ignore[no-untyped-def]
    """A fresh browser holding a copied cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/progress").status_code == 200


def test_an_erased_learners_cookie_never_signs_in_the_next_learner(app, make_class, runner):
    make_class()
    x = app.test_client()
    join_as(x, "xavier")
    with app.app_context():
        x_id = accounts.find_user(db.session, "xavier").id
    saved = cookie_of(x)
    assert runner.invoke(args=["learner", "delete", "xavier", "--yes"]).exit_code == 0
    y = app.test_client()
    join_as(y, "yusuf")
    with app.app_context():
        assert accounts.find_user(db.session, "yusuf").id != x_id  # ids are never handed out again
    replayed = replay(app, saved)
    assert not signed_in(replayed)
    assert signed_in(y)


def test_the_cookie_holds_a_random_session_key_not_the_account_id(app, make_class):
    make_class()
    client = app.test_client()
    join_as(client, "kira")
    with app.app_context():
        user = accounts.find_user(db.session, "kira")
        key, user_id = user.session_key, user.id
    data = app.session_interface.get_signing_serializer(app).loads(cookie_of(client))
    assert data["_user_id"] == key and len(key) >= 40 and str(user_id) not in data["_user_id"].split(":")


def test_a_cookie_replayed_after_sign_out_is_refused(app, make_class):
    make_class()
    laptop = app.test_client()
    join_as(laptop, "lena")
    copied = cookie_of(laptop)
    phone = app.test_client()
    post_form(phone, "/login", {"username": "lena", "password": "learner-password"})
    post_form(laptop, "/progress", {}, action="/logout")
    assert not signed_in(laptop)
    assert not signed_in(replay(app, copied))
    assert not signed_in(phone)  # signing out ends every session of the account
    post_form(laptop, "/login", {"username": "lena", "password": "learner-password"})
    assert signed_in(laptop)


def aged(app, cookie: str, hours: float) -> str:
    """The same session, as if its last request had been `hours` ago."""
    serializer = copy.copy(app.session_interface.get_signing_serializer(app))  # the app's own is shared
    data = serializer.loads(cookie)

    class Then(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - hours * 3600)

    serializer.signer = Then
    return serializer.dumps(data)


def test_a_session_idle_for_twelve_hours_is_refused(app, make_class):
    make_class()
    client = app.test_client()
    join_as(client, "ida")
    cookie = cookie_of(client)
    assert signed_in(replay(app, aged(app, cookie, 11.5)))
    assert not signed_in(replay(app, aged(app, cookie, 12.5)))


def test_each_request_restarts_the_idle_clock(app, make_class):
    make_class()
    client = app.test_client()
    join_as(client, "remy")
    old = aged(app, cookie_of(client), 11.5)
    returning = replay(app, old)
    assert signed_in(returning)
    assert cookie_of(returning) != old  # re-signed now: another 12 hours from this request


@pytest.mark.parametrize("hours,lifetime", [("", timedelta(hours=12)), ("0.5", timedelta(minutes=30))])
def test_the_idle_limit_comes_from_session_idle_hours(monkeypatch, hours, lifetime):
    monkeypatch.setenv("SESSION_IDLE_HOURS", hours)
    app = create_app({"SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.permanent_session_lifetime == lifetime


def test_an_unchanged_session_is_signed_again_as_it_was(app, make_class):
    """A page that changes nothing sends the same session back with a new signature time, in
    Flask's own cookie format (the payload is re-signed, not rebuilt)."""
    from flask.sessions import SecureCookieSessionInterface

    make_class()
    client = app.test_client()
    join_as(client, "noor")
    client.get("/progress")   # shows (and so removes) the "You joined" message
    old = aged(app, cookie_of(client), 1)
    returning = replay(app, old)
    assert signed_in(returning)
    new = cookie_of(returning)
    flask_own = SecureCookieSessionInterface().get_signing_serializer(app)
    data_old, signed_old = flask_own.loads(old, return_timestamp=True)
    data_new, signed_new = flask_own.loads(new, return_timestamp=True)
    assert data_new == data_old and signed_new > signed_old
    assert new.rsplit(".", 2)[0] == old.rsplit(".", 2)[0]


def test_each_person_sees_their_own_name_and_sign_out_form_in_the_header(app, make_class):
    """The header is kept rendered per account: never another person's name or CSRF token."""
    make_class()
    people = {}
    for name in ("amira", "bruno"):
        people[name] = app.test_client()
        join_as(people[name], name)
    for _round in range(2):   # the second round is served from what the first kept
        for name, client in people.items():
            page = client.get("/progress").get_data(as_text=True)
            other = "bruno" if name == "amira" else "amira"
            assert f"Account ({name})" in page and other not in page
    for name, client in people.items():
        assert post_form(client, "/progress", {}, action="/logout").status_code == 302
        assert not signed_in(client)
    page = app.test_client().get("/").get_data(as_text=True)
    assert "Sign in" in page and "Sign out" not in page and "amira" not in page


def test_a_fresh_session_is_not_sent_again_on_every_page(app, make_class):
    """Within a minute of being signed, an unchanged session is not re-sent (no Set-Cookie);
    the same cookie keeps signing the learner in."""
    make_class()
    client = app.test_client()
    join_as(client, "fen")
    client.get("/progress")   # shows (and so removes) the "You joined" message
    cookie = cookie_of(client)
    for _ in range(3):
        response = client.get("/progress")
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert cookie_of(client) == cookie


def test_a_cookie_read_before_is_still_refused_after_the_idle_limit(app, make_class, monkeypatch):
    """Each process keeps the cookies it has verified; the idle limit still holds for them."""
    make_class()
    client = app.test_client()
    join_as(client, "gil")
    cookie = cookie_of(client)
    assert signed_in(replay(app, cookie))   # verified, and kept by this process
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 12.5 * 3600)
    assert not signed_in(replay(app, cookie))


def test_a_cookie_replayed_after_sign_out_cannot_open_the_learners_attempt(app, make_class, sample_set):
    """The question page checks the session's account in the attempt's own query: a copy of
    the cookie kept from before signing out gets a 404 there too, and another learner's as well."""
    make_class(assign=sample_set)
    client = app.test_client()
    join_as(client, "omar")
    url = post_form(client, "/sets/sample/", {}, action="/sets/sample/start").headers["Location"]
    assert "Account (omar)" in client.get(url).get_data(as_text=True)
    copied = cookie_of(client)
    other = app.test_client()
    join_as(other, "pia")
    assert other.get(url).status_code == 404
    post_form(client, "/progress", {}, action="/logout")
    replayed = replay(app, copied).get(url)
    assert replayed.status_code == 404 and "omar" not in replayed.get_data(as_text=True)
