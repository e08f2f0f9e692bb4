"""Real servers for load, crash and deployment tests: gunicorn processes and learner clients.

A `Server` runs `gunicorn 'quiz:create_app()'` on a free port chosen at run time, after the
release steps (`quiz migrate`, `quiz import`). A `Learner` is one browser: a cookie jar and
the forms it reads, speaking plain HTTP to whichever server it is given.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
JOIN_CODE = "LOADTEST"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
POSITION = re.compile(r'name="position" value="(\d+)"')
QUESTION_OF = re.compile(r"Question (\d+) of (\d+)")


def load_size() -> int:
    """Learners in the load test: 30 in the suite's short form; LOAD_LEARNERS=200 for the full one."""
    return int(os.environ.get("LOAD_LEARNERS", "30"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def label_set(questions: int = 20, set_id: str = "load") -> str:
    """A set of `label` questions whose right answer is known from the id (fact, opinion...)."""
    labels = ["fact", "commentary", "opinion"]
    lines = ["format: 1", f"id: {set_id}", "title: Load test set", "questions:"]
    for n in range(questions):
        lines += [f"  - id: q{n}", "    type: label", f'    statement: "Statement number {n} for the load test."',
                  f"    answer: {labels[n % 3]}", '    why: "Step 3: a test statement."']
    return "\n".join(lines) + "\n"


def right_label(position: int) -> str:
    return ["fact", "commentary", "opinion"][position % 3]


@contextmanager
def scratch_postgres(server_url: str, parts: tuple[str, ...] = ("",)) -> Iterator[dict[str, str]]:
    """Fresh databases quiz_bench_<random>_<part> on the PostgreSQL server, dropped at the end
    (connections and all): their URLs by part, for the app's driver."""
    import psycopg
    from sqlalchemy.engine import make_url

    from quiz.config import normalise_database_url

    server = make_url(normalise_database_url(server_url))
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    stem = f"quiz_bench_{uuid.uuid4().hex[:12]}"
    names = {part: f"{stem}_{part}" if part else stem for part in parts}
    created: list[str] = []
    try:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names.values():
                connection.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
        yield {part: server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
               for part, name in names.items()}
    finally:
        if created:
            with psycopg.connect(admin, autocommit=True) as connection:
                for name in created:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WERKZEUG_"))}
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": "load-test-secret-key-0123456789",
                "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    env.update(extra)
    return env


def release(database_url: str, sets: Path, cwd: Path) -> None:
    """The release steps of a deployment: migrate, then import."""
    env = server_env(database_url, FLASK_RUN_FROM_CLI="true")
    for args in (["migrate"], ["import", str(sets)]):
        subprocess.run([str(BIN / "quiz"), *args], env=env, cwd=cwd, check=True, capture_output=True, text=True)


@dataclass
class Server:
    """One gunicorn master and its workers, started in a process group of its own."""

    database_url: str
    cwd: Path
    workers: int = 4
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Server":
        log = open(self.cwd / f"gunicorn-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--timeout", "120", "--graceful-timeout", "5", "quiz:create_app()"],
            env=server_env(self.database_url, **self.extra_env), cwd=self.cwd, stdout=log, stderr=log,
            start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {log.name}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.read() == b"ok":
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@dataclass
class Reply:
    status: int
    body: str
    location: str


class Learner:
    """One learner's browser: cookies, CSRF tokens read from pages, statuses recorded."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.statuses: list[int] = []
        self.token = ""

    def request(self, path: str, data: dict | None = None, base: str | None = None) -> Reply:
        encoded = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request((base or self.base) + path, data=encoded)
        try:
            with self.opener.open(request, timeout=60) as response:
                reply = Reply(response.status, response.read().decode(), response.headers.get("Location", ""))
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.read().decode(errors="replace"), error.headers.get("Location", ""))
        self.statuses.append(reply.status)
        return reply

    def get(self, path: str, base: str | None = None) -> Reply:
        return self.request(path, base=base)

    def post(self, page: str | None, action: str, data: dict, base: str | None = None) -> Reply:
        """Reads the page's CSRF token, then posts the form, as a browser does.

        With no page, the form is sent again with the token already held: a double click.
        """
        if page is not None:
            found = CSRF.search(self.get(page, base=base).body)
            assert found, f"no CSRF token on {page}"
            self.token = found.group(1)
        return self.request(action, {**data, "csrf_token": self.token}, base=base)

    def join(self, code: str, username: str, password: str = "load-test-password") -> Reply:
        return self.post("/join", "/join", {"code": code, "username": username, "password": password,
                                            "confirm": password})

    def login(self, username: str, password: str = "load-test-password", base: str | None = None) -> Reply:
        return self.post("/login", "/login", {"username": username, "password": password}, base=base)

    def start(self, set_id: str, base: str | None = None) -> str:
        reply = self.post(f"/sets/{set_id}/", f"/sets/{set_id}/start", {}, base=base)
        assert reply.status == 302, reply.status
        return urllib.parse.urlsplit(reply.location).path

    def current_position(self, attempt: str, base: str | None = None) -> int | None:
        """The question the server offers next (None when all are answered)."""
        page = self.get(attempt, base=base).body
        found = POSITION.search(page)
        return int(found.group(1)) if found else None

    def answer(self, attempt: str, position: int, label: str, base: str | None = None, again: bool = False) -> Reply:
        return self.post(None if again else attempt, attempt, {"position": str(position), "label": label}, base=base)

    def finish(self, attempt: str, base: str | None = None, again: bool = False) -> Reply:
        return self.post(None if again else attempt, attempt + "finish", {}, base=base)
