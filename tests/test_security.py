"""Security headers on every route, for every role, whatever the status."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from quiz import accounts, models
from quiz.db import db

from support import join_as, post_form

VALUES = {"slug": "sample", "set_id": "sample"}


def every_get_url(app, ids: dict[str, int]) -> list[str]:
    """Each GET route of the app, its parameters filled with real ids of this world."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        values = {arg: VALUES.get(arg, ids.get(arg, 1)) for arg in rule.arguments}
        with app.test_request_context():
            urls.append(app.url_for(rule.endpoint, **values))
    urls.append("/static/quiz.css")
    return sorted(set(urls))


@pytest.mark.parametrize("role", ["anonymous", "learner", "instructor"])
def test_every_route_sends_the_security_headers(app, sample_set, make_class, role):
    class_id = make_class(assign="sample")
    learner = app.test_client()
    join_as(learner, "header-learner")
    started = post_form(learner, "/sets/sample/", {}, action="/sets/sample/start")
    attempt_id = int(started.headers["Location"].strip("/").split("/")[-1])
    with app.app_context():
        user_id = accounts.find_user(db.session, "header-learner").id
        assert db.session.scalar(select(models.Classroom.id)) == class_id
    client = {"anonymous": app.test_client(), "learner": learner}.get(role)
    if client is None:
        client = app.test_client()
        post_form(client, "/login", {"username": "teacher", "password": "teacher-password"})
    ids = {"attempt_id": attempt_id, "class_id": class_id, "user_id": user_id}
    urls = every_get_url(app, ids)
    assert len(urls) >= 20
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        headers = response.headers
        policy = headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, url
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("Referrer-Policy") == "same-origin", url
        assert headers.get("X-Frame-Options") == "DENY", url
        if url.startswith("/static/"):
            assert "max-age" in headers["Cache-Control"], url
        else:
            assert headers["Cache-Control"] == "no-store", url


def test_session_cookie_is_httponly_and_samesite(app, make_class):
    make_class()
    client = app.test_client()
    response = join_as(client, "cookie-learner")
    cookie = next(value for key, value in response.headers.items() if key == "Set-Cookie" and value.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_when_https_is_preferred(db_url, tmp_path):
    from quiz import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "x", "PREFER_HTTPS": True})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("https", [True, False])
def test_strict_transport_security_is_sent_only_when_https_is_preferred(db_url, https):
    from quiz import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "x", "PREFER_HTTPS": https})
    for url in ("/", "/login", "/healthz", "/no-such-page", "/static/quiz.css"):
        header = app.test_client().get(url, base_url="https://localhost").headers.get("Strict-Transport-Security")
        assert header == ("max-age=31536000" if https else None), url
    with app.app_context():
        db.engine.dispose()
