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
    attempt_id = int(started.headers["Location"].split("?")[0].strip("/").split("/")[-1])
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
        response.close()  # as a server does: a streamed export (CSV) ends its request here
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


class UnreadBody:
    """A request body of `size` bytes that records how much of it the app reads."""

    def __init__(self, size: int, start: bytes = b""):
        self.size, self.position, self.read_bytes, self.start = size, 0, 0, start

    def tell(self) -> int:  # the test client measures the body by seeking to its end and back
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size + offset if whence == 2 else offset
        return self.position

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        data = (self.start[self.position:self.position + n] + b"a" * n)[:n]
        self.position += n
        self.read_bytes += n
        return data

    def readline(self, n: int = -1) -> bytes:
        return self.read(n if n is not None and 0 <= n < 65536 else 65536)


def refused_unread(client, url: str, size: int, content_type: str) -> None:
    body = UnreadBody(size)
    response = client.post(url, input_stream=body, content_length=size, content_type=content_type)
    assert response.status_code == 413, (url, content_type)
    page = response.get_data(as_text=True)
    assert "larger than this site accepts" in page and "at most 1 MB" in page
    assert body.read_bytes == 0, f"{body.read_bytes:,} bytes of the body were read before refusing it"


FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz"]


@pytest.mark.parametrize("content_type", FORM_TYPES)
def test_an_oversized_anonymous_post_is_refused_before_its_body_is_read(app, content_type):
    refused_unread(app.test_client(), "/login", 60 * 1024 * 1024, content_type)
    refused_unread(app.test_client(), "/join", 100 * 1024, content_type)  # any form: 64 KiB is plenty


def test_an_oversized_upload_is_refused_unread_and_a_file_at_the_limit_reaches_the_loader(app, make_class):
    import io

    from support import csrf_token

    make_class()
    teacher = app.test_client()
    post_form(teacher, "/login", {"username": "teacher", "password": "teacher-password"})
    refused_unread(teacher, "/teach/sets/", 50 * 1024 * 1024, FORM_TYPES[1])
    # just over the set-file limit: the upload arrives and the loader says what is wrong, by line
    big = b"format: 1\nid: big\n#" + b"x" * (1024 * 1024) + b"\n"
    response = teacher.post("/teach/sets/", data={"csrf_token": csrf_token(teacher, "/teach/sets/"),
                                                  "file": (io.BytesIO(big), "big.yaml")},
                            content_type="multipart/form-data")
    assert response.status_code == 422 and "(1 MiB)" in response.get_data(as_text=True)
    # twice the limit: refused whole, with the friendly page
    response = teacher.post("/teach/sets/", data={"csrf_token": csrf_token(teacher, "/teach/sets/"),
                                                  "file": (io.BytesIO(big * 2), "big.yaml")},
                            content_type="multipart/form-data")
    assert response.status_code == 413 and "at most 1 MB" in response.get_data(as_text=True)


def test_an_oversized_body_sent_without_a_length_is_cut_off_at_the_limit(app):
    """Chunked uploads carry no Content-Length: the body is read only up to the form limit."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/login", method="POST", content_type=FORM_TYPES[1]).get_environ()
    part = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.yaml"\r\n\r\n'
    body = UnreadBody(60 * 1024 * 1024, start=part)
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": body, "wsgi.input_terminated": True})  # as gunicorn sets for chunked bodies
    response = app.test_client().open(environ)
    assert response.status_code == 413 and "larger than this site accepts" in response.get_data(as_text=True)
    assert body.read_bytes <= 64 * 1024, f"{body.read_bytes:,} bytes read"


def test_each_session_has_its_own_csrf_token_and_another_sessions_is_refused(app, make_class):
    """The signed CSRF token is kept per session for a minute: the same on the next page for
    the same person, never handed to another, and another person's token fails their form."""
    from support import csrf_token

    make_class()
    amy, ben = app.test_client(), app.test_client()
    join_as(amy, "amy")
    join_as(ben, "ben")
    amys = csrf_token(amy, "/progress")
    assert csrf_token(amy, "/progress") == amys
    bens = csrf_token(ben, "/progress")
    assert bens != amys
    assert ben.post("/logout", data={"csrf_token": amys}).status_code == 400
    assert amy.get("/progress").status_code == 200 and ben.get("/progress").status_code == 200
    assert ben.post("/logout", data={"csrf_token": bens}).status_code == 302
    assert ben.get("/progress").status_code != 200


def test_a_csrf_token_checked_before_is_still_refused_where_flask_wtf_would_refuse_it(app, make_class):
    """A token whose signature this process has checked is not checked again (quiz.security.
    known_csrf_token), but it still fails another person's form, after its time limit, and,
    over HTTPS, from another site's page."""
    import time

    from support import csrf_token

    make_class()
    amy, ben = app.test_client(), app.test_client()
    join_as(amy, "amy")
    join_as(ben, "ben")
    amys = csrf_token(amy, "/progress")
    practise = "/progress/mistakes"   # with nothing to practise: a flash and a redirect, nothing changed
    assert amy.post(practise, data={"csrf_token": amys}).status_code == 302   # checked, and kept
    assert amy.post(practise, data={"csrf_token": amys}).status_code == 302   # known
    assert ben.post(practise, data={"csrf_token": amys}).status_code == 400   # not ben's
    assert amy.post(practise, data={"csrf_token": amys + "x"}).status_code == 400   # not what was signed
    here, elsewhere = {"Referer": "https://localhost/progress"}, {"Referer": "https://evil.example/"}
    assert amy.post(practise, data={"csrf_token": amys}, base_url="https://localhost", headers=here).status_code == 302
    assert amy.post(practise, data={"csrf_token": amys}, base_url="https://localhost",
                    headers=elsewhere).status_code == 400
    assert amy.post(practise, data={"csrf_token": amys}, base_url="https://localhost").status_code == 400
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    time.sleep(2.1)
    assert amy.post(practise, data={"csrf_token": amys}).status_code == 400   # too old now


def test_long_language_headers_are_answered_but_not_kept(app):
    """The language chosen per Accept-Language header is kept per process; a header no browser
    sends (an attacker's, 20,000 characters) is answered in English and not kept, so such
    requests cannot fill the server's memory."""
    from quiz import views

    client = app.test_client()
    before = len(views.CHOSEN_LOCALES)
    for n in range(20):
        header = f"x-{n}," + "en;q=0.5," * 2200
        response = client.get("/login", headers={"Accept-Language": header})
        assert response.status_code == 200 and '<html lang="en">' in response.get_data(as_text=True)
    assert len(views.CHOSEN_LOCALES) == before
    client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "en-GB,en;q=0.9" in views.CHOSEN_LOCALES


def test_a_form_posted_to_no_route_gets_404_or_405_not_the_expired_form_page(client):
    """The CSRF check runs only where a route would take the form: elsewhere the address is
    simply wrong (404), or takes no POST (405)."""
    assert client.post("/no-such-page", data={"x": "1"}).status_code == 404
    assert client.post("/progress", data={"x": "1"}).status_code == 405
    assert client.post("/sets/sample/start", data={}).status_code == 400   # a route: the token is checked


def test_security_headers_are_added_once_and_a_routes_own_is_kept(app):
    from flask import Response

    from quiz.security import security_headers

    with app.test_request_context("/"):
        response = security_headers(Response("x", headers={"X-Frame-Options": "SAMEORIGIN"}))
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert len(response.headers.getlist("Content-Security-Policy")) == 1
    assert response.headers["Referrer-Policy"] == "same-origin" and response.headers["Cache-Control"] == "no-store"
