#!/usr/bin/env python3
"""Instructions per request, counted by valgrind: figures that do not move with the machine's load.

    .venv/bin/python benchmarks/instructions.py [--requests 200] [--postgres URL]

The request rates of benchmarks/serve.py swing by a third between rounds on shared cores; an
instruction count of the same code, inputs and environment is the same on every run. For each
kind below, one warm process (SQLite in a temporary folder, a signed-in learner with started
attempts, made through the app itself) calls the WSGI app directly, under
`valgrind --tool=callgrind`, which counts only inside the measured loop (`--toggle-collect`):
(a) bare: benchmarks/bare_app.py's "hello" (Flask, no hooks);
(b) hooks: a "hello" route added to the quiz's app, signed in: every hook, the session, headers;
(c) question page: GET /attempts/<id>/, the learner's next question;
(d) step: a learner's step, as a browser takes it: POST an answer (with immediate feedback, the
    reply is its feedback page), answered on the learner's attempts in turn, after another
    learner of the class has answered the same questions alike (as in a class, the question's
    rendered parts are then kept; see quiz.views.kept).
With --postgres URL, each kind runs on a fresh database made on that server (and dropped):
the counts are the app's side only, the driver's included; the server's own work is not counted.
Needs valgrind (apt-get install valgrind). What the counts leave out: gunicorn's HTTP work and
the kernel's (about 0.2 ms of worker CPU a request under benchmarks/serve.py), and the caches
that workers sharing a core take from each other.
"""
from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT / "benchmarks"), str(ROOT / "tests"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

KINDS = {"bare": "bare hello (bare_app.py)", "hooks": "the quiz's hooks around a hello, signed in",
         "question": "question page GET /attempts/<id>/", "step": "learner step: POST /attempts/<id>/ + feedback"}
SETS = 10
SLUGS = [f"bench-{n:02d}" for n in range(SETS)]
QUESTIONS = 20
LABELS = ["fact", "commentary", "opinion"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests counted per kind (steps: at most 200)")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to make scratch databases on "
                        "(default: SQLite in a temporary folder)")
    parser.add_argument("--inside", choices=list(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)   # with --inside: the database's URL
    args = parser.parse_args()
    if args.inside:
        measured_loop(args.inside, args.requests, args.database)
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            requests = min(args.requests, SETS * QUESTIONS) if kind == "step" else args.requests
            out = Path(tmp) / f"{kind}.out"
            with database(args.postgres, tmp, kind) as url:
                done = subprocess.run([valgrind, "--tool=callgrind", "--toggle-collect=functools_reduce",
                                       f"--callgrind-out-file={out}", sys.executable, __file__, "--inside", kind,
                                       "--requests", str(requests), "--database", url],
                                      capture_output=True, text=True)
            found = re.search(r"Collected : (\d+)", done.stderr)
            if done.returncode != 0 or not found:
                sys.exit(f"{kind}: valgrind run failed:\n{done.stderr[-3000:]}\n{done.stdout[-2000:]}")
            counts[kind] = int(found.group(1)) / requests
            print(f"{KINDS[kind]:48} {counts[kind] / 1e6:7.3f} million instructions a request", flush=True)
    print()
    for kind in ("hooks", "question", "step"):
        print(f"{KINDS[kind]:48} {counts[kind] / counts['bare']:7.1f}x the bare hello")


@contextmanager
def database(postgres: str | None, tmp: str, kind: str) -> Iterator[str]:
    """A fresh database's URL: a SQLite file in `tmp`, or a database made on the PostgreSQL server
    and dropped after."""
    if not postgres:
        yield f"sqlite:///{tmp}/{kind}.db"
        return
    from serverkit import scratch_postgres

    with scratch_postgres(postgres) as urls:
        yield urls[""]


def measured_loop(kind: str, requests: int, database_url: str | None) -> None:
    """Inside valgrind: sets up, warms up, then makes `requests` requests inside functools.reduce,
    the one call valgrind counts in."""
    tmp = Path(tempfile.mkdtemp())
    app = quiz_app(tmp, database_url or f"sqlite:///{tmp}/bench.db")
    environ_of, attempts, token = learner(app, "bench-learner")
    if kind == "bare":
        import bare_app
        app, environs = bare_app.app, [environ_of("/")] * requests
    elif kind == "hooks":
        environs = [environ_of("/bench-hello")] * requests
    elif kind == "question":
        environs = [environ_of(attempts[0])] * requests
    else:
        environs = answers(environ_of, attempts, token)[:requests]

    def call(environ: dict, environ_of=environ_of) -> str:  # type: ignore[no-untyped-def]
        """The request's status; a redirect is followed, as a browser would."""
        reply = []
        b"".join(app(dict(environ), lambda s, headers, exc_info=None: reply.append((s, dict(headers)))))
        status, headers = reply[0]
        return call(environ_of(headers["Location"].split("#")[0]), environ_of) if status.startswith("30") else status

    if kind == "step":   # another learner answers alike first
        other_of, others, other_token = learner(app, "bench-other")
        for environ in answers(other_of, others, other_token):
            call(environ, other_of)
    else:
        for _ in range(300):
            call(environs[0])
    statuses = functools.reduce(lambda seen, environ: seen | {call(environ)[:3]}, environs, set())
    if statuses != {"200"}:
        sys.exit(f"{kind}: statuses {statuses}, expected 200")
    shutil.rmtree(tmp, ignore_errors=True)


def answers(environ_of, attempts: list[str], token: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every question of every attempt answered in turn (the same label for the same question)."""
    return [environ_of(attempt, {"csrf_token": token, "position": str(n), "label": LABELS[n % 3]})
            for attempt in attempts for n in range(QUESTIONS)]


def quiz_app(tmp: Path, database_url: str):  # type: ignore[no-untyped-def]
    """The quiz's app on a fresh database with SETS sets assigned to a class."""
    import serve
    from serverkit import label_set, release, server_env

    os.environ.update(server_env(database_url))
    folder = tmp / "sets"
    folder.mkdir()
    for slug in SLUGS:
        (folder / f"{slug}.yaml").write_text(label_set(QUESTIONS, slug), encoding="utf-8")
    release(database_url, folder, tmp)
    serve.make_class(database_url, SLUGS)

    from quiz import create_app
    app = create_app()
    app.add_url_rule("/bench-hello", "bench_hello", lambda: "hello")   # (b), added before any request
    return app


def learner(app, username: str):  # type: ignore[no-untyped-def]
    """A learner who joined the class and started an attempt at each set, through the app's own pages."""
    from werkzeug.test import EnvironBuilder

    from serverkit import CSRF, JOIN_CODE

    client = app.test_client()
    token = CSRF.search(client.get("/join").get_data(as_text=True)).group(1)
    joined = client.post("/join", data={"csrf_token": token, "code": JOIN_CODE, "username": username,
                                        "password": "bench-password", "confirm": "bench-password"})
    assert joined.status_code == 302, joined.status_code
    attempts = []
    for slug in SLUGS:
        token = CSRF.search(client.get(f"/sets/{slug}/").get_data(as_text=True)).group(1)
        attempts.append(client.post(f"/sets/{slug}/start", data={"csrf_token": token}).location.split("?")[0])
    cookie = client.get_cookie("session").value

    def environ_of(path: str, form: dict | None = None) -> dict:
        return EnvironBuilder(path=path, method="POST" if form else "GET", data=form,
                              headers={"Cookie": f"session={cookie}", "Accept-Language": "en-GB,en;q=0.9"}).get_environ()

    return environ_of, attempts, token


if __name__ == "__main__":
    main()
