"""A live class under load on a real gunicorn server: counts only, never timings.

Learners (12 in the suite's short form; LIVE_LEARNERS=60 for the full one) poll the session's
state as the live script does and answer each question the instructor opens. The database must
then hold exactly one answer per learner per question, each as acknowledged, and no request
may have failed with a 5xx. benchmarks/live.py runs the same class at 60 learners and prints
the timings.
"""
from __future__ import annotations

import os

from sqlalchemy import create_engine, text

from livekit import LiveClass, make_live_class
from serverkit import Server

QUESTIONS = 3


def test_a_live_class_stores_every_answer_once(world, tmp_path):
    learners = int(os.environ.get("LIVE_LEARNERS", "12"))
    class_id = make_live_class(world, learners)
    server = Server(world, tmp_path, workers=2).start()
    try:
        run = LiveClass([server.url], class_id, learners, QUESTIONS, poll_every=0.5).go()
    finally:
        server.stop()
    assert [s for s in run.statuses if s >= 500] == []
    assert run.errors == []
    assert len(run.acknowledged) == learners * QUESTIONS
    assert run.not_modified > 0  # unchanged polls were answered 304

    engine = create_engine(world)
    with engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT u.username, i.position, a.response_text FROM answers a "
            "JOIN attempt_items i ON i.id = a.item_id JOIN attempts t ON t.id = i.attempt_id "
            "JOIN users u ON u.id = t.user_id WHERE t.kind = 'live'")).all()
        per_question = connection.execute(text(
            "SELECT i.position, count(*) FROM answers a JOIN attempt_items i ON i.id = a.item_id "
            "JOIN attempts t ON t.id = i.attempt_id WHERE t.kind = 'live' GROUP BY i.position")).all()
        finished = connection.execute(text(
            "SELECT count(*) FROM attempts WHERE kind = 'live' AND finished_at IS NOT NULL")).scalar()
    engine.dispose()
    assert dict(per_question) == {position: learners for position in range(QUESTIONS)}
    assert {(name, position): label for name, position, label in stored} == run.acknowledged
    assert len(stored) == learners * QUESTIONS  # none doubled
    assert finished == learners
