#!/usr/bin/env python3
"""Live mode benchmark: a class of 60 polling every 2 s and answering, measured on real servers.

    .venv/bin/python benchmarks/live.py [--postgres URL] [--learners 60] [--questions 5]
                                        [--seconds 5] [--rounds 3] [--connections 16]

Run on each server in turn:
- `quiz serve`'s way, on a SQLite file: one process, waitress with 8 threads, started through
  the same function as `quiz serve` (benchmarks/live_app.py);
- with --postgres URL: gunicorn --workers 4 on a fresh PostgreSQL database made on that server
  (dropped at the end).
Both serve the quiz and, on the same server, a truly bare Flask "hello" (benchmarks/live_app.py).

(a) What an unchanged poll costs: a learner's GET /live/<id>/state with the ETag it holds (a
    304 with no body), against the bare hello, requests/s at saturation (wrk when installed, a
    threaded client otherwise), in interleaved rounds; the ratio poll/bare per round, min /
    median / max.
(b) A live class: 60 signed-in learners poll every 2 s as quiz/static/live.js does, reload on
    a change and answer each question; the instructor opens a question, waits for every answer
    (and at least --hold seconds, 15 by default, as in a lesson), closes it. Printed: per question the time from Close to the last screen showing its feedback
    (and the median screen), poll latency p50/p95, 304 share, 5xx count, answers stored per
    question (must equal the class size: none lost, none doubled).
Figures are from one run on one machine; the machine may be shared and noisy.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT / "tests"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from livekit import LiveClass, make_live_class  # noqa: E402
from serverkit import BIN, free_port, label_set, release, scratch_postgres, server_env  # noqa: E402


def say(text: str = "") -> None:
    print(text, flush=True)


def note(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


# -- servers -------------------------------------------------------------------------------------

@contextmanager
def serving(kind: str, database_url: str, cwd: Path) -> Iterator[str]:
    """The quiz plus the bare hello, served `quiz serve`'s way (sqlite) or by gunicorn (postgres)."""
    port = free_port()
    env = server_env(database_url, PYTHONPATH=str(ROOT / "benchmarks"))
    if kind == "sqlite":
        command = [sys.executable, str(ROOT / "benchmarks" / "live_app.py"), str(port)]
    else:
        command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "4", "--timeout", "120",
                   "live_app:create()"]
    log = open(cwd / f"server-{port}.log", "ab")
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the server did not start: see {log.name}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def database(kind: str, tmp: Path, postgres: str | None) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'live.db'}"
        return
    with scratch_postgres(postgres or "", ("live",)) as urls:
        yield urls["live"]


# -- (a) saturation: requests/s of the poll and of the bare hello -----------------------------------

WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def rate_wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> tuple[float, int]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    bad = WRK_BAD.search(out)
    return float(WRK_RATE.search(out).group(1)), int(bad.group(1)) if bad else 0


def rate_threads(url: str, headers: dict[str, str], seconds: float, connections: int) -> tuple[float, int]:
    """Requests/s from `connections` threads, a new connection per request (as gunicorn's sync workers close)."""
    parts = urllib.parse.urlsplit(url)
    done, bad = [0], [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def hammer() -> None:
        while time.perf_counter() < stop:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            connection.request("GET", parts.path, headers=headers)
            status = connection.getresponse().status
            connection.close()
            with lock:
                done[0] += 1
                bad[0] += status >= 400
    threads = [threading.Thread(target=hammer) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - began), bad[0]



def poll_cost(base: str, follow: str, cookie: str, etag: str, args: argparse.Namespace) -> dict:
    rate = rate_wrk if shutil.which("wrk") else rate_threads
    poll_headers = {"Cookie": f"session={cookie}", "If-None-Match": etag}
    rows = []
    for _round in range(args.rounds):
        bare, bad_bare = rate(base + "/bare/hello", {}, args.seconds, args.connections)
        poll, bad_poll = rate(base + follow + "state", poll_headers, args.seconds, args.connections)
        if bad_bare or bad_poll:
            raise RuntimeError(f"errors while measuring: bare {bad_bare}, poll {bad_poll}")
        rows.append((bare, poll, poll / bare))
        note(f"round: bare {bare:.0f}/s, poll {poll:.0f}/s, ratio {poll / bare:.3f}")
    ratios = sorted(r for _b, _p, r in rows)
    return {"client": "wrk" if rate is rate_wrk else "threads", "ratios": ratios,
            "bare": statistics.median(b for b, _p, _r in rows), "poll": statistics.median(p for _b, p, _r in rows)}


# -- (b) the class ------------------------------------------------------------------------------------

def stored_per_question(database_url: str) -> dict[int, tuple[int, int]]:
    """position -> (answers stored, distinct learners), for live attempts."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT i.position, count(*), count(DISTINCT t.user_id) FROM answers a "
            "JOIN attempt_items i ON i.id = a.item_id JOIN attempts t ON t.id = i.attempt_id "
            "WHERE t.kind = 'live' GROUP BY i.position ORDER BY i.position")).all()
    engine.dispose()
    return {position: (n, learners) for position, n, learners in rows}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def bench(kind: str, args: argparse.Namespace, tmp: Path) -> None:
    shown = "quiz serve's way (waitress, 8 threads, 1 process), SQLite" if kind == "sqlite" \
        else "gunicorn --workers 4, PostgreSQL"
    say(f"\n== {shown}")
    with database(kind, tmp, args.postgres) as url:
        sets = tmp / f"sets-{kind}"
        sets.mkdir()
        (sets / "load.yaml").write_text(label_set(max(args.questions, 1)), encoding="utf-8")
        release(url, sets, tmp)
        class_id = make_live_class(url, args.learners)
        with serving(kind, url, tmp) as base:
            note(f"{args.learners} learners sign in and join")
            live = LiveClass([base], class_id, args.learners, args.questions, poll_every=args.every, hold=args.hold)
            first = live.browsers[0]
            cookie = next(c.value for c in first.jar if c.name == "session")
            _status, etag, _state, _took = first.poll(live.follow + "state", "")
            cost = poll_cost(base, live.follow, cookie, etag, args)
            note(f"the class: {args.questions} questions")
            began = time.perf_counter()
            run = live.go()
            took = time.perf_counter() - began
        stored = stored_per_question(url)
    low, mid, high = cost["ratios"][0], statistics.median(cost["ratios"]), cost["ratios"][-1]
    say(f"(a) unchanged poll (304) / bare hello, requests/s at saturation ({cost['client']}, "
        f"{args.connections} connections, {args.rounds} rounds of {args.seconds:g} s):")
    say(f"    ratio min {low:.3f} / median {mid:.3f} / max {high:.3f}"
        f"   (median poll {cost['poll']:.0f}/s, bare {cost['bare']:.0f}/s)")
    fives = sum(1 for s in run.statuses if s >= 500)
    say(f"(b) {args.learners} learners polling every {args.every:g} s, {args.questions} questions open "
        f"{args.hold:g} s or more, {took:.0f} s:")
    for position, delays in sorted(run.feedback_delays.items()):
        n, learners = stored.get(position, (0, 0))
        say(f"    question {position + 1}: close -> every screen showing feedback {max(delays):.2f} s "
            f"(median screen {statistics.median(delays):.2f} s); answers stored {n}, learners {learners}")
    say(f"    polls {len(run.polls)}, 304 {run.not_modified / max(len(run.polls), 1):.0%}, "
        f"latency p50 {1000 * percentile(run.polls, .5):.1f} ms / p95 {1000 * percentile(run.polls, .95):.1f} ms")
    say(f"    requests {len(run.statuses)}, 5xx {fives}, answers acknowledged {len(run.acknowledged)}, "
        f"problems: {'; '.join(run.errors) or 'none'}")
    lost_or_doubled = [p for p in range(args.questions) if stored.get(p, (0, 0)) != (args.learners, args.learners)]
    say(f"    answers per question = class size: {'yes' if not lost_or_doubled else 'NO at ' + str(lost_or_doubled)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL: also run gunicorn + PostgreSQL")
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between a screen's polls")
    parser.add_argument("--hold", type=float, default=15.0, help="seconds each question stays open at least")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each saturation window")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    say(f"Live mode benchmark: {args.learners} learners, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="quiz-live-") as folder:
        bench("sqlite", args, Path(folder))
        if args.postgres:
            bench("postgres", args, Path(folder))


if __name__ == "__main__":
    main()
