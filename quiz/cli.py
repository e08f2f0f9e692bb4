"""The `quiz` command group: checking, importing and running (also `flask --app quiz ...`)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .sets import CheckResult, LoadedSet, check_paths, check_sets, load_set

DEFAULT_SETS = "questions"


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
    result = run_check(paths or (DEFAULT_SETS,))
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


@click.group()
def main() -> None:
    """Fact or opinion? A media-literacy quiz."""


main.add_command(check_command)
