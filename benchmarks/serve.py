#!/usr/bin/env python3
"""Serving benchmark: ratios measured in one run, on one gunicorn configuration.

    .venv/bin/python benchmarks/serve.py [--postgres URL] [--seconds N] [--concurrency 50] [--workers 4]

(a) a question page and (b) an answer submission (each a real write), against a bare Flask
"hello" route served by the same gunicorn master and workers (benchmarks/bench_app.py), with
50 concurrent signed-in learners driven by an asyncio HTTP/1.1 client in a second process on
loopback: requests/s, p50/p95 latency, errors, CPU per request of the workers;
(c) the set report of a class of 30 when the database holds 10,000 and when it holds 1,000,000
answers in all (data made with INSERT ... SELECT; the report fetched over HTTP by the class's
instructor);
(d) `quiz import` of 1,000 set files (benchmarks/import_sets.py, run as a subprocess);
(e) memory (RSS, PSS) of every gunicorn worker after the load.

SQLite files in a temporary folder by default. With --postgres URL, fresh databases
quiz_bench_<random>_serve, _report10k and _report1m are made on that server (the URL names
the server; its database is only used to connect) and dropped at the end.

The machine may be shared and noisy, so each target is a ratio within one run: bare, question
and submission are measured in turn, in several short rounds, and the ratio is the median of the
rounds' ratios; the two report databases are queried in turn.

--client wrk drives the same learners with wrk (apt-get install wrk) instead of the asyncio
client: on a small machine the asyncio client's own CPU (about 0.5 ms a request) is taken from
the server, most of all at the bare endpoint's rate, which flatters the ratios; wrk's is not.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
for _path in (str(ROOT / "tests"), str(ROOT)):  # serverkit (the load tests' kit), then the checkout's quiz
    if _path not in sys.path:
        sys.path.insert(0, _path)

from serverkit import (
    CSRF,
    JOIN_CODE,
    Learner,
    free_port,
    label_set,
    release,
    right_label,
    server_env,
)

BIN = Path(sys.executable).parent
TARGET_QUESTION = 0.30     # question page requests/s, as a share of the bare endpoint's
TARGET_SUBMISSION = 0.20   # answer submission requests/s, as a share of the bare endpoint's
TARGET_REPORT = 1.5        # set report time at 1,000,000 answers / at 10,000, at most
TARGET_MEMORY_MB = 150     # RSS per worker after the load, less than
TEACHER, TEACHER_PASSWORD = "bench-teacher", "bench-teacher-password"
REPORT_QUESTIONS = 20      # questions of the report's set: one answer each per attempt
CLASS_SIZE = 30
KINDS = {"bare": "bare GET /bench/hello", "question": "question page GET /attempts/<id>/",
         "submission": "answer submission POST /attempts/<id>/"}


def say(text: str = "") -> None:
    print(text, flush=True)


def note(text: str) -> None:
    """Progress, on stderr: the figures go to stdout."""
    print(f"  .. {text}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# -- databases and servers -------------------------------------------------------------------------

@contextmanager
def databases(tmp: Path, postgres: str | None) -> Iterator[tuple[str, dict[str, str]]]:
    """(description, URLs of the serving database and of the two report databases)."""
    parts = ("serve", "report10k", "report1m")
    if not postgres:
        import sqlite3

        yield f"SQLite {sqlite3.sqlite_version}", {part: f"sqlite:///{tmp / (part + '.db')}" for part in parts}
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from quiz.config import normalise_database_url

    server = make_url(normalise_database_url(postgres))
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    stem = f"quiz_bench_{uuid.uuid4().hex[:12]}"
    created: list[str] = []
    try:
        with psycopg.connect(admin, autocommit=True) as connection:
            version = connection.execute("SHOW server_version").fetchone()[0].split()[0]
            for part in parts:
                connection.execute(f'CREATE DATABASE "{stem}_{part}"')
                created.append(f"{stem}_{part}")
        yield (f"PostgreSQL {version} ({server.host}:{server.port or 5432}, databases {stem}_*)",
               {part: server.set(drivername="postgresql+psycopg", database=f"{stem}_{part}")
                .render_as_string(hide_password=False) for part in parts})
    finally:
        if created:
            with psycopg.connect(admin, autocommit=True) as connection:
                for name in created:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def quiz_app(database_url: str):  # type: ignore[no-untyped-def]
    """The app in this process, to set data up (cheap password hashing: set-up only)."""
    from quiz import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                       "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})


@dataclass
class Gunicorn:
    """`gunicorn --workers N 'bench_app:create()'`: the README's deployment, plus /bench/hello."""

    database_url: str
    cwd: Path
    workers: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        return ["gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                "--timeout", "120", "--graceful-timeout", "5", "bench_app:create()"]

    @property
    def shown(self) -> str:
        return " ".join(part for part in self.command if "127.0.0.1" not in part and part != "--bind")

    def start(self, timeout: float = 60) -> Gunicorn:
        log_path = self.cwd / f"gunicorn-{self.port}.log"
        path = os.pathsep.join(p for p in (str(BENCH), str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen([str(BIN / "gunicorn"), *self.command[1:]],
                                            env=server_env(self.database_url, PYTHONPATH=path), cwd=self.cwd,
                                            stdout=log, stderr=log, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/bench/hello", timeout=2) as response:
                    if response.read() == b"hello" and len(self.worker_pids()) == self.workers:
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

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


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


# -- (a), (b): learners and the load ------------------------------------------------------------------

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
    `start_attempt` (what POST /sets/<slug>/start runs), so that submissions never run out."""
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


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def postgres_pids() -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if Path(entry.path, "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def machine_ticks() -> tuple[int, int]:
    """(busy, all) clock ticks of every CPU of the machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


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


class Connection:
    """One HTTP/1.1 connection, kept alive unless the server closes it. gunicorn's sync workers
    close it after every reply, so each request then opens a new one, as a browser's would.
    A bare asyncio Protocol rather than streams: a little less of the client's own CPU per request."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: ReplyReader | None = None

    async def fetch(self, raw: bytes) -> tuple[int, bytes, bytes]:
        loop = asyncio.get_running_loop()
        if self.reader is None or self.reader.closed:
            _transport, self.reader = await loop.create_connection(ReplyReader, self.host, self.port)
        reader = self.reader
        assert reader.transport is not None
        reader.waiter = loop.create_future()
        try:
            reader.transport.write(raw)
            head, body = await reader.waiter
        except BaseException:
            self.close()
            raise
        if b"\r\nconnection: close" in head.lower():
            self.close()
        return int(head[9:12]), head, body

    def close(self) -> None:
        if self.reader is not None and self.reader.transport is not None:
            self.reader.transport.close()
        self.reader = None


COOKIE = re.compile(rb"\r\nset-cookie: session=([^;\r\n]*)", re.IGNORECASE)
LOCATION = re.compile(rb"\r\nlocation: ([^\r\n]*)", re.IGNORECASE)


@dataclass
class Window:
    """One measured stretch of one endpoint, and what it cost."""

    kind: str
    round: int
    warmup: float
    seconds: float
    recording: bool = False
    started: float = 0.0
    ended: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_examples: dict[str, int] = field(default_factory=dict)
    server_cpu: float = 0.0     # CPU seconds of the gunicorn workers
    client_cpu: float = 0.0     # CPU seconds of this load generator
    postgres_cpu: float = 0.0   # CPU seconds of every postgres process on the machine
    machine_busy: float = 0.0   # share of all the machine's CPUs busy
    count: int | None = None    # with wrk: requests answered right, and wrk's own percentiles (seconds)
    p50: float | None = None
    p95: float | None = None


async def drive(config: dict[str, Any]) -> dict[str, Any]:
    """The load generator: one coroutine per learner, each sending its next request as soon as
    the previous one is answered; a controller switches endpoints and records the windows."""
    host, port = "127.0.0.1", config["port"]
    hz = os.sysconf("SC_CLK_TCK")
    windows = [Window(**w) for w in config["plan"]]
    state: dict[str, Any] = {"kind": windows[0].kind, "window": None, "stop": False}
    inflight = [""] * len(config["learners"])   # the endpoint of each learner's request in flight
    counts = {"acknowledged": 0, "exhausted": 0}

    async def learner(index: int, spec: dict[str, Any]) -> None:
        connection = Connection(host, port)
        cookie = spec["cookie"].encode()
        token = urllib.parse.quote(spec["token"]).encode()
        attempts = [path.encode() for path in spec["attempts"]]
        current, position = 0, 0   # the next unanswered question: attempts[current], position
        common = b"Host: %s:%d\r\nUser-Agent: quiz-bench\r\nAccept: text/html\r\n" % (host.encode(), port)
        while not state["stop"]:
            kind = inflight[index] = state["kind"]
            if kind == "submission" and current >= len(attempts):
                counts["exhausted"] += 1   # every question answered: --answers-per-learner is too small
                await asyncio.sleep(0.05)
                continue
            if kind == "bare":
                raw = b"GET /bench/hello HTTP/1.1\r\n%sCookie: session=%s\r\n\r\n" % (common, cookie)
            elif kind == "question":
                path = attempts[min(current, len(attempts) - 1)]
                raw = b"GET %s HTTP/1.1\r\n%sCookie: session=%s\r\n\r\n" % (path, common, cookie)
            else:
                body = b"position=%d&label=%s&csrf_token=%s" % (position, right_label(position).encode(), token)
                raw = (b"POST %s HTTP/1.1\r\n%sCookie: session=%s\r\nContent-Type: application/x-www-form-urlencoded"
                       b"\r\nContent-Length: %d\r\n\r\n%s" % (attempts[current], common, cookie, len(body), body))
                position += 1
                if position >= config["set_questions"]:
                    current, position = current + 1, 0
            started = time.perf_counter()
            problem = ""
            try:
                status, head, reply = await connection.fetch(raw)
            except Exception as error:  # noqa: BLE001 - any failure is this request's error
                status, head, reply, problem = 0, b"", b"", type(error).__name__
            elapsed = time.perf_counter() - started
            if status:
                found = COOKIE.search(head)
                if found:
                    cookie = found.group(1)
                if kind == "bare":
                    ok = status == 200 and reply == b"hello"
                elif kind == "question":
                    ok = status == 200 and b'name="position"' in reply
                else:  # stored: a 302 to the question's feedback (not to "already answered")
                    location = LOCATION.search(head)
                    ok = status == 302 and location is not None and location.group(1).endswith(b"#feedback")
                    counts["acknowledged"] += ok
                if not ok:
                    problem = f"HTTP {status}" + (" not to #feedback" if status == 302 else "")
            window = state["window"]
            if window is not None and window.recording and window.kind == kind:
                if problem:
                    window.errors += 1
                    window.error_examples[problem] = window.error_examples.get(problem, 0) + 1
                else:
                    window.latencies.append(elapsed)

    def sample(pg: list[int]) -> tuple[float, int, dict[int, int], tuple[int, int]]:
        return (time.process_time(), sum(cpu_ticks(p) for p in config["worker_pids"]),
                {p: cpu_ticks(p) for p in pg}, machine_ticks())

    tasks = [asyncio.create_task(learner(n, spec)) for n, spec in enumerate(config["learners"])]
    try:
        for window in windows:
            state["kind"], state["window"] = window.kind, window
            deadline = time.perf_counter() + 120
            while any(k != window.kind for k in inflight) and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)  # the previous endpoint's requests still in flight finish first
            await asyncio.sleep(window.warmup)
            pg = postgres_pids() if config["postgres"] else []
            client0, server0, pg0, machine0 = sample(pg)
            window.started, window.recording = time.perf_counter(), True
            await asyncio.sleep(window.seconds)
            window.ended, window.recording = time.perf_counter(), False
            client1, server1, pg1, machine1 = sample(pg)
            window.client_cpu = client1 - client0
            window.server_cpu = (server1 - server0) / hz
            window.postgres_cpu = sum(pg1[p] - pg0[p] for p in pg1 if p in pg0) / hz
            window.machine_busy = (machine1[0] - machine0[0]) / max(machine1[1] - machine0[1], 1)
    finally:
        state["stop"] = True
        await asyncio.wait(tasks, timeout=30)
        for task in tasks:
            task.cancel()
    return {"windows": [w.__dict__ for w in windows], **counts}


def load_process(config: dict[str, Any], pipe) -> None:  # type: ignore[no-untyped-def]
    """The second process: runs the asyncio load generator, sends the results back."""
    pipe.send(asyncio.run(drive(config)))
    pipe.close()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@dataclass
class Measured:
    """One endpoint over all its windows."""

    rate: float
    p50: float
    p95: float
    requests: int
    errors: int
    server_ms: float      # worker CPU ms per request
    postgres_ms: float
    server_cpus: float    # CPUs the workers used, on average
    client_cpus: float
    machine_busy: float
    per_round: list[float]
    examples: dict[str, int]


def summarise(windows: list[dict[str, Any]], kind: str) -> Measured:
    mine = [w for w in windows if w["kind"] == kind]
    seconds = sum(w["ended"] - w["started"] for w in mine)
    latencies = [x for w in mine for x in w["latencies"]]
    counts = [len(w["latencies"]) if w["count"] is None else w["count"] for w in mine]
    requests = sum(counts)
    if any(w["count"] is not None for w in mine):   # wrk: the median of its windows' percentiles
        p50, p95 = (statistics.median(w[p] for w in mine) for p in ("p50", "p95"))
    else:
        p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    examples: dict[str, int] = {}
    for w in mine:
        for problem, n in w["error_examples"].items():
            examples[problem] = examples.get(problem, 0) + n
    return Measured(
        rate=requests / seconds, p50=1000 * p50, p95=1000 * p95, requests=requests,
        errors=sum(w["errors"] for w in mine),
        server_ms=1000 * sum(w["server_cpu"] for w in mine) / max(requests, 1),
        postgres_ms=1000 * sum(w["postgres_cpu"] for w in mine) / max(requests, 1),
        server_cpus=sum(w["server_cpu"] for w in mine) / seconds,
        client_cpus=sum(w["client_cpu"] for w in mine) / seconds,
        machine_busy=sum(w["machine_busy"] * (w["ended"] - w["started"]) for w in mine) / seconds,
        per_round=[n / (w["ended"] - w["started"]) for n, w in zip(counts, mine)], examples=examples)


WRK_SCRIPT = r"""
-- generated by benchmarks/serve.py: %(kind)s, learners shared out among wrk's threads
local kind, threads_n = "%(kind)s", %(threads)d
local labels = {"fact", "commentary", "opinion"}
local learners = {%(learners)s}
local threads, made = {}, 0
function setup(thread)
  thread:set("tid", made)
  made = made + 1
  table.insert(threads, thread)
end
function init(args)
  mine, turn, acks, bad, exhausted = {}, 0, 0, 0, 0
  for i, l in ipairs(learners) do
    if (i - 1) %% threads_n == tid then table.insert(mine, {l = l, next = 1}) end
  end
end
function request()
  turn = turn %% #mine + 1
  local m = mine[turn]
  local headers = {["Cookie"] = "session=" .. m.l.cookie, ["Accept"] = "text/html"}
  if kind == "bare" then return wrk.format("GET", "/bench/hello", headers) end
  if kind == "question" then return wrk.format("GET", m.l.current, headers) end
  local todo = m.l.todo[m.next]   -- the learner's next unanswered question: {attempt path, position}
  if todo == nil then
    exhausted = exhausted + 1
    return wrk.format("GET", "/bench/hello", headers)
  end
  m.next = m.next + 1
  local body = "position=" .. todo[2] .. "&label=" .. labels[todo[2] %% 3 + 1] .. "&csrf_token=" .. m.l.token
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", todo[1], headers, body)
end
function response(status, headers, body)
  local good
  if kind == "bare" then good = status == 200 and body == "hello"
  elseif kind == "question" then good = status == 200 and string.find(body, 'name="position"', 1, true) ~= nil
  else
    local location = headers["Location"]
    good = status == 302 and location ~= nil and string.sub(location, -9) == "#feedback"
    if good then acks = acks + 1 end
  end
  if not good then bad = bad + 1 end
end
function done(summary, latency, requests)
  local acks_all, bad_all, exhausted_all = 0, 0, 0
  for _, t in ipairs(threads) do
    acks_all, bad_all, exhausted_all = acks_all + t:get("acks"), bad_all + t:get("bad"), exhausted_all + t:get("exhausted")
  end
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d %%.6f %%.6f\n", summary.requests, summary.duration, bad_all,
    e.connect + e.read + e.write + e.timeout, acks_all, exhausted_all, latency:percentile(50) / 1e6,
    latency:percentile(95) / 1e6))
end
"""


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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


def run_wrk(config: dict[str, Any], database_url: str, tmp: Path) -> dict[str, Any]:
    """The same plan with wrk (C, from Debian) as the load generator: one wrk run per warm-up and
    per window, its threads sharing the learners out; worker CPU is read around each window."""
    import resource

    hz = os.sysconf("SC_CLK_TCK")
    threads = min(2, os.cpu_count() or 1)
    totals = {"acknowledged": 0, "exhausted": 0}

    def idle() -> None:
        """Waits for the requests wrk left in flight when it stopped: the workers still answer them."""
        before, still, deadline = sum(cpu_ticks(p) for p in config["worker_pids"]), 0, time.time() + 60
        while still < 4 and time.time() < deadline:   # 1 s without CPU: no request left, none waiting on a lock
            time.sleep(0.25)
            now = sum(cpu_ticks(p) for p in config["worker_pids"])
            still, before = (still + 1 if now == before else 0), now

    idle_seconds = [0.0]

    def wrk(kind: str, seconds: float) -> list[str]:
        started = time.perf_counter()
        idle()
        idle_seconds[0] = time.perf_counter() - started
        todos = (unanswered(database_url, config["learners"]) if kind != "bare"
                 else [[] for _ in config["learners"]])
        learners = ", ".join(
            f"{{cookie = {lua_string(l['cookie'])}, token = {lua_string(urllib.parse.quote(l['token']))}, "
            f"current = {lua_string(todo[0][0] if todo else l['attempts'][-1])}, "
            f"todo = {{{', '.join(f'{{{lua_string(path)}, {position}}}' for path, position in todo)}}}}}"
            for l, todo in zip(config["learners"], todos))
        script = tmp / f"wrk-{kind}.lua"
        script.write_text(WRK_SCRIPT % {"kind": kind, "threads": threads,
                                        "learners": learners}, encoding="utf-8")
        done = subprocess.run(["wrk", "-t", str(threads), "-c", str(len(config["learners"])), "-d",
                               f"{max(1, round(seconds))}s", "--timeout", "60s", "-s", str(script),
                               f"http://127.0.0.1:{config['port']}/"], capture_output=True, text=True, check=False)
        line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
        if line is None:
            raise RuntimeError(f"wrk failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
        fields = line.split()
        totals["acknowledged"] += int(fields[5])
        totals["exhausted"] += int(fields[6])
        return fields

    windows = []
    for plan in config["plan"]:
        window = Window(**plan)
        wrk(window.kind, window.warmup)
        pg = postgres_pids() if config["postgres"] else []
        server0 = sum(cpu_ticks(p) for p in config["worker_pids"])
        pg0 = {p: cpu_ticks(p) for p in pg}
        machine0 = machine_ticks()
        client0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        fields = wrk(window.kind, window.seconds)
        wall = time.perf_counter() - wall - idle_seconds[0]
        client1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        machine1 = machine_ticks()
        requests, micros, bad, socket_errors = (int(x) for x in fields[1:5])
        window.started, window.ended = 0.0, micros / 1e6
        share = window.ended / max(wall, window.ended)   # CPU is read around wrk's run: scaled to its duration
        window.count, window.errors = requests - bad, bad + socket_errors
        if window.errors:
            window.error_examples = {"wrong reply": bad, "socket errors or timeouts": socket_errors}
        window.p50, window.p95 = float(fields[7]), float(fields[8])
        window.server_cpu = share * (sum(cpu_ticks(p) for p in config["worker_pids"]) - server0) / hz
        window.postgres_cpu = share * sum(cpu_ticks(p) - pg0[p] for p in pg if p in pg0) / hz
        window.client_cpu = share * ((client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime))
        window.machine_busy = (machine1[0] - machine0[0]) / max(machine1[1] - machine0[1], 1)
        windows.append(window.__dict__)
    return {"windows": windows, **totals}


def serving(args: argparse.Namespace, kind: str, database_url: str, tmp: Path) -> dict[str, Any]:
    """(a), (b) and (e): the load on one gunicorn, then its workers' memory."""
    set_count = math.ceil(args.answers_per_learner / args.set_questions)
    slugs = [f"serve-{n:02d}" for n in range(set_count)]
    folder = tmp / "serve-sets"
    folder.mkdir()
    for slug in slugs:
        (folder / f"{slug}.yaml").write_text(label_set(args.set_questions, slug), encoding="utf-8")
    release(database_url, folder, tmp)
    make_class(database_url, slugs)
    server = Gunicorn(database_url, tmp, args.workers).start()
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2 * args.workers) as pool:
            learners = list(pool.map(lambda n: prepare_learner(server.url, n, slugs[0]), range(args.concurrency)))
        more_attempts(database_url, learners, slugs[1:])
        note(f"{args.concurrency} learners joined and started their attempts in {time.perf_counter() - started:.1f} s")
        seconds = args.seconds / args.rounds
        plan = [{"kind": k, "round": r + 1, "seconds": seconds, "warmup": args.warmup if r == 0 else 0.5}
                for r in range(args.rounds) for k in KINDS]
        config = {"port": server.port, "learners": learners, "plan": plan, "set_questions": args.set_questions,
                  "worker_pids": server.worker_pids(), "postgres": database_url.startswith("postgresql")}
        note(f"load: {args.rounds} rounds of bare, question, submission, {seconds:.1f} s each after warm-up")
        if args.client == "wrk":
            results = run_wrk(config, database_url, tmp)
        else:
            context = multiprocessing.get_context("spawn")
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=load_process, args=(config, sender), name="quiz-bench-load")
            process.start()
            sender.close()
            try:
                results = receiver.recv()
            except EOFError:
                raise RuntimeError("the load generator died: see its traceback above") from None
            process.join()
        memory, worst = memory_lines(server)
    finally:
        server.stop()

    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT COUNT(*) FROM answers")).scalar_one()
        choices = connection.execute(text("SELECT COUNT(*) FROM label_choices")).scalar_one()
    engine.dispose()

    rows = {k: summarise(results["windows"], k) for k in KINDS}
    bare = rows["bare"]
    postgres = config["postgres"]
    say(f"(a), (b) {args.concurrency} concurrent signed-in learners; {kind}; `{server.shown}`")
    client = ("wrk (Debian's, C) with a Lua script, a second process; its own latency percentiles, median of "
              "the windows" if args.client == "wrk" else "asyncio HTTP/1.1 client in a second process")
    say(f"    load generator: {client}, on loopback; {args.rounds} rounds of "
        f"bare, question, submission in turn, {seconds:g} s each after warm-up ({args.seconds:g} s per endpoint)")
    say(f"    each learner joined the class with its code and started an attempt through HTTP, and {set_count - 1} more "
        f"in-process: {set_count} attempts x {args.set_questions} `label` questions; each submission posts the next "
        f"unanswered position (a 302 to its feedback is success)")
    say()
    header = (f"    {'endpoint':<40} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'requests':>8} {'errors':>6} "
              f"{'worker CPU ms/req':>17}" + (f" {'postgres CPU ms/req':>19}" if postgres else "")
              + f" {'workers CPUs':>12} {'client CPUs':>11} {'machine busy':>12}")
    say(header)
    say("    " + "-" * (len(header) - 4))
    for k, row in rows.items():
        say(f"    {KINDS[k]:<40} {row.rate:7.1f} {row.p50:7.1f} {row.p95:7.1f} {row.requests:8d} {row.errors:6d} "
            f"{row.server_ms:17.2f}" + (f" {row.postgres_ms:19.2f}" if postgres else "")
            + f" {row.server_cpus:12.2f} {row.client_cpus:11.2f} {row.machine_busy:12.0%}")
    for k, row in rows.items():
        if row.examples:
            say(f"    errors of {k}: {row.examples}")
    if results["exhausted"]:
        say(f"    WARNING: learners ran out of questions {results['exhausted']} times: raise --answers-per-learner")
    say()
    ratios = {}
    for name, target in (("question", TARGET_QUESTION), ("submission", TARGET_SUBMISSION)):
        rounds = [x / b for x, b in zip(rows[name].per_round, bare.per_round)]
        ratios[name] = statistics.median(rounds)
        say(f"    {name + ' / bare req/s':<24} {ratios[name]:.3f} (median of the rounds; target >= {target:.2f}: "
            f"{verdict(ratios[name] >= target)})   pooled {rows[name].rate / bare.rate:.3f};  rounds "
            + " ".join(f"{r:.3f}" for r in rounds))
    say(f"    worker CPU per request, as a multiple of bare's: question {rows['question'].server_ms / bare.server_ms:.1f}x, "
        f"submission {rows['submission'].server_ms / bare.server_ms:.1f}x")
    if args.client == "wrk":   # wrk drops the replies in flight when it stops: those answers are stored unread
        say(f"    writes: {stored:,} answers and {choices:,} label choices in the database; {results['acknowledged']:,} "
            f"submissions acknowledged while wrk read the replies (warm-ups included): "
            f"{'OK' if stored == choices and stored >= results['acknowledged'] else 'MISMATCH'}")
    else:
        say(f"    writes: {stored:,} answers and {choices:,} label choices in the database for "
            f"{results['acknowledged']:,} submissions acknowledged (warm-ups included): "
            f"{'OK' if stored == results['acknowledged'] == choices else 'MISMATCH'}")
    say()
    say(f"(e) memory of the gunicorn workers after the load ({kind})")
    for line in memory:
        say(line)
    say(f"    largest worker RSS {worst:.1f} MB (target < {TARGET_MEMORY_MB} MB: {verdict(worst < TARGET_MEMORY_MB)})")
    say()
    return {"question": ratios["question"], "submission": ratios["submission"], "memory": worst}


# -- (c): the set report -------------------------------------------------------------------------------

def label_of(expr: str) -> str:
    """SQL for serverkit.label_set's answer of question `expr`: fact, commentary, opinion, fact..."""
    return f"CASE ({expr}) % 3 WHEN 0 THEN 'fact' WHEN 1 THEN 'commentary' ELSE 'opinion' END"


def build_report_database(database_url: str, tmp: Path, answers: int) -> int:
    """A migrated database with two 20-question `label` sets and `answers` answers in all.

    Learners k = 0, 1, 2, ... sit in classes of 30 (class c = k // 30), each with one finished
    attempt answering every question, and the label choices the app writes with each answer.
    Class 0 is the instructor's (id 1), assigned the report set; the other classes are filler:
    even ones assigned the same set, odd ones the other. Ids are arithmetic on k, so every table
    is filled by INSERT ... SELECT over a generated series, 5,000 learners per transaction.
    Returns the answers counted in the database.
    """
    from sqlalchemy import Boolean, DateTime, bindparam, select, text

    from quiz import accounts, models
    from quiz.db import db

    folder = tmp / f"sets-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    for slug in ("report", "other"):
        (folder / f"{slug}.yaml").write_text(label_set(REPORT_QUESTIONS, slug), encoding="utf-8")
    release(database_url, folder, tmp)
    app = quiz_app(database_url)
    postgres = database_url.startswith("postgresql")
    learners = answers // REPORT_QUESTIONS
    with app.app_context():
        teacher_id = accounts.create_user(db.session, TEACHER, TEACHER_PASSWORD, role="instructor").id
        db.session.commit()
        sets = {slug: db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == slug))
                for slug in ("report", "other")}
        set_ids = [sets["report"].id, sets["other"].id]
        versions = ", ".join(f"({parity}, {n}, {q.current.id})" for parity, qset in enumerate(sets.values())
                             for n, q in enumerate(qset.current_questions))
        db.session.remove()

        user0, q = teacher_id + 1, REPORT_QUESTIONS
        series = "WITH RECURSIVE s(k) AS (SELECT {lo} UNION ALL SELECT k + 1 FROM s WHERE k + 1 < {hi})"
        set_of = f"CASE WHEN (k / {CLASS_SIZE}) % 2 = 0 THEN {set_ids[0]} ELSE {set_ids[1]} END"
        k, p = f"((i.id - 1) / {q})", "i.position"   # item id = 1 + q * k + position
        wrong = f"((({k}) * 7 + {p} * 13) % 10) < 1 + ({k}) % 4"   # 10 to 40 % wrong, by learner
        chosen = f"CASE WHEN {wrong} THEN {label_of(p + ' + 1')} ELSE {label_of(p)} END"
        decided = (f"SELECT i.id AS id, {label_of(p)} AS expected, {chosen} AS chosen FROM attempt_items i "
                   "WHERE i.id >= {ilo} AND i.id < {ihi}")
        response = "'\"' || chosen || '\"'"   # the JSON string the app stores for a label
        if postgres:
            response = f"CAST({response} AS json)"
        classes = [
            (f"INSERT INTO classrooms (id, name, join_code, archived, created_at) {series} "
             "SELECT 1 + k, 'Class ' || k, NULL, :off, :now FROM s"),
            (f"INSERT INTO assignments (id, classroom_id, set_id, feedback, counts, shuffle, created_at) {series} "
             f"SELECT 1 + k, 1 + k, CASE WHEN k % 2 = 0 THEN {set_ids[0]} ELSE {set_ids[1]} END, "
             "'immediate', 'best', :off, :now FROM s"),
        ]
        chunk = [
            (f"INSERT INTO users (id, username, password_hash, role, session_key, created_at) {series} "
             f"SELECT {user0} + k, 'r' || k, '!', 'learner', 'reader-' || k, :now FROM s"),
            (f"INSERT INTO memberships (classroom_id, user_id, joined_at) {series} "
             f"SELECT 1 + k / {CLASS_SIZE}, {user0} + k, :now FROM s"),
            (f"INSERT INTO attempts (id, set_id, user_id, assignment_id, kind, feedback, started_at, finished_at, "
             f"possible) {series} SELECT 1 + k, {set_of}, {user0} + k, 1 + k / {CLASS_SIZE}, 'set', 'immediate', "
             f":then, :now, {q} FROM s"),
            (f"INSERT INTO attempt_items (id, attempt_id, position, version_id) {series}, "
             f"v(parity, position, version_id) AS (VALUES {versions}) SELECT 1 + {q} * k + v.position, 1 + k, "
             f"v.position, v.version_id FROM s JOIN v ON v.parity = (k / {CLASS_SIZE}) % 2 ORDER BY 1"),
            (f"INSERT INTO answers (id, item_id, response, response_text, points, answered_at) SELECT id, id, "
             f"{response}, chosen, CASE WHEN chosen = expected THEN 1.0 ELSE 0.0 END, :now FROM ({decided}) x ORDER BY id"),
            ('INSERT INTO label_choices (id, answer_id, part, expected, chosen, "right") '
             f"SELECT id, id, 0, expected, chosen, chosen = expected FROM ({decided}) x ORDER BY id"),
            ("UPDATE attempts SET points = t.total FROM (SELECT i.attempt_id, SUM(a.points) AS total FROM attempt_items i "
             "JOIN answers a ON a.item_id = i.id WHERE i.id >= {ilo} AND i.id < {ihi} GROUP BY i.attempt_id) t "
             "WHERE attempts.id = t.attempt_id"),
        ]
        now = models.utcnow()
        values = {"now": now, "then": now - timedelta(minutes=20), "off": False}
        types = {"now": DateTime(timezone=True), "then": DateTime(timezone=True), "off": Boolean()}

        def run(connection, sql: str) -> None:  # type: ignore[no-untyped-def]
            used = [name for name in values if f":{name}" in sql]
            connection.execute(text(sql).bindparams(*[bindparam(n, type_=types[n]) for n in used]),
                               {n: values[n] for n in used})

        engine = db.engine
        with engine.begin() as connection:
            for sql in classes:
                run(connection, sql.format(lo=0, hi=math.ceil(learners / CLASS_SIZE)))
            run(connection, f"INSERT INTO classroom_instructors (classroom_id, user_id) VALUES (1, {teacher_id})")
        for lo in range(0, learners, 5000):
            hi = min(lo + 5000, learners)
            with engine.begin() as connection:
                for sql in chunk:
                    run(connection, sql.format(lo=lo, hi=hi, ilo=1 + q * lo, ihi=1 + q * hi))
            if hi < learners:
                note(f"report data: {hi * q:,} of {answers:,} answers")
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


REPORT_PATH = "/teach/classes/1/sets/report/"
REPORT_LEARNERS = re.compile(r"(\d+) learners(?:'|&#39;|&#x27;) counted attempts")


def report_instructor(base: str) -> Learner:
    """The class's instructor, signed in through HTTP."""
    teacher = Learner(base)
    reply = teacher.login(TEACHER, TEACHER_PASSWORD)
    if reply.status != 302:
        raise RuntimeError(f"instructor sign-in failed: HTTP {reply.status}")
    return teacher


def time_report(teacher: Learner) -> float:
    """Wall time of one GET of the set report, which must count the class's 30 learners."""
    started = time.perf_counter()
    page = teacher.get(REPORT_PATH)
    elapsed = time.perf_counter() - started
    found = REPORT_LEARNERS.search(page.body)
    if page.status != 200 or not found or int(found.group(1)) != CLASS_SIZE:
        raise RuntimeError(f"unexpected set report: HTTP {page.status}, {found and found.group(0)}")
    return elapsed


def report(args: argparse.Namespace, kind: str, urls: dict[str, str], tmp: Path) -> dict[str, Any]:
    """(c): two databases alike but for the filler, each served by the same gunicorn configuration;
    their reports are requested in turn, so that noise on the machine falls on both alike."""
    sizes = {"report10k": 10_000, "report1m": 1_000_000}
    built: dict[str, tuple[int, float]] = {}
    for part, answers in sizes.items():
        started = time.perf_counter()
        counted = build_report_database(urls[part], tmp, answers)
        built[part] = (counted, time.perf_counter() - started)
        note(f"report database with {counted:,} answers built in {built[part][1]:.1f} s")
    servers: list[Gunicorn] = []
    try:
        for part in sizes:
            servers.append(Gunicorn(urls[part], tmp, args.workers).start())
        teachers = [report_instructor(server.url) for server in servers]
        for _ in range(8):   # every worker of both servers has served the page before the timing
            for teacher in teachers:
                time_report(teacher)
        times: list[list[float]] = [[], []]
        for _ in range(args.report_repeats):
            for n, teacher in enumerate(teachers):
                times[n].append(time_report(teacher))
        memory, _worst = memory_lines(servers[1])
    finally:
        for server in servers:
            server.stop()
    medians = [statistics.median(t) for t in times]
    ratio = medians[1] / medians[0]
    say(f"(c) set report of a class of {CLASS_SIZE} (one finished attempt each at a {REPORT_QUESTIONS}-question `label` "
        f"set, counts best): GET {REPORT_PATH} as its instructor; {kind}")
    say(f"    two databases alike but for the filler (other classes of {CLASS_SIZE}: half assigned the same set, half "
        f"another), made with INSERT ... SELECT{', then ANALYZE (as autovacuum would)' if 'Postgre' in kind else ''};")
    say(f"    each served by `{servers[0].shown}`; {args.report_repeats} requests to each in turn, "
        f"one at a time, after 8 to each to warm up")
    say(f"    {'answers in the database':>24} {'built in s':>11} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for (counted, seconds), samples, median in zip(built.values(), times, medians):
        say(f"    {counted:>24,} {seconds:11.1f} {1000 * median:10.1f} {1000 * min(samples):8.1f} "
            f"{1000 * max(samples):8.1f}")
    say(f"    1,000,000 / 10,000: {ratio:.2f}x (target <= {TARGET_REPORT}x: {verdict(ratio <= TARGET_REPORT)})")
    say("    memory of the workers serving 1,000,000 answers, after the reports:")
    for line in memory:
        say(line)
    say()
    return {"report": ratio}


# -- (d): import ----------------------------------------------------------------------------------------

def import_sets(args: argparse.Namespace) -> None:
    """benchmarks/import_sets.py (another benchmark's) as a subprocess, its table printed as is."""
    command = [sys.executable, str(BENCH / "import_sets.py"), "--files", str(args.import_files)]
    if args.postgres:
        command += ["--postgres", args.postgres]
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    say(f"(d) quiz import of {args.import_files:,} set files: `{' '.join(['benchmarks/import_sets.py', *command[2:]])}`")
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    for line in done.stdout.splitlines():
        say(f"    {line}")
    if done.returncode:
        say(f"    import_sets.py failed ({done.returncode}): {done.stderr[-2000:]}")
    say()


# -- main -----------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server to make scratch databases on, e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test (default: SQLite)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per endpoint (default 15)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent learners (default 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--client", choices=("asyncio", "wrk"), default="asyncio",
                        help="load generator: the asyncio client (default) or wrk, if installed (apt-get install wrk): "
                             "a C client, which leaves more of the machine's CPU to the server")
    parser.add_argument("--rounds", type=int, default=5,
                        help="bare, question and submission are measured in turn this many times (default 5)")
    parser.add_argument("--warmup", type=float, default=3,
                        help="warm-up seconds before each endpoint's first window (default 3; later ones 0.5)")
    parser.add_argument("--set-questions", type=int, default=20,
                        help="`label` questions per set in the serving database (default 20, as real sets)")
    parser.add_argument("--answers-per-learner", type=int, default=400,
                        help="questions each learner can answer: attempts started before measuring (default 400)")
    parser.add_argument("--report-repeats", type=int, default=20,
                        help="timed set report requests to each report database (default 20)")
    parser.add_argument("--import-files", type=int, default=1000, help="set files for (d) (default 1,000)")
    parser.add_argument("--only", default="serve,report,import",
                        help="parts to run, of serve (a, b, e), report (c), import (d); default all")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    signal.signal(signal.SIGTERM, stopped)   # a stopped run still stops its servers and drops its databases

    shown = " ".join(["benchmarks/serve.py", *(sys.argv[1:] if argv is None else argv)])
    say(f"`{shown}`: {os.cpu_count()} CPUs, load average {load_average()} at the start, Python {sys.version.split()[0]}")
    say()
    results: dict[str, Any] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quiz-serve-") as name:
        tmp = Path(name)
        with databases(tmp, args.postgres) as (kind, urls):
            if "serve" in parts:
                results |= serving(args, kind, urls["serve"], tmp)
            if "report" in parts:
                results |= report(args, kind, urls, tmp)
    if "import" in parts:
        import_sets(args)
    say(f"Targets, as ratios within this run ({time.perf_counter() - started:.0f} s; load average "
        f"{load_average()} at the end)")
    checks = []
    if "question" in results:
        checks += [("question page / bare req/s", f"{results['question']:.3f}", f">= {TARGET_QUESTION:.2f}",
                    results["question"] >= TARGET_QUESTION),
                   ("submission / bare req/s", f"{results['submission']:.3f}", f">= {TARGET_SUBMISSION:.2f}",
                    results["submission"] >= TARGET_SUBMISSION)]
    if "report" in results:
        checks.append(("set report, 1M / 10k answers", f"{results['report']:.2f}x", f"<= {TARGET_REPORT:.2f}x",
                       results["report"] <= TARGET_REPORT))
    if "memory" in results:
        checks.append(("worker RSS after the load", f"{results['memory']:.1f} MB", f"< {TARGET_MEMORY_MB} MB",
                       results["memory"] < TARGET_MEMORY_MB))
    for label, value, target, ok in checks:
        say(f"    {label:<30} {value:>9}   {target:<9} {verdict(ok)}")
    return 0


def stopped(signum, _frame):  # type: ignore[no-untyped-def]
    raise SystemExit(128 + signum)


def load_average() -> str:
    try:
        return " ".join(f"{n:.1f}" for n in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
