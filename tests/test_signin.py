"""Signing in under attack, on both databases: no username oracle, limits that lock out no one innocent."""
from __future__ import annotations

import hashlib

import pytest

from support import csrf_token, join_as, post_form, skip_or_fail


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Counts the password hashes computed (Werkzeug hashes passwords with hashlib.scrypt)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_an_unknown_username_costs_one_hash_like_a_wrong_password(app, make_class, scrypt_calls):
    make_class()
    join_as(app.test_client(), "known-learner")
    for username in ("known-learner", "nobody-by-this-name"):
        client = app.test_client()
        client.get("/login")
        scrypt_calls.clear()
        response = post_form(client, "/login", {"username": username, "password": "wrong-password"})
        assert response.status_code == 200 and "do not match" in response.get_data(as_text=True)
        assert len(scrypt_calls) == 1, username


def use_redis(app) -> None:
    """Counters in Redis (RATELIMIT_STORAGE_URI); a fresh SECRET_KEY keys them apart from any other run's."""
    import uuid

    import redis

    from quiz import ratelimit

    uri = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(uri).ping()
    except redis.RedisError:
        skip_or_fail(f"Redis tests need a Redis server at {uri}")
    app.config.update(RATELIMIT_STORAGE_URI=uri, SECRET_KEY=uuid.uuid4().hex)
    ratelimit.init_app(app)


ATTACKER, HOME, SCHOOL = "203.0.113.9", "198.51.100.7", "192.0.2.1"


@pytest.fixture
def pauses(monkeypatch):
    """The slow-down waits, recorded instead of slept."""
    waits = []
    monkeypatch.setattr("quiz.ratelimit.sleep", waits.append, raising=False)
    return waits


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in_at(client, username: str, password: str):
    return post_form(client, "/login", {"username": username, "password": password})


def test_wrong_passwords_stop_that_address_only_and_say_when_to_try_again(app, make_class, pauses):
    make_class()
    join_as(app.test_client(), "target")
    join_as(app.test_client(), "classmate")
    attacker = client_at(app, ATTACKER)
    for _ in range(10):
        assert sign_in_at(attacker, "Target", "guess-guess").status_code == 200
    stopped = sign_in_at(attacker, "target", "learner-password")
    assert stopped.status_code == 429 and 0 < int(stopped.headers["Retry-After"]) <= 15 * 60
    assert "Too many wrong passwords for this account from this device or network. Try again in 15 minutes." \
        in stopped.get_data(as_text=True)
    assert pauses == []  # refused before any password check, so nothing to slow down
    # the owner, elsewhere, signs in while the account is under attack: slowed a moment, not locked
    assert sign_in_at(client_at(app, HOME), "target", "learner-password").status_code == 302
    assert pauses == [1.0]
    # a classmate on the attacker's network is not affected at all
    assert sign_in_at(client_at(app, ATTACKER), "classmate", "learner-password").status_code == 302
    assert pauses == [1.0]


def test_one_attacker_behind_a_school_address_locks_no_learner_out(app, make_class, pauses):
    make_class()
    join_as(app.test_client(), "pupil")
    attacker = client_at(app, SCHOOL)
    token = csrf_token(attacker, "/login")
    for n in range(310):  # 31 made-up names, 10 tries each: over the loose per-address count
        data = {"csrf_token": token, "username": f"guess{n % 31}", "password": "guess-guess"}
        assert attacker.post("/login", data=data).status_code == 200
    assert len(pauses) == 10  # the address is slowed once it passes 300 failures
    assert sign_in_at(client_at(app, SCHOOL), "pupil", "learner-password").status_code == 302


@pytest.mark.parametrize("counters", ["database", "redis"])
def test_forty_wrong_passwords_at_once_check_at_most_ten(app, make_class, scrypt_calls, pauses, counters):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    if counters == "redis":
        use_redis(app)
    make_class()
    join_as(app.test_client(), "target")
    clients = [client_at(app, ATTACKER) for _ in range(40)]
    tokens = [csrf_token(c, "/login") for c in clients]
    scrypt_calls.clear()
    barrier = Barrier(40)

    def guess(index: int) -> int:
        barrier.wait()
        return clients[index].post("/login", data={"csrf_token": tokens[index], "username": "target",
                                                   "password": f"guess-{index}"}).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = sorted(pool.map(guess, range(40)))
    assert statuses == [200] * 10 + [429] * 30
    assert len(scrypt_calls) == 10


def test_rate_limit_counters_name_no_one_and_outlive_no_erasure(app, make_class, runner):
    from sqlalchemy import select

    from quiz import models
    from quiz.db import db

    make_class()
    join_as(app.test_client(), "erased-learner")
    for _ in range(3):
        sign_in_at(client_at(app, ATTACKER), "erased-learner", "guess-guess")
    post_form(client_at(app, ATTACKER), "/reset", {"username": "erased-learner", "code": "WRONG-CODE1",
                                                  "password": "new-password", "confirm": "new-password"})
    assert runner.invoke(args=["learner", "delete", "erased-learner", "--yes"]).exit_code == 0
    with app.app_context():
        keys = db.session.scalars(select(models.RateLimit.key)).all()
    assert len(keys) >= 4  # the pair, the account, the address, the reset pair (and the joins)
    for key in keys:
        assert "erased" not in key.lower() and ATTACKER not in key and "127.0.0.1" not in key, key
