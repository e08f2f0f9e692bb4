"""Security that every route gets: headers, CSRF, sign-in sessions and safe redirects."""
from __future__ import annotations

import hmac
import time
from datetime import timedelta
from functools import cache
from typing import Optional
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, bytes_to_int
from werkzeug.routing import IntegerConverter
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect, same_origin

from .db import Prepared, db
from .sets.loader import MAX_FILE_BYTES

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says why on its own
# No "fresh login" checks: nothing here asks for one, and the account's session key (checked on
# every request, changed by signing out everywhere) is what ends a session. Flask-Login's
# default would hash the address and browser name on every request to mark sessions stale.
login_manager.session_protection = None

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                           "object-src 'none'; frame-ancestors 'none'")
FORM_LIMIT = 64 * 1024                          # any form a person types into
UPLOAD_LIMIT = MAX_FILE_BYTES + FORM_LIMIT      # a set file at its limit, plus the form around it
# Set-file uploads, and pasted articles (100,000 characters, each up to 9 bytes once form-encoded):
# large enough that their own forms, not a 413, say what is too long.
UPLOAD_ENDPOINTS = {"teach.sets", "teach.draft"}
HSTS = "max-age=31536000"  # a year; no includeSubDomains: a school's other hosts are not ours to decide


class BoundedInt(IntegerConverter):
    """Ids in URLs: a number too big for the database is simply not found (404), not an error."""

    def __init__(self, url_map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def refuse_oversized_requests() -> None:
    """413 before a byte of an oversized body is read: Content-Length is checked first, and a body
    sent without one (chunked) is cut off by Werkzeug at the same limit."""
    asked = request._get_current_object()  # type: ignore[attr-defined]  # one context lookup, not four
    limit = UPLOAD_LIMIT if asked.endpoint in UPLOAD_ENDPOINTS else FORM_LIMIT
    asked.max_content_length = asked.max_form_memory_size = limit
    if (asked.content_length or 0) > limit:
        abort(413)


def refuse_malformed_forms() -> None:
    """A form no person could have typed is refused: unreadable field names, NUL characters."""
    if request.method != "POST":
        return
    for key, values in request.form.lists():
        if not isinstance(key, str) or "\x00" in key or any("\x00" in value for value in values):
            abort(400)


def check_csrf() -> None:
    """Flask-WTF's CSRF check, on the methods it protects (POST, PUT, PATCH, DELETE) of every
    route. No route is exempt, and none may be: `csrf.exempt` is not consulted."""
    config = current_app.config
    if request.method in config["WTF_CSRF_METHODS"] and config["WTF_CSRF_ENABLED"] and config["WTF_CSRF_CHECK_DEFAULT"] \
            and request.endpoint:   # no route: a 404 or 405 follows, and no view runs
        if not known_csrf_token(config):
            csrf.protect()
            remember_csrf_token()


CSRF_KEPT_MOST = 4096   # verified tokens kept per process: a bound, not a policy


def submitted_csrf_token() -> str:
    """The token a request sends, found where Flask-WTF's own check finds it."""
    token = csrf._get_csrf_token()   # noqa: SLF001 - the form field (prefixed too), then the headers
    return token if isinstance(token, str) else ""


def known_csrf_token(config) -> bool:  # type: ignore[no-untyped-def]
    """Whether the request's CSRF token passes Flask-WTF's checks without verifying its signature
    again: a token whose signature this process has verified (a signature is the same every
    time) is still checked against the session's own token, its age against the time limit,
    and, over HTTPS, the referrer against this host. Anything else takes Flask-WTF's own check,
    which says what is wrong. A learner's every answer is a POST; the signature check is a
    twentieth of its work."""
    found = current_app.extensions["quiz_csrf_verified"].get(submitted_csrf_token())
    if found is None:
        return False
    raw, signed_at = found
    age, limit = time.time() - signed_at, config["WTF_CSRF_TIME_LIMIT"]
    secure = request.is_secure and config["WTF_CSRF_SSL_STRICT"]
    if age < 0 or (limit is not None and age > limit) or not hmac.compare_digest(session.get("csrf_token", ""), raw) \
            or (secure and not (request.referrer and same_origin(request.referrer, f"https://{request.host}/"))):
        return False
    g.csrf_valid = True   # as Flask-WTF marks a checked request
    return True


def remember_csrf_token() -> None:
    """After Flask-WTF's check passed: the token, the session token it matched and when it was
    signed (the middle part of an itsdangerous timed token)."""
    token = submitted_csrf_token()
    parts = token.rsplit(".", 2)   # payload, time, signature
    if len(parts) != 3:   # not what Flask-WTF signs (it has passed, so this is never expected)
        return
    kept = current_app.extensions["quiz_csrf_verified"]
    if len(kept) >= CSRF_KEPT_MOST:
        kept.clear()
    kept[token] = (session["csrf_token"], bytes_to_int(base64_decode(parts[1])))


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    app.before_request(refuse_oversized_requests)  # before anything reads the body
    app.before_request(refuse_malformed_forms)  # before the CSRF check, which trips on such names
    hooks, processors = list(app.before_request_funcs[None]), list(app.template_context_processors[None])
    csrf.init_app(app)
    # Flask-WTF's hook looks up the view's exemptions on every request, GETs included, before it
    # asks the method: check_csrf asks the method first. Its context processor hands every
    # template its `generate_csrf` as csrf_token, which shadows the global quiz.views.csrf_token
    # (a token signed once a minute, not on every page).
    app.before_request_funcs[None][:] = [*hooks, check_csrf]
    app.extensions["quiz_csrf_verified"] = {}
    app.template_context_processors[None][:] = processors
    login_manager.init_app(app)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("PREFER_HTTPS"))
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("PREFER_HTTPS"))
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    # Idle expiry: a signed-in session is re-signed on the requests it makes (at most once a
    # minute), and a cookie signed longer ago than this is refused, so 12 hours without a request
    # end the session server-side.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config.get("SESSION_IDLE_HOURS", 12)))
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    app.session_interface = ResignedCookieSessions()
    if app.config.get("PREFER_HTTPS"):
        app.config["PREFERRED_URL_SCHEME"] = "https"
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.after_request(security_headers)


class ResignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with less work on the many requests that change nothing.

    - A cookie already verified in this process is not verified again: its decoded contents are
      kept under its exact text (a cookie is only ever kept after its signature has checked
      out), and its age is still checked against the idle limit on every request.
    - The idle expiry re-signs an unchanged session at most once a minute (RESIGN_AFTER), not on
      every response, and then signs the payload the browser sent as it is (a fresh timestamp
      and signature) instead of decoding it to JSON and encoding it back.
    - The signing serializer is built once per key set, not twice per request.

    Cookies are exactly Flask's, so either reads the other's.
    """

    RESIGN_AFTER = 60    # seconds: an unchanged session's idle clock restarts to within a minute
    KEPT_MOST = 4096     # verified cookies kept per process: a bound, not a policy

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:  # type: ignore[override]
        if not app.secret_key:
            return None
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        cached = app.extensions.get("quiz_session_serializer")
        if cached is None or cached[0] != keys:
            cached = app.extensions["quiz_session_serializer"] = (keys, super().get_signing_serializer(app), {})
        return cached[1]

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:  # type: ignore[no-untyped-def,override]
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        verified = app.extensions["quiz_session_serializer"][2]   # dropped with the keys that signed them
        found = verified.get(value)
        if found is None:
            try:
                data, signed_at = serializer.loads(value, max_age=int(max_age), return_timestamp=True)
            except BadSignature:
                return self.session_class()
            if len(verified) >= self.KEPT_MOST:
                verified.clear()
            found = verified[value] = (self.serializer.dumps(data), signed_at.timestamp())
        elif time.time() - found[1] > max_age:
            return self.session_class()
        session = self.session_class(self.serializer.loads(found[0]))  # a fresh copy: it may be changed
        session.payload = value.rsplit(".", 2)[0]  # type: ignore[attr-defined]  # what was signed
        session.signed_at = found[1]  # type: ignore[attr-defined]
        return session

    def should_set_cookie(self, app: Flask, session) -> bool:  # type: ignore[no-untyped-def]
        if session.modified:
            return True
        signed_at = getattr(session, "signed_at", None)
        return bool(session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
                    and (signed_at is None or time.time() - signed_at >= self.RESIGN_AFTER))

    def save_session(self, app: Flask, session, response: Response) -> None:  # type: ignore[no-untyped-def]
        payload = getattr(session, "payload", None)
        if payload is None or session.modified or not session or not self.should_set_cookie(app, session):
            return super().save_session(app, session, response)
        if session.accessed:
            response.vary.add("Cookie")
        serializer = self.get_signing_serializer(app)
        response.set_cookie(
            self.get_cookie_name(app), serializer.make_signer(serializer.salt).sign(payload).decode("ascii"),
            expires=self.get_expiration_time(app, session), httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app), path=self.get_cookie_path(app), secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app), samesite=self.get_cookie_samesite(app))
        response.vary.add("Cookie")


SECURITY_HEADERS = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY")]


def security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _value in headers}   # one pass: a route's own header is kept
    headers.extend([(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present])
    if current_app.config.get("PREFER_HTTPS"):
        # browsers then use only https for this host for a year: no later visit starts on plain http
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint == "static":
        headers["Cache-Control"] = "public, max-age=3600"  # CSS and JS: not refetched per page
    else:
        headers["Cache-Control"] = "no-store"  # pages hold answers and names: never cached
    return response


class SignedIn(UserMixin):
    """The signed-in account as a request needs it: id, name, role, time zone and session key,
    read with one plain query on every signed-in request (no ORM object, no password hash).
    A route that changes the account reads its row: `account_row()`."""

    __slots__ = ("id", "username", "role", "timezone", "session_key")

    def __init__(self, id: int, username: str, role: str, timezone: Optional[str], session_key: str):
        self.id, self.username, self.role, self.timezone, self.session_key = id, username, role, timezone, session_key

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"

    def get_id(self) -> str:
        return self.session_key


def account_row():  # type: ignore[no-untyped-def]
    """The signed-in account's row, for a route that changes it; 404 if it was erased since the
    request began (an erasure from the command line, between the sign-in check and here)."""
    from flask_login import current_user

    from .models import User

    user = db.session.get(User, current_user.id)
    if user is None:
        abort(404)
    return user


def signed_in_as(user: SignedIn) -> None:
    """Hands Flask-Login the signed-in account for this request, when a route has read it with
    its own data by the same check `load_user` makes (the session key is the account's current
    one), so that `current_user` costs no query of its own. Flask-Login keeps the request's user
    in `g._login_user` and loads it only when that is missing."""
    g._login_user = user


@login_manager.user_loader
def load_user(session_key: str) -> Optional[SignedIn]:
    """The account whose current session key the cookie holds (never a bare row id)."""
    if plausible_session_key(session_key) is None:
        return None
    rows = signed_in_query().rows(db.session, {"session_key": session_key})
    return SignedIn(*rows[0]) if rows else None


def plausible_session_key(key: object) -> Optional[str]:
    """The session key a cookie holds, or None where it cannot be any account's (not text,
    empty, longer than the column), so it is never sent to the database."""
    return key if isinstance(key, str) and 0 < len(key) <= 64 else None


@cache
def signed_in_query() -> Prepared:
    """Built once, and run as a `Prepared` statement: it runs on every signed-in request."""
    from sqlalchemy import bindparam, select

    from .models import User

    return Prepared(select(User.id, User.username, User.role, User.timezone, User.session_key).where(
        User.session_key == bindparam("session_key")))


def is_number(text: str) -> bool:
    """Plain ASCII digits only ("²" and "٣" are digits to str.isdigit, not to int's callers here)."""
    return text.isascii() and text.isdigit() and len(text) < 10


def safe_next(target: Optional[str]) -> Optional[str]:
    """`next=` only to a path on this site: no scheme, no host, no `//` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target
