#!/usr/bin/env python3
"""`quiz serve` (waitress) against gunicorn --workers 4: the question page, 30 learners at once.

    .venv/bin/python benchmarks/front_door.py [--learners 30] [--seconds 8] [--rounds 3]

One SQLite file, two servers on it, each started as a user starts it: `quiz serve --port A`
and `gunicorn --workers 4 'quiz:create_app()'` on port B. Each of 30 learners starts a practice
attempt (its own cookie) and then loads its question page over and over, every request on a
new connection (gunicorn's sync workers close each one), from an asyncio client in a second
process. The two servers take turns, round after round, so both see the same machine; the
script prints each round's requests/s and the ratio of medians, quiz serve over gunicorn.
Nothing here is a pass or fail: it answers "is waitress good enough for a classroom?".
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serverkit import BIN, Learner, free_port  # noqa: E402


def start(command: list[str], env: dict[str, str], cwd: Path, url: str) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{command[0]} did not answer")


async def hammer(port: int, pages: list[tuple[str, str]], seconds: float) -> tuple[int, int]:
    """Each learner loads its page in a loop until time is up; (200s, others)."""
    ok = bad = 0
    stop = time.monotonic() + seconds

    async def learner(path: str, cookie: str) -> None:
        nonlocal ok, bad
        request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                   "Connection: close\r\n\r\n").encode()
        while time.monotonic() < stop:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            reply = await reader.read()
            writer.close()
            if reply.startswith(b"HTTP/1.1 200") or reply.startswith(b"HTTP/1.0 200"):
                ok += 1
            else:
                bad += 1

    await asyncio.gather(*(learner(path, cookie) for path, cookie in pages))
    return ok, bad


def client(port: int, pages: list[tuple[str, str]], seconds: float, out) -> None:  # type: ignore[no-untyped-def]
    out.send(asyncio.run(hammer(port, pages, seconds)))


def measure(port: int, pages: list[tuple[str, str]], seconds: float) -> tuple[float, int]:
    here, there = multiprocessing.Pipe()
    process = multiprocessing.Process(target=client, args=(port, pages, seconds, there))
    process.start()
    ok, bad = here.recv()
    process.join()
    return ok / seconds, bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        env.update({"DATABASE_URL": f"sqlite:///{tmp / 'quiz.db'}", "SECRET_KEY": "front-door-benchmark-0123456789"})
        ports = {"quiz serve": free_port(), "gunicorn -w 4": free_port()}
        servers = [
            start([str(BIN / "quiz"), "serve", "--port", str(ports["quiz serve"])], env, tmp,
                  f"http://127.0.0.1:{ports['quiz serve']}"),
        ]
        servers.append(start([str(BIN / "gunicorn"), "--workers", "4", "--bind", f"127.0.0.1:{ports['gunicorn -w 4']}",
                              "quiz:create_app()"], env, tmp, f"http://127.0.0.1:{ports['gunicorn -w 4']}"))
        try:
            pages = []
            for _ in range(args.learners):
                learner = Learner(f"http://127.0.0.1:{ports['quiz serve']}")
                attempt = learner.start("putin-peace-proposal")
                cookie = "; ".join(f"{c.name}={c.value}" for c in learner.jar)
                pages.append((attempt, cookie))
            rates: dict[str, list[float]] = {name: [] for name in ports}
            print(f"{args.learners} learners, question page, {args.seconds:g} s windows; load average "
                  f"{os.getloadavg()[0]:.1f}")
            for round_number in range(1, args.rounds + 1):
                for name, port in ports.items():
                    rate, bad = measure(port, pages, args.seconds)
                    rates[name].append(rate)
                    print(f"  round {round_number}  {name:14} {rate:7.1f} requests/s  non-200: {bad}")
            medians = {name: statistics.median(values) for name, values in rates.items()}
            for name, values in rates.items():
                print(f"{name:14} min {min(values):.1f}  median {medians[name]:.1f}  max {max(values):.1f} requests/s")
            print(f"ratio quiz serve / gunicorn -w 4 (medians): {medians['quiz serve'] / medians['gunicorn -w 4']:.2f}"
                  f"; load average {os.getloadavg()[0]:.1f}")
        finally:
            for server in servers:
                os.killpg(server.pid, 15)
                server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
