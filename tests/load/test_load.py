"""No lost answers under load, nor after a crash: real gunicorn servers, real HTTP.

Learners (30 in the suite's short form, 200 with LOAD_LEARNERS=200) join, answer 20 questions
each (some double-submitting, some refreshing) and finish (some twice), concurrently against
gunicorn with 4 workers. The database must then hold
exactly one answer per question per learner and one finished, correctly scored attempt each.
"""
from __future__ import annotations

import http.client
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, select, text

from serverkit import JOIN_CODE, Learner, Server, load_size, right_label

QUESTIONS = 20


def chosen_label(learner: int, position: int) -> str:
    """Right except where (learner + position) % 4 == 0, so each learner's score is known."""
    return right_label(position) if (learner + position) % 4 else right_label(position + 1)


def expected_points(learner: int) -> int:
    return sum(1 for p in range(QUESTIONS) if (learner + p) % 4)


def retrying(action, attempts: int = 200):  # type: ignore[no-untyped-def]
    """Runs an HTTP action again while the server is down (a crash test restarts it)."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return action()
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:  # down, or cut mid-reply
            last = error
            time.sleep(0.1)
    raise RuntimeError("the server never came back") from last


def take_quiz(base: str, index: int, acknowledged: dict, lock: threading.Lock) -> Learner:
    """One learner's whole visit; records every answer the server acknowledged (its feedback page)."""
    learner = Learner(base)
    name = f"learner{index:04d}"
    joined = retrying(lambda: learner.join(JOIN_CODE, name))
    if joined.status != 302:  # the join went through before a crash: sign in instead
        assert "taken" in joined.body, joined.status
        retrying(lambda: learner.login(name))
    attempt = retrying(lambda: learner.start("load"))
    while True:
        position = retrying(lambda: learner.current_position(attempt))
        if position is None:
            break
        if index % 10 == 3:  # a refresh before answering
            retrying(lambda: learner.get(attempt))
        label = chosen_label(index, position)
        reply = retrying(lambda: learner.answer(attempt, position, label))
        if reply.status == 200 and 'id="feedback"' in reply.body:
            with lock:
                acknowledged[(name, position)] = label
        if index % 10 == 7:  # a double submission of the same answer
            retrying(lambda: learner.answer(attempt, position, label, again=True))
    retrying(lambda: learner.finish(attempt))
    if index % 5 == 0:
        retrying(lambda: learner.finish(attempt, again=True))  # finishing twice scores once
    learner.attempt = attempt  # type: ignore[attr-defined]
    return learner


def check_database(database_url: str, learners: int, acknowledged: dict) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        answers = connection.execute(text(
            "SELECT u.username, i.position, a.response_text, a.points FROM answers a "
            "JOIN attempt_items i ON i.id = a.item_id JOIN attempts t ON t.id = i.attempt_id "
            "JOIN users u ON u.id = t.user_id")).all()
        assert len(answers) == learners * QUESTIONS
        stored = {(name, position): response for name, position, response, _points in answers}
        assert len(stored) == len(answers)  # each once
        for key, label in acknowledged.items():
            assert stored[key] == label, key  # every acknowledged answer is there, as given
        attempts = connection.execute(text(
            "SELECT u.username, t.finished_at, t.points FROM attempts t JOIN users u ON u.id = t.user_id")).all()
        assert len(attempts) == learners
        for name, finished_at, points in attempts:
            assert finished_at is not None
            assert points == expected_points(int(name[len("learner"):])), name
    engine.dispose()


def test_no_answer_is_lost_or_doubled_under_load(world, tmp_path):
    learners = load_size()
    server = Server(world, tmp_path).start()
    acknowledged: dict = {}
    lock = threading.Lock()
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            visits = list(pool.map(lambda i: take_quiz(server.url, i, acknowledged, lock), range(learners)))
    finally:
        server.stop()
    statuses = [s for visit in visits for s in visit.statuses]
    assert not [s for s in statuses if s >= 500]
    assert len(acknowledged) == learners * QUESTIONS
    check_database(world, learners, acknowledged)


def test_a_crash_mid_load_loses_no_acknowledged_answer(world, tmp_path):
    learners = max(load_size() // 4, 15)
    server = Server(world, tmp_path).start()
    acknowledged: dict = {}
    lock = threading.Lock()

    def crash_and_restart() -> None:
        while len(acknowledged) < learners * QUESTIONS // 3:
            time.sleep(0.05)
        server.kill()  # SIGKILL: master and every worker, mid-request
        with lock:
            at_crash = dict(acknowledged)
        crash_and_restart.at_crash = at_crash  # type: ignore[attr-defined]
        server.start()

    killer = threading.Thread(target=crash_and_restart)
    killer.start()
    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            visits = list(pool.map(lambda i: take_quiz(server.url, i, acknowledged, lock), range(learners)))
        killer.join()
        # after the restart, a learner who comes back resumes where they were: all answered
        for visit in visits[:5]:
            assert visit.current_position(visit.attempt) is None
    finally:
        killer.join(timeout=1)
        server.stop()
    at_crash = crash_and_restart.at_crash  # type: ignore[attr-defined]
    assert learners * QUESTIONS // 3 <= len(at_crash) < learners * QUESTIONS
    check_database(world, learners, at_crash)  # what was acknowledged before the kill survived
    check_database(world, learners, acknowledged)
