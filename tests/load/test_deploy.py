"""The district deployment: two gunicorn servers against one PostgreSQL database.

A learner's requests alternate between the servers, as behind a load balancer: sign in on one,
answer on the other. Nothing may be lost or doubled, and sign-in limits count on both.
"""
from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from serverkit import JOIN_CODE, Learner, Server, right_label
from support import skip_or_fail

QUESTIONS = 20
LEARNERS = 12


def redis_url() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        skip_or_fail("the Redis variant needs a Redis server on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    return "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("counters", ["database", "redis"])
def test_two_servers_share_answers_sessions_and_limits(world, tmp_path, counters):
    extra = {"RATELIMIT_STORAGE_URI": redis_url()} if counters == "redis" else {}
    one = Server(world, tmp_path, workers=2, extra_env=extra).start()
    two = Server(world, tmp_path, workers=2, extra_env=extra).start()
    servers = [one.url, two.url]
    try:
        def visit(index: int) -> Learner:
            learner = Learner(one.url)
            assert learner.join(JOIN_CODE, f"pair{index:03d}").status == 302  # joins on one server
            attempt = learner.start("load", base=two.url)  # starts on the other
            for position in range(QUESTIONS):
                base = servers[(index + position) % 2]
                assert learner.current_position(attempt, base=base) == position
                reply = learner.answer(attempt, position, right_label(position), base=base)
                assert reply.status == 200 and 'id="feedback"' in reply.body
                if position % 5 == 0:  # the same answer again, through the other server
                    learner.answer(attempt, position, right_label(position), base=servers[(index + position + 1) % 2],
                                   again=True)
            learner.finish(attempt, base=servers[index % 2])
            learner.finish(attempt, base=servers[(index + 1) % 2], again=True)
            return learner

        with ThreadPoolExecutor(max_workers=6) as pool:
            visits = list(pool.map(visit, range(LEARNERS)))
        assert not [s for v in visits for s in v.statuses if s >= 500]

        # ten wrong passwords from one address, spread over both servers, stop that address on both
        guesser = Learner(one.url)
        for attempt in range(10):
            assert guesser.login("pair000", "wrong-password", base=servers[attempt % 2]).status == 200
        for base in servers:
            blocked = guesser.login("pair000", "load-test-password", base=base)
            assert blocked.status == 429 and "Too many wrong passwords" in blocked.body
        # while a classmate signs in on either
        assert Learner(one.url).login("pair001", base=two.url).status == 302
    finally:
        one.stop()
        two.stop()

    engine = create_engine(world)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM answers")).scalar() == LEARNERS * QUESTIONS
        finished = connection.execute(text(
            "SELECT count(*), sum(points) FROM attempts WHERE finished_at IS NOT NULL")).one()
        assert tuple(finished) == (LEARNERS, LEARNERS * QUESTIONS)
        assert connection.execute(text("SELECT count(*) FROM attempts")).scalar() == LEARNERS
    engine.dispose()
