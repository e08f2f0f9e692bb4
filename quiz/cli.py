"""The `quiz` command group: checking, importing and running (also `flask --app quiz ...`)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import resource_path
from .sets import CheckResult, LoadedSet, check_paths, check_sets, load_set


def default_sets() -> str:
    """`questions/` in the current folder, else the site sets shipped with the package."""
    return "questions" if Path("questions").is_dir() else str(resource_path("questions"))


def describe(loaded: LoadedSet) -> str:
    """One line for a set: its questions, label counts and guess score."""
    qset = loaded.set
    counts = ", ".join(f"{key} {n}" for key, n in qset.label_counts().items())
    return (f"{loaded.file}: {qset.id}: {len(qset.questions)} questions; labels {counts}; "
            f"guess score {qset.guess_score():.0%}")


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
    click.echo(f"OK: {len(result.loaded)} set{'s' * (len(result.loaded) != 1)}, {questions} questions")


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


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for a classroom).")
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """One machine: create or migrate the database, import questions/, run the app."""
    from .migrate import upgrade

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    upgrade(app)
    run_import((default_sets(),))
    click.echo(f"Fact or opinion? is running at http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/")
    click.echo("Make the first instructor account with: quiz create-instructor USERNAME")
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


COMMANDS = [check_command, migrate_command, import_command, serve_command]


def make_app():  # type: ignore[no-untyped-def]
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=make_app, add_default_commands=False, add_version_option=False,
             load_dotenv=False)
def main() -> None:
    """Fact or opinion? A media-literacy quiz."""


for _command in COMMANDS:
    main.add_command(_command)

from .draft import draft_command  # noqa: E402
main.add_command(draft_command)
