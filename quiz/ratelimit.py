"""Sign-in limits that slow attackers down and lock no innocent person out (OWASP's advice).

- Wrong passwords are counted per (account, address) pair: after 10 in 15 minutes that pair
  waits, told in words for how long. The right password from another address still works, and
  a classmate on the same school network is not affected.
- An account under attack from many addresses, or an address trying many accounts (a school
  behind one NAT address: one attacker among many learners), is slowed, never locked: every
  check of that account's password, or from that address, waits a moment first.
- A try is counted *before* the password is checked, in one atomic increment (an upsert with
  RETURNING in the database, INCR in Redis), so 40 tries at once check at most 10 passwords.

Counters are keyed by an HMAC (with SECRET_KEY) of the normalised username and of the address,
so they name no one, and an erased learner leaves nothing readable behind. They live where every
app server sees them: in Redis when RATELIMIT_STORAGE_URI names it (any storage URI of the
`limits` library works), otherwise in the app's own database (`rate_limits`).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import random
import time
from time import sleep
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from .models import RateLimit

SIGN_IN_PAIR = parse("10 per 15 minutes")      # wrong passwords (or reset codes) for one account from one address
SIGN_IN_ACCOUNT = parse("10 per 15 minutes")   # wrong passwords for one account from anywhere: then slowed
SIGN_IN_ADDRESS = parse("300 per 15 minutes")  # wrong passwords from one address: then slowed
JOIN_LIMIT = parse("200 per hour")             # new accounts per address
SLOW_DOWN_SECONDS = 1.0                        # the wait before each check while slowed

rate_limits = RateLimit.__table__


class DatabaseStorage(Storage):
    """A fixed-window counter store in the app's database, for the `limits` library."""

    STORAGE_SCHEME = ["quizdb"]

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__("quizdb://", **options)
        self.engine = engine
        self._insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert

    @property
    def base_exceptions(self) -> type[Exception]:
        from sqlalchemy.exc import SQLAlchemyError

        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        expired = rate_limits.c.expires_at <= now
        statement = (self._insert(rate_limits).values(key=key, count=amount, expires_at=now + expiry)
                     .on_conflict_do_update(index_elements=[rate_limits.c.key], set_={
                         "count": case((expired, amount), else_=rate_limits.c.count + amount),
                         "expires_at": case((expired, now + expiry), else_=rate_limits.c.expires_at)})
                     .returning(rate_limits.c.count))
        with self.engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if random.random() < 0.01:  # now and then, forget windows long gone  # nosec B311
                connection.execute(delete(rate_limits).where(rate_limits.c.expires_at < now - 3600))
        return int(count)

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(select(rate_limits.c.count).where(
                rate_limits.c.key == key, rate_limits.c.expires_at > time.time())).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expiry = connection.execute(select(rate_limits.c.expires_at).where(rate_limits.c.key == key)).scalar()
        return float(expiry or time.time())

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except Exception:  # noqa: BLE001 - any failure means unhealthy
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(rate_limits)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(rate_limits).where(rate_limits.c.key == key))


class Limits:
    """The app's counters. `reserve` before an attempt; `failed`/`release` after a sign-in."""

    def __init__(self, storage: Storage, secret: str):
        self.storage = storage
        self.window = FixedWindowRateLimiter(storage)
        self.secret = secret.encode()

    def key(self, *parts: str) -> str:
        """A keyed hash of usernames and addresses: a counter's key names no one."""
        return hmac.new(self.secret, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()

    def reserve(self, item: RateLimitItem, scope: str, *parts: str) -> int:
        """Counts one try before it is made, atomically: 0 if it may go ahead, else the seconds
        until it may."""
        key = self.key(*parts)
        if self.window.hit(item, scope, key):
            return 0
        return max(1, math.ceil(self.window.get_window_stats(item, scope, key).reset_time - time.time()))

    def release(self, item: RateLimitItem, scope: str, *parts: str) -> None:
        """Forgets a pair's count: the person just proved they know the password."""
        self.window.clear(item, scope, self.key(*parts))

    def slow_down(self, username: str, address: str) -> None:
        """Waits a moment before a password check when the account or the address is under attack."""
        if (not self.window.test(SIGN_IN_ACCOUNT, "sign-in-account", self.key(username))
                or not self.window.test(SIGN_IN_ADDRESS, "sign-in-address", self.key(address))):
            sleep(SLOW_DOWN_SECONDS)

    def failed(self, username: str, address: str) -> None:
        """Counts a wrong password against the account and the address (the pair counted already)."""
        self.window.hit(SIGN_IN_ACCOUNT, "sign-in-account", self.key(username))
        self.window.hit(SIGN_IN_ADDRESS, "sign-in-address", self.key(address))


def init_app(app: Flask) -> None:
    uri = app.config.get("RATELIMIT_STORAGE_URI")
    if uri:
        storage: Storage = storage_from_string(uri)
    else:
        from .db import db

        with app.app_context():
            storage = DatabaseStorage(db.engine)
    app.extensions["quiz_limits"] = Limits(storage, app.config["SECRET_KEY"])


def limits() -> Limits:
    return current_app.extensions["quiz_limits"]
