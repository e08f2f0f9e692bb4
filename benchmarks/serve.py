#!/usr/bin/env python3
"""Serving benchmark: the quiz's pages as ratios of a truly bare Flask "hello", in one run.

    .venv/bin/python benchmarks/serve.py [--postgres URL] [--rounds 4] [--seconds 10] [--client wrk|asyncio]

Two gunicorns started with the same command and worker count (default 4), on two ports: the quiz
as deployed (`gunicorn 'quiz:create_app()'`, after `quiz migrate` and `quiz import`) and
benchmarks/bare_app.py, a plain Flask app whose one route returns "hello" (no hooks, no session,
no headers). 50 signed-in learners (each joined the class with its code and started an attempt
through HTTP) load them in turn:
(a) bare: GET / of the bare app;
(b) question page: GET /attempts/<id>/, the learner's next question;
(c) learner step: POST an answer and see its feedback, as a browser does: the reply is the
    feedback page (200) with immediate feedback; a redirect to it (302) would be followed, and the
    step would be the pair.
As a browser does, each learner keeps the session cookie a reply sets.
Rounds are interleaved (bare, question, step, bare, ...), each window after its own warm-up, and
each round's ratio is taken against the same round's bare rate: min, median and max of the rounds.
The load generator is wrk (apt-get install wrk) when it is installed, else an asyncio client; with
2 CPUs or more it runs on the last CPU and the gunicorns on the others, so that its own work is
not taken from the servers (PostgreSQL, a shared service, is not pinned).
(d) the set report of classes of 30, 300 and 3,000 learners in one database (one finished
20-question attempt each), each class's report fetched in turn by its instructor. The data is
written with INSERT ... SELECT, not by finishing attempts, so no class has the report's running
counts yet (quiz.report_counts), as after `quiz migrate` on an existing database: the first
report of each class counts them from scratch (timed apart and shown), and the timed reports
read them, as every report does once an attempt has been finished through the app.
(e) memory of the quiz's workers after the load.

SQLite files in a temporary folder by default. With --postgres URL, fresh databases
quiz_bench_<random>_serve and _report are made on that server and dropped at the end; the
serving database is analysed (ANALYZE) before each round, as autovacuum would, and the CPU of
its server processes is shown per request when the server runs on this machine.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
for _path in (str(ROOT / "tests"), str(ROOT)):  # serverkit (the load tests' kit), then the checkout's quiz
    if _path not in sys.path:
        sys.path.insert(0, _path)

from serverkit import (CSRF, JOIN_CODE, Learner, free_port, label_set, release, scratch_postgres,  # noqa: E402
                       server_env)

BIN = Path(sys.executable).parent
TARGET_QUESTION = 0.25     # question pages/s, as a share of the bare hello's requests/s
TARGET_STEP = 0.15         # learner steps/s (answer + feedback page), as a share of the same
TARGET_REPORT = 3.0        # set report time, class of 3,000 / class of 30, at most
TARGET_MEMORY_MB = 150     # RSS per worker after the load, less than
TEACHER, TEACHER_PASSWORD = "bench-teacher", "bench-teacher-password"
QUESTIONS = 20             # `label` questions per set, as real sets
CLASSES = (30, 300, 3000)  # learners of the report's classes
KINDS = {"bare": "bare hello GET / (bare_app.py)", "question": "question page GET /attempts/<id>/",
         "step": "learner step: POST answer, see its feedback"}


def say(text: str = "") -> None:
    print(text, flush=True)


def note(text: str) -> None:
    """Progress, on stderr: the figures go to stdout."""
    print(f"  .. {text}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def load_average() -> str:
    try:
        return " ".join(f"{n:.2f}" for n in os.getloadavg())
    except OSError:
        return "unknown"


def cpu_split() -> tuple[set[int], set[int]]:
    """(CPUs of the servers, CPU of the load generator): the last CPU for the client, if there are 2+."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)
    return set(cpus[:-1]), {cpus[-1]}


# -- databases and servers -------------------------------------------------------------------------

@contextmanager
def databases(tmp: Path, postgres: str | None) -> Iterator[tuple[str, dict[str, str]]]:
    """(description, URLs of the serving database and of the report database)."""
    parts = ("serve", "report")
    if not postgres:
        import sqlite3

        yield f"SQLite {sqlite3.sqlite_version}", {part: f"sqlite:///{tmp / (part + '.db')}" for part in parts}
        return
    import psycopg
    from sqlalchemy.engine import make_url

    with scratch_postgres(postgres, parts) as urls:
        with psycopg.connect(libpq_url(urls["serve"])) as connection:
            version = connection.execute("SHOW server_version").fetchone()[0].split()[0]
        server = make_url(urls["serve"])
        yield (f"PostgreSQL {version} ({server.host}:{server.port or 5432}, databases "
               f"{server.database.rsplit('_', 1)[0]}_*)", urls)


def libpq_url(database_url: str) -> str:
    """A database's SQLAlchemy URL as psycopg's own connect takes it."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def quiz_app(database_url: str):  # type: ignore[no-untyped-def]
    """The app in this process, to set data up (cheap password hashing: set-up only)."""
    from quiz import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                       "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})


@dataclass
class Gunicorn:
    """`gunicorn --workers N APP` in a process group of its own, on the servers' CPUs."""

    app: str            # "quiz:create_app()" or "bare_app:app"
    database_url: str
    cwd: Path
    workers: int
    cpus: set[int]
    ready_path: str = "/healthz"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def shown(self) -> str:
        return f"gunicorn --workers {self.workers} '{self.app}'"

    def start(self, timeout: float = 60) -> Gunicorn:
        log_path = self.cwd / f"gunicorn-{self.port}.log"
        path = os.pathsep.join(p for p in (str(BENCH), os.environ.get("PYTHONPATH", "")) if p)
        cpus = self.cpus
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                 "--timeout", "120", "--graceful-timeout", "5", self.app],
                env=server_env(self.database_url, PYTHONPATH=path), cwd=self.cwd, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.workers:
                        time.sleep(1.0)  # the other workers finish importing the app
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in time:\n{log_path.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        try:
            return [int(pid) for pid in
                    Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time of the workers so far (utime + stime)."""
        return sum(cpu_seconds(pid) or 0.0 for pid in self.worker_pids())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def database_cpu_seconds(database_url: str) -> Optional[float]:
    """On PostgreSQL, the CPU time so far (utime + stime) of the server processes serving this
    database's connections, the workers' pooled ones: read from /proc, so only for a server on
    this machine. None on SQLite (its work is the workers' own) or for a server elsewhere."""
    if not database_url.startswith("postgresql"):
        return None
    import psycopg

    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        pids = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    each = [cpu_seconds(pid) for pid in pids]
    return None if None in each else sum(each)   # type: ignore[arg-type]


def cpu_seconds(pid: int) -> Optional[float]:
    """A process's CPU time so far (utime + stime), from /proc; None if it is not on this machine
    (or gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB: VmRSS of /proc/<pid>/status; PSS (smaps_rollup) shares shared pages out."""
    rss = pss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


def memory_lines(server: Gunicorn) -> tuple[list[str], float]:
    """One line per worker (the master's children) and the master; the largest worker RSS."""
    assert server.process is not None
    lines, worst = [], 0.0
    for pid in server.worker_pids():
        rss, pss = memory_mb(pid)
        worst = max(worst, rss)
        lines.append(f"    worker {pid}: RSS {rss:6.1f} MB   PSS {pss:6.1f} MB")
    rss, pss = memory_mb(server.process.pid)
    lines.append(f"    master {server.process.pid}: RSS {rss:6.1f} MB   PSS {pss:6.1f} MB")
    return lines, worst



# -- (a), (b), (c): learners and the load ------------------------------------------------------------

def make_class(database_url: str, slugs: list[str]) -> None:
    """An instructor's class (join code JOIN_CODE) with every serving set assigned."""
    from sqlalchemy import select

    from quiz import accounts, models
    from quiz.db import db

    app = quiz_app(database_url)
    with app.app_context():
        teacher = accounts.create_user(db.session, TEACHER, TEACHER_PASSWORD, role="instructor")
        classroom = models.Classroom(name="Serving benchmark", join_code=JOIN_CODE)
        classroom.instructors.append(teacher)
        db.session.add(classroom)
        db.session.flush()
        for qset in db.session.scalars(select(models.QuestionSet).where(models.QuestionSet.slug.in_(slugs))):
            db.session.add(models.Assignment(classroom_id=classroom.id, set_id=qset.id))
        db.session.commit()
        db.engine.dispose()


def prepare_learner(base: str, number: int, slug: str) -> dict[str, Any]:
    """Joins the class with its code and starts an attempt at `slug`, through HTTP as a browser."""
    learner = Learner(base)
    username = f"learner{number:03d}"
    joined = learner.join(JOIN_CODE, username)
    if joined.status != 302:
        raise RuntimeError(f"join failed: HTTP {joined.status}")
    found = CSRF.search(learner.get(f"/sets/{slug}/").body)
    if not found:
        raise RuntimeError("no CSRF token on the set page")
    started = learner.request(f"/sets/{slug}/start", {"csrf_token": found.group(1)})
    if started.status != 302 or "/attempts/" not in started.location:
        raise RuntimeError(f"start failed: HTTP {started.status} {started.location}")
    return {"username": username, "cookie": next(c.value for c in learner.jar if c.name == "session"),
            "token": found.group(1), "attempts": [urllib.parse.urlsplit(started.location).path]}


def more_attempts(database_url: str, learners: list[dict[str, Any]], slugs: list[str]) -> None:
    """Each learner's attempts at the other sets, started in-process with the app's own
    `start_attempt` (what POST /sets/<slug>/start runs), so that answers never run out."""
    from sqlalchemy import select

    from quiz import attempts, models
    from quiz.db import db

    app = quiz_app(database_url)
    with app.app_context():
        sets = list(db.session.scalars(select(models.QuestionSet).where(models.QuestionSet.slug.in_(slugs))
                                       .order_by(models.QuestionSet.slug)))
        assignments = {a.set_id: a for a in db.session.scalars(select(models.Assignment))}
        for learner in learners:
            user = db.session.scalar(select(models.User).where(models.User.username == learner["username"]))
            for qset in sets:
                attempt = attempts.start_attempt(db.session, qset, user=user, assignment=assignments[qset.id])
                learner["attempts"].append(f"/attempts/{attempt.id}/")
        db.session.commit()
        db.engine.dispose()


def unanswered(database_url: str, learners: list[dict[str, Any]]) -> list[list[tuple[str, int]]]:
    """Each learner's unanswered questions, (attempt path, position) in order, from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT i.attempt_id, i.position FROM attempt_items i LEFT JOIN answers a ON a.item_id = i.id "
            "WHERE a.id IS NULL ORDER BY i.attempt_id, i.position")).all()
    engine.dispose()
    open_positions: dict[str, list[int]] = {}
    for attempt_id, position in rows:
        open_positions.setdefault(f"/attempts/{attempt_id}/", []).append(position)
    return [[(path, position) for path in learner["attempts"] for position in open_positions.get(path, [])]
            for learner in learners]


def right_label_of(position: int) -> str:
    return ("fact", "commentary", "opinion")[position % 3]


WRK_SCRIPT = r"""
-- generated by benchmarks/serve.py: one wrk thread, one learner per connection
local kind = "%(kind)s"
local labels = {"fact", "commentary", "opinion"}
local learners = {%(learners)s}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  mine, by_attempt, turn, good, bad, steps, idle, why, checked = {}, {}, 0, 0, 0, 0, 0, "", false
  for _, l in ipairs(learners) do
    local m = {l = l, next = 1, busy = false, feedback = nil}
    table.insert(mine, m)
    for _, t in ipairs(l.todo) do by_attempt[string.match(t[1], "/attempts/(%%d+)/")] = m end
  end
end
-- A step is sequential for each learner: its POST, whose reply is the feedback page (or, from a
-- server that redirects, names it: then that page is asked for).
-- A learner with a request in flight is skipped; with as many learners as connections one is free.
function request()
  if not checked then   -- wrk's first call only checks the script: nothing is sent
    checked = true
    return wrk.format("GET", "/")
  end
  for _ = 1, #mine do
    turn = turn %% #mine + 1
    local m = mine[turn]
    if kind == "bare" then return wrk.format("GET", "/") end
    local headers = {["Cookie"] = "session=" .. m.l.cookie, ["Accept"] = "text/html"}
    if kind == "question" then return wrk.format("GET", m.l.current, headers) end
    if not m.busy then
      if m.feedback then
        local path = m.feedback
        m.busy, m.feedback = true, nil
        return wrk.format("GET", path, headers)
      end
      local todo = m.l.todo[m.next]
      if todo then
        m.next, m.busy = m.next + 1, true
        local body = "position=" .. todo[2] .. "&label=" .. labels[todo[2] %% 3 + 1] .. "&csrf_token=" .. m.l.token
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return wrk.format("POST", todo[1], headers, body)
      end
    end
  end
  idle = idle + 1   -- nobody free (a reply lost) or out of questions: counted, never expected
  return wrk.format("GET", "/healthz")
end
-- As a browser does, a learner keeps the session cookie a reply sets (a re-signed one).
local function keep_cookie(m, headers)
  local value = m and headers["Set-Cookie"] and string.match(headers["Set-Cookie"], "^session=([^;]+)")
  if value then m.l.cookie = value end
end
function response(status, headers, body)
  local ok = false
  if kind == "bare" then ok = status == 200 and body == "hello"
  elseif kind == "question" then
    ok = status == 200 and string.find(body, 'name="position"', 1, true) ~= nil
    keep_cookie(by_attempt[string.match(body, "/attempts/(%%d+)/") or ""], headers)
  elseif status == 302 then   -- an answer stored: a redirect to its feedback
    local location = headers["Location"] or ""
    local m = by_attempt[string.match(location, "/attempts/(%%d+)/") or ""]
    ok = m ~= nil and string.sub(location, -9) == "#feedback"
    keep_cookie(m, headers)
    if m then
      m.busy = false
      if ok then m.feedback = string.gsub(string.gsub(location, "^https?://[^/]+", ""), "#.*$", "") end
    end
  else                        -- a feedback page: the POST's reply, or the page it redirected to
    local m = by_attempt[string.match(body, "/attempts/(%%d+)/") or ""]
    ok = status == 200 and m ~= nil and string.find(body, 'id="feedback"', 1, true) ~= nil
    keep_cookie(m, headers)
    if m then m.busy = false end
    if ok then steps = steps + 1 end
  end
  if ok then good = good + 1 else
    bad = bad + 1
    if bad <= 5 then why = why .. status .. (headers["Location"] and (" to " .. headers["Location"]) or "") .. ", " end
  end
end
function done(summary, latency, requests)
  local t = threads[1]
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d %%.6f %%.6f\n", summary.duration, t:get("good"), t:get("bad"),
    e.connect + e.read + e.write + e.timeout, t:get("steps"), t:get("idle"),
    latency:percentile(50) / 1e6, latency:percentile(95) / 1e6))
  io.write("WHY " .. t:get("why") .. "\n")
end
"""


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Run:
    """One run of the load generator: what it counted, over how long."""

    seconds: float
    good: int           # replies as expected (bare: "hello"; question: a page with its form; step: both parts)
    bad: int            # wrong replies and socket errors or timeouts
    steps: int          # step: feedback pages that completed a POST + GET pair
    idle: int           # requests sent with no learner free (should stay 0)
    p50: float          # latency per request, seconds
    p95: float

    @property
    def rate(self) -> float:
        return (self.steps if self.steps else self.good) / self.seconds


def wrk_run(kind: str, base: str, learners: list[dict[str, Any]], todos: list[list[tuple[str, int]]],
            seconds: float, tmp: Path, cpus: set[int]) -> Run:
    entries = ", ".join(
        f"{{cookie = {lua_string(l['cookie'])}, token = {lua_string(urllib.parse.quote(l['token']))}, "
        f"current = {lua_string(todo[0][0] if todo else l['attempts'][-1])}, "
        f"todo = {{{', '.join(f'{{{lua_string(path)}, {position}}}' for path, position in todo)}}}}}"
        for l, todo in zip(learners, todos))
    script = tmp / f"wrk-{kind}.lua"
    script.write_text(WRK_SCRIPT % {"kind": kind, "learners": entries}, encoding="utf-8")
    done = subprocess.run(["wrk", "-t", "1", "-c", str(len(learners)), "-d", f"{max(1, round(seconds))}s",
                           "--timeout", "60s", "-s", str(script), base + "/"], capture_output=True, text=True,
                          check=False, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
    micros, good, bad, errors, steps, idle = (int(x) for x in line.split()[1:7])
    p50, p95 = (float(x) for x in line.split()[7:9])
    why = next((x[4:] for x in done.stdout.splitlines() if x.startswith("WHY ")), "")
    if bad + errors:
        note(f"{kind}: {bad} wrong replies ({why.strip() or 'none'}), {errors} socket errors or timeouts")
    return Run(micros / 1e6, good, bad + errors, steps, idle, p50, p95)


# The asyncio client, used when wrk is not installed: one coroutine per learner, in a process of its own.

class ReplyReader(asyncio.Protocol):
    """Reads HTTP/1.1 replies off one socket (framed by Content-Length, as gunicorn sends them)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.head_end = -1
        self.length = 0
        self.closed = False

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        if self.head_end < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head_end = end + 4
            lower = bytes(self.buffer[:self.head_end]).lower()
            at = lower.find(b"\r\ncontent-length:")
            self.length = int(lower[at + 17:lower.index(b"\r\n", at + 2)]) if at >= 0 else 0
        if len(self.buffer) >= self.head_end + self.length:
            head = bytes(self.buffer[:self.head_end])
            body = bytes(self.buffer[self.head_end:self.head_end + self.length])
            del self.buffer[:self.head_end + self.length]
            self.head_end = -1
            self.waiter.set_result((head, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionResetError("closed before the reply"))


async def fetch(port: int, raw: bytes) -> tuple[int, bytes, bytes]:
    """One request on a new connection, as gunicorn's sync workers close it after each reply."""
    loop = asyncio.get_running_loop()
    transport, reader = await loop.create_connection(ReplyReader, "127.0.0.1", port)
    reader.waiter = loop.create_future()
    try:
        transport.write(raw)
        head, body = await reader.waiter
    finally:
        transport.close()
    return int(head[9:12]), head, body


LOCATION = re.compile(rb"\r\nlocation: ([^\r\n#]*)(#feedback)?", re.IGNORECASE)
SET_COOKIE = re.compile(rb"\r\nset-cookie: session=([^;\r\n]+)", re.IGNORECASE)


async def drive(config: dict[str, Any]) -> dict[str, Any]:
    """Every learner sends its next request as soon as its previous one is answered."""
    port, kind, deadline = config["port"], config["kind"], time.perf_counter() + config["seconds"]
    counts = {"good": 0, "bad": 0, "steps": 0, "idle": 0}
    latencies: list[float] = []

    async def timed(raw: bytes) -> tuple[int, bytes, bytes]:
        started = time.perf_counter()
        try:
            reply = await fetch(port, raw)
        except OSError:
            reply = (0, b"", b"")
        latencies.append(time.perf_counter() - started)
        return reply

    async def learner(spec: dict[str, Any], todo: list[list[Any]]) -> None:
        def headers(cookie: bytes) -> bytes:
            return b"Host: 127.0.0.1:%d\r\nAccept: text/html\r\nCookie: session=%s\r\n" % (port, cookie)

        def keep_cookie(head: bytes) -> None:   # as a browser does: the session cookie a reply sets
            nonlocal common
            found = SET_COOKIE.search(head)
            if found:
                common = headers(found.group(1))

        common = headers(spec["cookie"].encode())
        token = urllib.parse.quote(spec["token"]).encode()
        current = (todo[0][0] if todo else spec["attempts"][-1]).encode()
        while time.perf_counter() < deadline:
            if kind == "bare":
                status, _head, body = await timed(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
                ok = status == 200 and body == b"hello"
            elif kind == "question":
                status, head, body = await timed(b"GET %s HTTP/1.1\r\n%s\r\n" % (current, common))
                ok = status == 200 and b'name="position"' in body
                keep_cookie(head)
            else:
                if not todo:
                    counts["idle"] += 1
                    return
                path, position = todo.pop(0)
                form = b"position=%d&label=%s&csrf_token=%s" % (position, right_label_of(position).encode(), token)
                status, head, body = await timed(
                    b"POST %s HTTP/1.1\r\n%sContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d"
                    b"\r\n\r\n%s" % (path.encode(), common, len(form), form))
                keep_cookie(head)
                if status == 200:   # the reply is the feedback page
                    ok = b'id="feedback"' in body
                    counts["steps"] += ok
                    counts["good" if ok else "bad"] += 1
                    continue
                found = LOCATION.search(head)
                ok = status == 302 and found is not None and found.group(2) is not None
                counts["good" if ok else "bad"] += 1
                if not ok:
                    continue
                target = urllib.parse.urlsplit(found.group(1).decode())
                status, head, body = await timed(b"GET %s?%s HTTP/1.1\r\n%s\r\n" % (
                    target.path.encode(), target.query.encode(), common))
                keep_cookie(head)
                ok = status == 200 and b'id="feedback"' in body
                counts["steps"] += ok
            counts["good" if ok else "bad"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(learner(spec, [list(t) for t in todo])
                           for spec, todo in zip(config["learners"], config["todos"])))
    ordered = sorted(latencies) or [float("nan")]
    return {**counts, "seconds": time.perf_counter() - started,
            "p50": ordered[len(ordered) // 2], "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]}


def asyncio_run(kind: str, port: int, learners: list[dict[str, Any]], todos: list[list[tuple[str, int]]],
                seconds: float, tmp: Path, cpus: set[int]) -> Run:
    config = tmp / "drive.json"
    config.write_text(json.dumps({"kind": kind, "port": port, "learners": learners, "todos": todos,
                                  "seconds": seconds}))
    done = subprocess.run([sys.executable, __file__, "--drive", str(config)], capture_output=True, text=True,
                          check=False, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    if done.returncode:
        raise RuntimeError(f"the asyncio client failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    return Run(result["seconds"], result["good"], result["bad"], result["steps"], result["idle"], result["p50"],
               result["p95"])


def settle(server: Gunicorn) -> None:
    """Waits until the workers have finished what the last run left in flight (1.5 s without CPU:
    a request may wait on SQLite's write lock without using any)."""
    before, still, deadline = server.cpu_seconds(), 0, time.time() + 60
    while still < 5 and time.time() < deadline:
        time.sleep(0.3)
        now = server.cpu_seconds()
        still, before = (still + 1 if now == before else 0), now


def analyze(database_url: str) -> str:
    """On PostgreSQL, ANALYZE: what autovacuum (on by default) does within a minute of a table
    growing by a tenth. The answers table grows from empty by about 2,500 rows a step window, and
    a generic plan a worker's connection made while it was empty (psycopg prepares a statement on
    its fifth run, and PostgreSQL may then keep a generic plan) scans it whole until statistics
    change. Returns the server's autovacuum setting; on SQLite, does nothing and returns ""."""
    if not database_url.startswith("postgresql"):
        return ""
    import psycopg

    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        connection.execute("ANALYZE")
        return connection.execute("SHOW autovacuum").fetchone()[0]


def serving(args: argparse.Namespace, kind: str, database_url: str, tmp: Path) -> dict[str, Any]:
    """(a), (b), (c) interleaved in rounds, then (e)."""
    set_count = -(-args.answers_per_learner // QUESTIONS)
    slugs = [f"serve-{n:02d}" for n in range(set_count)]
    folder = tmp / "serve-sets"
    folder.mkdir()
    for slug in slugs:
        (folder / f"{slug}.yaml").write_text(label_set(QUESTIONS, slug), encoding="utf-8")
    release(database_url, folder, tmp)
    make_class(database_url, slugs)
    server_cpus, client_cpus = cpu_split()
    quiz = Gunicorn("quiz:create_app()", database_url, tmp, args.workers, server_cpus).start()
    bare = Gunicorn("bare_app:app", database_url, tmp, args.workers, server_cpus, ready_path="/").start()
    servers = {"bare": bare, "question": quiz, "step": quiz}
    runs: dict[str, list[Run]] = {k: [] for k in KINDS}
    cpu: dict[str, float] = {k: 0.0 for k in KINDS}
    database_cpu: dict[str, float] = {k: 0.0 for k in KINDS}
    database_measured = database_cpu_seconds(database_url) is not None
    autovacuum = ""
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2 * args.workers) as pool:
            learners = list(pool.map(lambda n: prepare_learner(quiz.url, n, slugs[0]), range(args.concurrency)))
        more_attempts(database_url, learners, slugs[1:])
        note(f"{args.concurrency} learners joined and started their attempts in {time.perf_counter() - started:.1f} s")

        def run(k: str, seconds: float) -> Run:
            settle(servers[k])
            todos = unanswered(database_url, learners) if k != "bare" else [[] for _ in learners]
            if args.client == "wrk":
                return wrk_run(k, servers[k].url, learners, todos, seconds, tmp, client_cpus)
            return asyncio_run(k, servers[k].port, learners, todos, seconds, tmp, client_cpus)

        for r in range(args.rounds):
            autovacuum = analyze(database_url)
            for k in KINDS:
                run(k, args.warmup)
                cpu0, database0 = servers[k].cpu_seconds(), database_cpu_seconds(database_url) or 0.0
                measured = run(k, args.seconds)
                cpu[k] += servers[k].cpu_seconds() - cpu0
                database_cpu[k] += (database_cpu_seconds(database_url) or 0.0) - database0
                runs[k].append(measured)
                note(f"round {r + 1} {k}: {measured.rate:.1f}/s, {measured.bad} bad, load average {load_average()}")
        memory, worst = memory_lines(quiz)
    finally:
        quiz.stop()
        bare.stop()

    say(f"(a) (b) (c) {args.concurrency} concurrent signed-in learners; {kind}")
    say(f"    servers: `{quiz.shown}` and `{bare.shown}` (benchmarks/bare_app.py: Flask, one route, no hooks), "
        f"on CPUs {sorted(server_cpus)}")
    client = "wrk, one thread, one learner per connection" if args.client == "wrk" else "asyncio client"
    say(f"    load generator: {client}, on CPU {sorted(client_cpus)}; {args.rounds} rounds of bare, question, step "
        f"in turn, each {args.seconds:g} s after a {args.warmup:g} s warm-up")
    if autovacuum:
        say(f"    ANALYZE before each round, as autovacuum would do within a minute (this server's autovacuum: "
            f"{autovacuum})")
    say(f"    each learner answers the next unanswered of {set_count} attempts x {QUESTIONS} `label` questions; "
        "a step is its POST, whose reply is the feedback page (200; a 302 to it would be followed)")
    say()
    header = (f"    {'':<44} {'per s (rounds)':>26} {'p50 ms':>7} {'p95 ms':>7} {'done':>6} {'bad':>4} "
              f"{'worker CPU ms':>13}{'  database CPU ms' if database_measured else ''}")
    say(header)
    for k, label in KINDS.items():
        done = sum(r.steps or r.good for r in runs[k])
        rates = " ".join(f"{r.rate:7.1f}" for r in runs[k])
        say(f"    {label:<44} {rates:>26} {1000 * statistics.median(r.p50 for r in runs[k]):7.1f} "
            f"{1000 * statistics.median(r.p95 for r in runs[k]):7.1f} {done:6d} {sum(r.bad for r in runs[k]):4d} "
            f"{1000 * cpu[k] / max(done, 1):13.2f}"
            f"{f'{1000 * database_cpu[k] / max(done, 1):17.2f}' if database_measured else ''}")
    idle = sum(r.idle for rs in runs.values() for r in rs)
    if idle:
        say(f"    WARNING: {idle} requests sent with no learner free or out of questions: raise --answers-per-learner")
    say("    (latencies per request; worker CPU per page, per step for the step"
        f"{'; database CPU: the PostgreSQL server processes of this database' if database_measured else ''})")
    say()
    ratios = {}
    for k, target in (("question", TARGET_QUESTION), ("step", TARGET_STEP)):
        per_round = sorted(a.rate / b.rate for a, b in zip(runs[k], runs["bare"]))
        ratios[k] = statistics.median(per_round)
        say(f"    {k + ' / bare hello':<22} median {ratios[k]:.3f}  min {per_round[0]:.3f}  max {per_round[-1]:.3f}"
            f"   (target >= {target:.2f}: {verdict(ratios[k] >= target)})")
    say()
    say(f"(e) memory of the quiz's gunicorn workers after the load ({kind})")
    for line in memory:
        say(line)
    say(f"    largest worker RSS {worst:.1f} MB (target < {TARGET_MEMORY_MB} MB: {verdict(worst < TARGET_MEMORY_MB)})")
    say()
    return {"question": ratios["question"], "step": ratios["step"], "memory": worst}


# -- (d): the set report --------------------------------------------------------------------------------

def label_of(expr: str) -> str:
    """SQL for serverkit.label_set's answer of question `expr`: fact, commentary, opinion, fact..."""
    return f"CASE ({expr}) % 3 WHEN 0 THEN 'fact' WHEN 1 THEN 'commentary' ELSE 'opinion' END"


def build_report_database(database_url: str, tmp: Path) -> int:
    """A migrated database with one 20-question `label` set assigned to classes of 30, 300 and
    3,000 learners (classes 1, 2, 3), one instructor teaching all three.

    Learner k = 0, 1, 2, ... has one finished attempt answering every question (10 to 40% wrong),
    with the label choices the app writes with each answer. Ids are arithmetic on k, so every
    table is filled by INSERT ... SELECT over a generated series. Returns the answers stored.
    """
    from sqlalchemy import Boolean, DateTime, bindparam, select, text

    from quiz import accounts, models
    from quiz.db import db

    folder = tmp / "report-sets"
    folder.mkdir()
    (folder / "report.yaml").write_text(label_set(QUESTIONS, "report"), encoding="utf-8")
    release(database_url, folder, tmp)
    app = quiz_app(database_url)
    postgres = database_url.startswith("postgresql")
    learners, q = sum(CLASSES), QUESTIONS
    with app.app_context():
        teacher_id = accounts.create_user(db.session, TEACHER, TEACHER_PASSWORD, role="instructor").id
        db.session.commit()
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == "report"))
        versions = ", ".join(f"({n}, {question.current.id})" for n, question in enumerate(qset.current_questions))
        set_id = qset.id
        db.session.remove()

        user0 = teacher_id + 1
        series = f"WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k + 1 < {learners})"
        class_of = f"CASE WHEN k < {CLASSES[0]} THEN 1 WHEN k < {CLASSES[0] + CLASSES[1]} THEN 2 ELSE 3 END"
        k, p = f"((i.id - 1) / {q})", "i.position"   # item id = 1 + q * k + position
        wrong = f"((({k}) * 7 + {p} * 13) % 10) < 1 + ({k}) % 4"   # 10 to 40 % wrong, by learner
        chosen = f"CASE WHEN {wrong} THEN {label_of(p + ' + 1')} ELSE {label_of(p)} END"
        decided = f"SELECT i.id AS id, {label_of(p)} AS expected, {chosen} AS chosen FROM attempt_items i"
        response = "'\"' || chosen || '\"'"   # the JSON string the app stores for a label
        if postgres:
            response = f"CAST({response} AS json)"
        statements = [
            "INSERT INTO classrooms (id, name, join_code, archived, created_at) VALUES "
            + ", ".join(f"({n + 1}, 'Class of {size}', NULL, :off, :now)" for n, size in enumerate(CLASSES)),
            "INSERT INTO assignments (id, classroom_id, set_id, feedback, counts, shuffle, created_at) VALUES "
            + ", ".join(f"({n + 1}, {n + 1}, {set_id}, 'immediate', 'best', :off, :now)" for n in range(len(CLASSES))),
            "INSERT INTO classroom_instructors (classroom_id, user_id) VALUES "
            + ", ".join(f"({n + 1}, {teacher_id})" for n in range(len(CLASSES))),
            (f"INSERT INTO users (id, username, password_hash, role, session_key, created_at) {series} "
             f"SELECT {user0} + k, 'r' || k, '!', 'learner', 'reader-' || k, :now FROM s"),
            f"INSERT INTO memberships (classroom_id, user_id, joined_at) {series} SELECT {class_of}, {user0} + k, :now FROM s",
            (f"INSERT INTO attempts (id, set_id, user_id, assignment_id, kind, feedback, started_at, finished_at, "
             f"possible) {series} SELECT 1 + k, {set_id}, {user0} + k, {class_of}, 'set', 'immediate', "
             f":then, :now, {q} FROM s"),
            (f"INSERT INTO attempt_items (id, attempt_id, position, version_id) {series}, "
             f"v(position, version_id) AS (VALUES {versions}) SELECT 1 + {q} * k + v.position, 1 + k, "
             "v.position, v.version_id FROM s CROSS JOIN v ORDER BY 1"),
            (f"INSERT INTO answers (id, item_id, response, response_text, points, answered_at) SELECT id, id, "
             f"{response}, chosen, CASE WHEN chosen = expected THEN 1.0 ELSE 0.0 END, :now FROM ({decided}) x ORDER BY id"),
            ('INSERT INTO label_choices (id, answer_id, part, expected, chosen, "right") '
             f"SELECT id, id, 0, expected, chosen, chosen = expected FROM ({decided}) x ORDER BY id"),
            ("UPDATE attempts SET points = t.total FROM (SELECT i.attempt_id, SUM(a.points) AS total FROM attempt_items i "
             "JOIN answers a ON a.item_id = i.id GROUP BY i.attempt_id) t WHERE attempts.id = t.attempt_id"),
        ]
        now = models.utcnow()
        values = {"now": now, "then": now - timedelta(minutes=20), "off": False}
        types = {"now": DateTime(timezone=True), "then": DateTime(timezone=True), "off": Boolean()}
        engine = db.engine
        with engine.begin() as connection:
            for sql in statements:
                used = [name for name in values if f":{name}" in sql]
                connection.execute(text(sql).bindparams(*[bindparam(n, type_=types[n]) for n in used]),
                                   {n: values[n] for n in used})
        if postgres:
            with engine.begin() as connection:
                for table in ("users", "classrooms", "assignments", "attempts", "attempt_items", "answers",
                              "label_choices"):
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT MAX(id) FROM {table}))"))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))   # what autovacuum does within a minute of such a load
        else:
            with engine.connect() as connection:   # the WAL a running server would have checkpointed
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        with engine.connect() as connection:
            counted = connection.execute(text("SELECT COUNT(*) FROM answers")).scalar_one()
        engine.dispose()
    return counted


REPORT_LEARNERS = re.compile(r"(\d+) learners(?:'|&#39;|&#x27;) counted attempts")


def time_report(teacher: Learner, class_id: int, size: int) -> float:
    """Wall time of one GET of a class's set report, which must count the class's learners."""
    started = time.perf_counter()
    page = teacher.get(f"/teach/classes/{class_id}/sets/report/")
    elapsed = time.perf_counter() - started
    found = REPORT_LEARNERS.search(page.body)
    if page.status != 200 or not found or int(found.group(1)) != size:
        raise RuntimeError(f"unexpected set report: HTTP {page.status}, {found and found.group(0)}")
    return elapsed


def report(args: argparse.Namespace, kind: str, database_url: str, tmp: Path) -> dict[str, Any]:
    """(d): the three classes' reports, requested in turn, one at a time."""
    started = time.perf_counter()
    counted = build_report_database(database_url, tmp)
    built = time.perf_counter() - started
    note(f"report database with {counted:,} answers built in {built:.1f} s")
    server_cpus, _client = cpu_split()
    server = Gunicorn("quiz:create_app()", database_url, tmp, args.workers, server_cpus).start()
    try:
        teacher = Learner(server.url)
        if teacher.login(TEACHER, TEACHER_PASSWORD).status != 302:
            raise RuntimeError("instructor sign-in failed")
        classes = list(enumerate(CLASSES, start=1))
        for _ in range(2 * args.workers):   # warm workers, so that the first reports time the counting
            teacher.get("/teach/")
        first = {size: time_report(teacher, class_id, size) for class_id, size in classes}   # builds the counts
        for _ in range(2 * args.workers):   # every worker has served each report before the timing
            for class_id, size in classes:
                time_report(teacher, class_id, size)
        times: dict[int, list[float]] = {size: [] for size in CLASSES}
        for _ in range(args.report_repeats):
            for class_id, size in classes:
                times[size].append(time_report(teacher, class_id, size))
    finally:
        server.stop()
    medians = {size: statistics.median(t) for size, t in times.items()}
    ratio = medians[CLASSES[-1]] / medians[CLASSES[0]]
    say(f"(d) set report (GET /teach/classes/<id>/sets/report/ as the instructor) of classes of "
        f"{', '.join(f'{n:,}' for n in CLASSES)} learners, one finished {QUESTIONS}-question attempt each; {kind}")
    say(f"    one database, {counted:,} answers (built in {built:.0f} s with INSERT ... SELECT"
        f"{', then ANALYZE' if 'Postgre' in kind else ''}); served by `{server.shown}`; "
        f"{args.report_repeats} requests to each class in turn, after {2 * args.workers} to each to warm up")
    say("    the first report of each class counts the running counts from scratch (first ms); the timed ones read them")
    say(f"    {'learners':>10} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'first ms':>9}")
    for size in CLASSES:
        say(f"    {size:>10,} {1000 * medians[size]:10.1f} {1000 * min(times[size]):8.1f} {1000 * max(times[size]):8.1f}"
            f" {1000 * first[size]:9.1f}")
    say(f"    {CLASSES[-1]:,} / {CLASSES[0]}: {ratio:.2f}x (target <= {TARGET_REPORT:g}x: {verdict(ratio <= TARGET_REPORT)})")
    say()
    return {"report": ratio}


# -- main -----------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server to make scratch databases on, e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds of bare, question, step (default 4)")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per window (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each window (default 2)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent learners (default 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of each server (default 4)")
    parser.add_argument("--client", choices=("wrk", "asyncio"), default="wrk" if shutil.which("wrk") else "asyncio",
                        help="load generator (default: wrk if installed, else the asyncio client)")
    parser.add_argument("--answers-per-learner", type=int, default=800,
                        help="questions each learner can answer: attempts started before measuring (default 800)")
    parser.add_argument("--report-repeats", type=int, default=15,
                        help="timed set report requests to each class (default 15)")
    parser.add_argument("--only", default="serve,report", help="parts to run, of serve (a, b, c, e) and report (d)")
    parser.add_argument("--drive", help=argparse.SUPPRESS)   # internal: the asyncio client's process
    args = parser.parse_args(argv)
    if args.drive:
        print(json.dumps(asyncio.run(drive(json.loads(Path(args.drive).read_text())))))
        return 0
    parts = set(args.only.split(","))
    signal.signal(signal.SIGTERM, stopped)   # a stopped run still stops its servers and drops its databases

    shown = " ".join(["benchmarks/serve.py", *(sys.argv[1:] if argv is None else argv)])
    say(f"`{shown}`: {os.cpu_count()} CPUs, load average {load_average()} at the start, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {sys.version.split()[0]}")
    say()
    results: dict[str, Any] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quiz-serve-") as name:
        tmp = Path(name)
        with databases(tmp, args.postgres) as (kind, urls):
            if "serve" in parts:
                results |= serving(args, kind, urls["serve"], tmp)
            if "report" in parts:
                results |= report(args, kind, urls["report"], tmp)
    say(f"Targets, as ratios within this run ({time.perf_counter() - started:.0f} s; load average "
        f"{load_average()} at the end)")
    checks = []
    if "question" in results:
        checks += [("question page / bare hello", f"{results['question']:.3f}", f">= {TARGET_QUESTION:.2f}",
                    results["question"] >= TARGET_QUESTION),
                   ("learner step / bare hello", f"{results['step']:.3f}", f">= {TARGET_STEP:.2f}",
                    results["step"] >= TARGET_STEP)]
    if "report" in results:
        checks.append((f"set report, {CLASSES[-1]:,} / {CLASSES[0]} learners", f"{results['report']:.2f}x",
                       f"<= {TARGET_REPORT:.1f}x", results["report"] <= TARGET_REPORT))
    if "memory" in results:
        checks.append(("worker RSS after the load", f"{results['memory']:.1f} MB", f"< {TARGET_MEMORY_MB} MB",
                       results["memory"] < TARGET_MEMORY_MB))
    for label, value, target, ok in checks:
        say(f"    {label:<32} {value:>9}   {target:<9} {verdict(ok)}")
    return 0


def stopped(signum, _frame):  # type: ignore[no-untyped-def]
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
