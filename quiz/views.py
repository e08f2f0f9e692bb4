"""What every page shares: translations, time display, template helpers, the health check."""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, g, render_template, request, send_from_directory, session
from babel import Locale
from flask_babel import Babel, get_translations
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_eval_context
from markupsafe import Markup
from sqlalchemy import text

from . import PACKAGE_DIR
from .db import db
from .scoring import percent
from .sets.text import marked_segments, word_segments

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PACKAGE_DIR / "translations"))
    babel.init_app(app, locale_selector=choose_locale)
    app.jinja_env.install_gettext_callables(  # in place of flask_babel's, which look up the request's
        gettext=lambda text: request_translations().ugettext(text),  # translations at every string
        ngettext=lambda text, plural, n: request_translations().ungettext(text, plural, n),
        pgettext=lambda context, text: request_translations().upgettext(context, text),
        npgettext=lambda context, text, plural, n: request_translations().unpgettext(context, text, plural, n),
        newstyle=True)
    # `_`, gettext and ngettext as Jinja's newstyle ones behave, in one call instead of three:
    # they run a dozen times on every page
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
    app.static_folder = str(PACKAGE_DIR / "static")
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["percent"] = lambda ratio: percent(ratio or 0, 1)
    app.jinja_env.filters["points"] = shown_points
    app.jinja_env.globals.update(marked_segments=marked_segments, word_segments=word_segments, language=language,
                                 letters="abcdefghijklmnopqrstuvwxyz", spot_tokens=spot_tokens,
                                 label_class=label_class, label_letter=label_letter, chrome=chrome, kept=kept,
                                 macros=macros,
                                 csrf_token=csrf_token)   # in place of Flask-WTF's, which signs on every page
    app.extensions["quiz_kept"] = {}
    app.extensions["quiz_csrf"] = {}
    app.extensions["quiz_translations"] = {}
    app.add_url_rule("/healthz", "healthz", healthz)
    app.config.setdefault("PURGE_EVERY_SECONDS", 3600)
    app.extensions["quiz_purge"] = {"due": 0.0, "lock": threading.Lock()}
    app.after_request(purge_now_and_then)
    app.add_url_rule("/favicon.ico", "favicon", favicon)


@pass_eval_context
def template_gettext(eval_ctx, text: str, **variables):  # type: ignore[no-untyped-def]
    """Jinja's newstyle gettext: the translation, trusted markup when autoescaping, formatted
    with the (escaped) variables; a string with no % is what `% {}` would give, as it is."""
    translations = request_translations()
    found = TRANSLATED.get((translations, text, eval_ctx.autoescape))
    if found is None:
        found = translations.ugettext(text)
        if eval_ctx.autoescape:  # our own catalogue's text is markup, as Jinja's own gettext takes it
            found = Markup(found)  # nosec B704
        keep(TRANSLATED, (translations, text, eval_ctx.autoescape), found)
    return found % variables if variables or "%" in found else found


# A template's strings, translated, by (catalogue, text, autoescape): a page has a dozen, each
# looked up and wrapped on every page before; catalogues are loaded once per process and kept.
TRANSLATED: dict = {}  # type: ignore[type-arg]


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, n: int, **variables):  # type: ignore[no-untyped-def]
    variables.setdefault("num", n)
    found = request_translations().ungettext(singular, plural, n)
    if eval_ctx.autoescape:  # as template_gettext
        found = Markup(found)  # nosec B704
    return found % variables


class Language(NamedTuple):
    """A request's language: its Locale, the Locale's name ("en", "pt_BR"), its tag for HTML's
    lang attribute ("pt-BR") and its translations."""

    locale: Locale
    name: str
    tag: str
    translations: Any


def language() -> Language:
    """This request's language, worked out once per request and kept per locale in this process
    (Flask-Babel's get_locale and get_translations find them through its context, its domain and
    its cache on every call: a page asks a dozen times)."""
    found = g.get("language")
    if found is None:
        locale = choose_locale()
        name = str(locale)
        kept = current_app.extensions["quiz_translations"]
        found = kept.get(name)
        if found is None:   # the catalogues are compiled with the package, never reloaded
            found = keep(kept, name, Language(locale, name, name.replace("_", "-"), get_translations()))
        g.language = found
    return found


def request_translations():  # type: ignore[no-untyped-def]
    return language().translations


CSRF_SLOT = "\x00csrf-token\x00"   # where a kept header takes this request's CSRF token (no username holds a NUL)
KEPT_MOST = 8192                    # entries of each per-process store: a bound, not a policy (a miss works again)


def keep(store: dict, key, value):  # type: ignore[no-untyped-def,type-arg]
    """Puts `value` in one of this process's stores and returns it; a full store is emptied first."""
    if len(store) >= KEPT_MOST:
        store.clear()
    store[key] = value
    return value


def remembered(key: tuple, render) -> Markup:  # type: ignore[no-untyped-def]
    """`render()`, run once per `key`, language and site path and then kept in this process."""
    here = g.get("kept_here")   # a page asks several times: the store, language and path looked up once
    if here is None:
        here = g.kept_here = (current_app.extensions["quiz_kept"], language().name, request.script_root)
    store = here[0]
    full = (key, here[1], here[2])
    found = store.get(full)
    return found if found is not None else keep(store, full, render())


def chrome(name: str) -> Markup:
    """A part of every page's frame (`templates/chrome/`: the head's links, the site header),
    kept per account, since it is the same on every page they see; the sign-out form's CSRF
    token is put in on each request (Markup.replace escapes it). The head's links are the same
    for everyone (SHARED_CHROME): kept once, without asking who is signed in."""
    who = None
    if name not in SHARED_CHROME:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        who = (user.role, user.username) if user.is_authenticated else None
    html = remembered(("chrome", name, who), lambda: chrome_markup(name))
    return html.replace(CSRF_SLOT, csrf_token()) if CSRF_SLOT in html else html


SHARED_CHROME = {"head"}   # parts of templates/chrome/ that name no one (no user, no form)
CSRF_RESIGN_AFTER = 60   # seconds


def csrf_token() -> str:
    """Flask-WTF's signed CSRF token for this session (what `generate_csrf` gives), signed once a
    minute per session and process instead of on every page: a token is good for an hour
    (WTF_CSRF_TIME_LIMIT), so one signed within the minute is good for 59 more. Forms that call
    `generate_csrf` themselves get the same token for the rest of the request."""
    if "csrf_token" not in g:
        raw = session.get("csrf_token")
        signed = current_app.extensions["quiz_csrf"]
        found = signed.get(raw) if isinstance(raw, str) else None
        if found is not None and time.monotonic() - found[1] < CSRF_RESIGN_AFTER:
            g.csrf_token = found[0]
        else:
            token = generate_csrf()   # first: it makes the session's raw token if there is none (and sets g's)
            keep(signed, session["csrf_token"], (token, time.monotonic()))
    return g.csrf_token


def chrome_markup(name: str) -> Markup:
    rendered = render_template(f"chrome/{name}.html", csrf_placeholder=CSRF_SLOT)
    # the output of our own template, escaped as it was rendered
    return Markup(rendered)  # nosec B704


def kept(key: tuple, render, *args, **kwargs) -> Markup:  # type: ignore[no-untyped-def]
    """`render(*args, **kwargs)` (a macro, whose output is Markup already), rendered once per
    `key` and language and then kept.

    For the parts of a page that only the question's version and what was answered decide (its
    inputs, its feedback), which every learner of a class is shown alike: `key` must name all of
    it (a set's digest changes with every re-import). Never for anything personal or secret.
    """
    try:
        hash(key)   # most keys are (a label question's answer is a word)
    except TypeError:
        key = frozen(key)
    return remembered(("fragment", key), lambda: render(*args, **kwargs))


def macros(name: str):  # type: ignore[no-untyped-def]
    """The macros of templates/macros/<name>.html, made once per process, for the pages learners
    load most (`{% set q = macros("questions") %}`). A `{% from ... import %}` checks, on every
    render, whether the page has globals the macros' template lacks: about a twentieth of a
    question page. Only for macros that use nothing but the environment's globals."""
    return current_app.jinja_env.get_template(f"macros/{name}.html").module


def frozen(value):  # type: ignore[no-untyped-def]
    """A key made hashable: lists (an answer's choices, an option order) become tuples."""
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    return value


@cache
def available_locales() -> list[str]:
    """English, and every language with a compiled catalogue in quiz/translations/ (read once:
    catalogues are compiled when the package is built)."""
    folder = PACKAGE_DIR / "translations"
    return ["en"] + sorted(p.name for p in folder.iterdir() if (p / "LC_MESSAGES" / "messages.mo").exists()) \
        if folder.is_dir() else ["en"]


def choose_locale() -> Locale:
    """The browser's preferred language among those the site has, worked out once per
    Accept-Language header in each process (browsers send the same one on every request).
    Only headers of an ordinary length are kept, so the store's size stays bounded in bytes."""
    header = request.headers.get("Accept-Language", "")
    chosen = CHOSEN_LOCALES.get(header)
    if chosen is None:
        chosen = Locale.parse(request.accept_languages.best_match(available_locales()) or "en")
        if len(header) <= LANGUAGE_HEADER_KEPT:
            keep(CHOSEN_LOCALES, header, chosen)
    return chosen


CHOSEN_LOCALES: dict[str, Locale] = {}   # Flask-Babel takes a Locale as it is
LANGUAGE_HEADER_KEPT = 200               # characters: browsers send a few dozen


def display_zone() -> ZoneInfo:
    """The instructor's own time zone if set, else QUIZ_TIMEZONE (default UTC)."""
    name = getattr(current_user, "timezone", None) if current_user and current_user.is_authenticated else None
    for candidate in (name, current_app.config.get("QUIZ_TIMEZONE"), "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def localtime(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    zone = display_zone()
    try:
        local = moment.astimezone(zone)
    except OverflowError:  # a date by year 1 or 9999, stored before the forms bounded dates
        local, zone = moment.astimezone(timezone.utc), ZoneInfo("UTC")
    return f"{local.strftime(fmt)} {zone.key}"


def purge_now_and_then(response):  # type: ignore[no-untyped-def]
    """Clears week-old practice attempts about once an hour in each server process.

    It runs after the response has gone out, so no learner waits for it, and it needs no cron
    job nor `quiz serve`: every deployment that serves requests forgets old practice.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["quiz_purge"]
    now = time.monotonic()
    if now < state["due"] or not state["lock"].acquire(blocking=False):
        return response
    try:
        if now < state["due"]:
            return response
        state["due"] = now + app.config["PURGE_EVERY_SECONDS"]
    finally:
        state["lock"].release()

    def purge() -> None:
        from .attempts import forget_old_practice
        from .db import writing

        with app.app_context():
            try:
                with writing():
                    forget_old_practice(db.session)
                    db.session.commit()
            except Exception:  # noqa: BLE001 - a busy database now means another try next hour
                db.session.rollback()
                app.logger.warning("Clearing old practice attempts failed; will try again.", exc_info=True)
            finally:
                db.session.remove()

    response.call_on_close(purge)
    return response


# Each standard label has its own colour (quiz.css) and letter, used alike on every page.
LABEL_LETTERS = {"fact": "F", "commentary": "C", "opinion": "O"}


def label_class(key: str) -> str:
    """The CSS class giving a label its colour: a set's own labels share a neutral one."""
    return f"label-{key}" if key in LABEL_LETTERS else "label-other"


def label_letter(key: str, name: str = "") -> str:
    """The letter drawn beside a label's name, so colour is never the only sign."""
    return LABEL_LETTERS.get(key) or (name[:1] or key[:1]).upper()


def shown_points(points: float | None) -> str:
    """Points as learners read them: one decimal, halves up (the rounding rule of percent), no ".0"."""
    tenths = int(10 * (points or 0) + 0.5 + 1e-9)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def spot_tokens(statement: str) -> list[tuple[str, str, int, str, bool]]:
    """A spot statement as (before, word, index, after, space follows) tokens.

    Punctuation sticks to its word (an opening quote to the word after it, a comma, a full stop
    or a free-standing dash to the word before), so it never floats between the word boxes.
    """
    tokens: list[list] = []
    before = ""
    for run, index in word_segments(statement):
        if index is not None:
            tokens.append([before, run, index, "", False])
            before = ""
        elif not tokens:
            before = run.strip()
        elif not any(c.isspace() for c in run):  # glued on both sides: "war—and"
            tokens[-1][3] += run
        else:
            first, *middle, last = re.split(r"\s+", run)
            tokens[-1][3] += first + "".join(" " + piece for piece in middle if piece)
            tokens[-1][4] = True
            before = last
    if before and tokens:
        tokens[-1][3] += " " + before
    return [tuple(t) for t in tokens]  # type: ignore[misc]


def favicon():  # type: ignore[no-untyped-def]
    """The site's own small icon, so browsers asking for /favicon.ico find one."""
    return send_from_directory(str(PACKAGE_DIR / "static"), "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)


def healthz():  # type: ignore[no-untyped-def]
    """`ok` when the database answers, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
