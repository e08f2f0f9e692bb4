"""The `quiz` command group: checking, importing and running (also `flask --app quiz ...`)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from . import resource_path
from .scoring import percent
from .sets import CheckResult, LoadedSet, check_paths, check_sets, load_set
from .sets.model import sort_blind_share


def default_sets() -> str:
    """`questions/` in the current folder, else the site sets shipped with the package."""
    return "questions" if Path("questions").is_dir() else str(resource_path("questions"))


def describe(loaded: LoadedSet) -> str:
    """A set's summary: questions, label counts, guess and blind scores, reading grade; then a
    line per `sort` with the best share one label gets right."""
    qset = loaded.set
    counts = ", ".join(f"{key} {n}" for key, n in qset.label_counts().items())
    n = len(qset.questions)
    grade = qset.why_grade()
    line = (f"{loaded.file}: {qset.id}: {n} question{'s' * (n != 1)}; labels {counts}; "
            f"guess score {percent(qset.guess_score(), 1)}%; blind score {percent(qset.blind_score(), 1)}%; "
            f"whys at reading grade {'-' if grade is None else f'{grade:.1f}'}")
    sorts = [f"{q.id} {percent(sort_blind_share(q, list(qset.labels)), 1)}%" for q in qset.questions if q.type == "sort"]
    return line + (f"\n  one label per sort: {', '.join(sorts)}" if sorts else "")


def run_check(paths: tuple[str, ...]) -> CheckResult:
    if paths == ("-",):
        data = sys.stdin.buffer.read()
        return check_sets([("<stdin>", lambda: load_set(data, "<stdin>"))])
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise click.UsageError(f"no such file or folder: {', '.join(missing)}")
    return check_paths(list(paths))


@click.command("check")
@click.argument("paths", nargs=-1)
def check_command(paths: tuple[str, ...]) -> None:
    """Validate set files (default questions/; - reads stdin). No database needed."""
    result = run_check(paths or (default_sets(),))
    for loaded in result.loaded:
        click.echo(describe(loaded))
    for warning in result.warnings:
        click.echo(str(warning))
    for error in result.errors:
        click.echo(str(error))
    if result.errors:
        files = len({e.file for e in result.errors})
        click.echo(f"FAILED: {len(result.errors)} problem{'s' * (len(result.errors) != 1)} "
                   f"in {files} file{'s' * (files != 1)}")
        sys.exit(1)
    if not result.loaded:
        click.echo("No set files found (they end in .yaml or .yml).")
        sys.exit(1)
    questions = sum(len(loaded.set.questions) for loaded in result.loaded)
    click.echo(f"OK: {len(result.loaded)} set{'s' * (len(result.loaded) != 1)}, "
               f"{questions} question{'s' * (questions != 1)}")


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Upgrade the database schema to this release (a deployment step)."""
    from .migrate import upgrade

    upgrade(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Database is up to date: {safe_url()}")


def safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def run_import(paths: tuple[str, ...]) -> bool:
    """Imports set files; prints what was new, updated, unchanged and skipped; True if all clean."""
    from .db import db
    from .importer import import_paths

    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise click.UsageError(f"no such file or folder: {', '.join(missing)}")
    report = import_paths(db.session, list(paths))
    for line in report.lines():
        click.echo(line)
    return not report.errors


@click.command("import")
@click.argument("paths", nargs=-1)
@with_appcontext
def import_command(paths: tuple[str, ...]) -> None:
    """Validate, then import or update sets (default questions/), one transaction per file."""
    if not run_import(paths or (default_sets(),)):
        sys.exit(1)


def address_kind(host: str) -> str:
    """"any" for the every-interface address, "local" for loopback or localhost, else "named"."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "local" if host == "localhost" else "named"
    return "any" if address.is_unspecified else "local" if address.is_loopback else "named"


def database_location() -> str:
    """Where the data lives, for people: the SQLite file's path, else the URL without password."""
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return str(Path(url.database).resolve())
    return safe_url()


def first_line(error: BaseException) -> str:
    """The driver's own words for a failure, without SQLAlchemy's statement and links."""
    reason = getattr(error, "orig", None) or error
    return (str(reason).strip().splitlines() or [type(reason).__name__])[0]


def listen(app, host: str, port: int, threads: int):  # type: ignore[no-untyped-def]
    """A bound, listening waitress server, or a sentence saying why the port cannot be had."""
    import errno

    from waitress.server import create_server

    try:
        # Behind a proxy (TRUSTED_PROXIES) the app reads the forwarded headers itself, so
        # waitress must pass them on rather than strip them as it does by default.
        return create_server(app, host=host, port=port, threads=threads, ident="quiz",
                             clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXIES"])
    except OSError as error:
        if error.errno == errno.EADDRINUSE or getattr(error, "winerror", None) == 10048:
            raise click.ClickException(
                f"port {port} is already in use: another program (or another quiz serve) is "
                f"listening there. Stop it, or choose a free port: quiz serve --port {port + 1}")
        if error.errno in (errno.EACCES, getattr(errno, "WSAEACCES", -1)):
            raise click.ClickException(
                f"not allowed to listen on port {port}: ports below 1024 need administrator "
                f"rights. Choose another: quiz serve --port 5000")
        raise click.ClickException(f"cannot listen on {host}:{port} ({error.strerror or error}). "
                                   f"Check the --host address belongs to this machine.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: 0.0.0.0 lets a classroom reach this machine.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Requests handled at once.")
@with_appcontext
def serve_command(host: str, port: int, threads: int) -> None:
    """One machine: create or migrate the database, import questions/, serve until stopped.

    The server is waitress, a production WSGI server in pure Python (Linux, macOS, Windows).
    Ctrl-C or SIGTERM stops it. Old practice attempts are cleared at start and then hourly
    by the app itself (see `quiz purge`).
    """
    import signal

    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from .db import db
    from .migrate import upgrade

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    server = listen(app, host, port, threads)  # first, so a taken port fails at once
    location = database_location()
    click.echo(f"Database: {location}")
    try:
        upgrade(app)
        if not run_import((default_sets(),)):
            click.echo("Some set files have errors (above); the others were loaded.")
        purge_old_practice()
    except (SQLAlchemyError, CommandError) as error:
        server.close()
        advice = ("Check that its folder exists and is writable and that the file is a quiz database, "
                  "or set DATABASE_URL to another one." if db.engine.dialect.name == "sqlite"
                  else "Check DATABASE_URL and that the database server is running.")
        raise click.ClickException(f"cannot open or upgrade the database at {location}: "
                                   f"{first_line(error)}. {advice}")
    kind = address_kind(host)
    shown = host if kind == "named" else "localhost"
    click.echo(f"Fact or opinion? is running at http://{shown}:{port}/")
    if kind == "any":
        import socket

        click.echo(f"Learners on this network open http://{socket.gethostname()}:{port}/ "
                   f"(or this machine's address).")
    click.echo("Make the first instructor account with: quiz create-instructor USERNAME")
    click.echo("Press Ctrl-C to stop.")

    def stop(_signum, _frame):  # type: ignore[no-untyped-def]
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()  # returns on SystemExit or KeyboardInterrupt, after finishing requests
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("Stopped.")


def purge_old_practice() -> int:
    """Deletes week-old practice attempts in one write transaction; how many went."""
    from .attempts import forget_old_practice
    from .db import db, writing

    with writing():
        removed = forget_old_practice(db.session)
        db.session.commit()
    return removed


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete practice attempts (no account) older than 7 days; for cron."""
    removed = purge_old_practice()
    click.echo(f"Deleted {removed} practice attempt{'s' * (removed != 1)} older than 7 days.")


def read_password(password_file: str | None) -> str:
    """A new password from a file (first line) or asked twice at the terminal."""
    from .auth.forms import MIN_PASSWORD

    if password_file:
        password = Path(password_file).read_text(encoding="utf-8").splitlines()[0] if Path(password_file).stat().st_size else ""
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Password again")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD} characters")
    return password


@click.command("create-instructor")
@click.argument("username")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False), help="Read the password from a file.")
@with_appcontext
def create_instructor_command(username: str, password_file: str | None) -> None:
    """Make an instructor account (the web never makes one)."""
    from . import accounts
    from .auth.forms import USERNAME_RULE
    from .db import db, writing

    if not 3 <= len(username) <= 40 or not USERNAME_RULE.regex.match(username):
        raise click.ClickException("a username has 3 to 40 letters, digits, dots, hyphens or underscores")
    password = read_password(password_file)
    with writing():
        if accounts.create_user(db.session, username, password, role="instructor") is None:
            raise click.ClickException(f"the username {username} is taken")
        db.session.commit()
    click.echo(f"Instructor {accounts.normalise_username(username)} created. Sign in at /login.")


@click.command("set-password")
@click.argument("username")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False), help="Read the password from a file.")
@with_appcontext
def set_password_command(username: str, password_file: str | None) -> None:
    """Set a new password for any account; its other sessions end."""
    from . import accounts
    from .db import db, writing

    password = read_password(password_file)
    with writing():
        user = accounts.find_user(db.session, username)
        if user is None:
            raise click.ClickException(f"no account is called {username}")
        accounts.set_password(user, password)
        db.session.commit()
    click.echo(f"Password changed for {user.username}.")


@click.command("regrade")
@click.argument("set_id")
@with_appcontext
def regrade_command(set_id: str) -> None:
    """Re-score answers to earlier versions with the current wording, after a key fix."""
    from sqlalchemy import select

    from . import models
    from .db import db, writing
    from .regrade import regrade_set

    with writing():
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == set_id))
        if qset is None:
            raise click.ClickException(f"no set has the id {set_id}")
        moved, changed = regrade_set(db.session, qset)
        db.session.commit()
    click.echo(f"Regraded {set_id}: {moved} answers checked against the current key; {changed} scores changed.")


@click.command("export")
@click.argument("class_id", type=int)
@click.argument("kind", type=click.Choice(["results", "responses"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@with_appcontext
def export_command(class_id: int, kind: str, output: str | None) -> None:
    """A class's results.csv or responses.csv, as on the web."""
    from . import exports, models
    from .db import db

    classroom = db.session.get(models.Classroom, class_id)
    if classroom is None:
        raise click.ClickException(f"no class has the id {class_id}")
    chunks = (exports.results_csv if kind == "results" else exports.responses_csv)(db.session, classroom)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as out:
            out.writelines(chunks)
        click.echo(f"Wrote {output}.", err=True)
    else:
        for chunk in chunks:
            click.echo(chunk, nl=False)


@click.group("learner")
def learner_group() -> None:
    """A person's data on request: export it or erase it."""


def person_or_fail(username: str):  # type: ignore[no-untyped-def]
    from . import accounts
    from .db import db

    user = accounts.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no account is called {username}")
    return user


@learner_group.command("export")
@click.argument("username")
@with_appcontext
def learner_export_command(username: str) -> None:
    """All of a person's data as JSON (on stdout)."""
    import json

    from .db import db
    from .privacy import export_person

    click.echo(json.dumps(export_person(db.session, person_or_fail(username)), indent=2, ensure_ascii=False))


@learner_group.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def learner_delete_command(username: str, yes: bool) -> None:
    """Erase a person for good: answers, attempts, memberships, account."""
    from .db import db, writing
    from .privacy import delete_person

    user = person_or_fail(username)
    if not yes:
        click.confirm(f"Erase {user.username} and every answer they gave? This cannot be undone", abort=True)
    with writing():
        delete_person(db.session, person_or_fail(username))
        db.session.commit()
    click.echo(f"Erased {username}: account, attempts, answers and class memberships.")


COMMANDS = [serve_command, create_instructor_command, check_command, import_command, regrade_command,
            export_command, learner_group, set_password_command, migrate_command, purge_command]


def make_app():  # type: ignore[no-untyped-def]
    from . import create_app

    return create_app(from_command_line=True)


class QuizGroup(click.Group):
    """The `quiz` command: the quiz's own commands only, each run inside the app."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        extra.setdefault("obj", ScriptInfo(create_app=make_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx):  # type: ignore[no-untyped-def]
        return list(self.commands)  # in the order a newcomer needs them, serve first


@click.group("quiz", cls=QuizGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="quiz", message="quiz %(version)s")
def main() -> None:
    """Fact or opinion? A media-literacy quiz.

    Start with `quiz serve`; `quiz COMMAND --help` says more about each command.
    """


for _command in COMMANDS:
    main.add_command(_command)

from .draft import draft_command  # noqa: E402
main.add_command(draft_command)
