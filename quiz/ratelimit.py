"""Sign-in limits: strict per account, loose per address (a whole school shares one address).

Only failed attempts count, so a class signing in together is never locked out. Counters live
where every app server sees them: in Redis when RATELIMIT_STORAGE_URI names it (any storage
URI of the `limits` library works), otherwise in the app's own database (`rate_limits`, one
atomic upsert per failure).
"""
from __future__ import annotations

import random
import time
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

ACCOUNT_LIMIT = parse("10 per 15 minutes")    # failed sign-ins or reset codes per username
ADDRESS_LIMIT = parse("300 per 15 minutes")   # failures per address: a school behind one address
JOIN_LIMIT = parse("200 per hour")            # new accounts per address

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
    """The app's limits: ask `allowed` before checking a password, `failed` after a miss."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.window = FixedWindowRateLimiter(storage)

    def allowed(self, item: RateLimitItem, scope: str, key: str) -> bool:
        return self.window.test(item, scope, key.lower())

    def hit(self, item: RateLimitItem, scope: str, key: str) -> None:
        self.window.hit(item, scope, key.lower())


def init_app(app: Flask) -> None:
    uri = app.config.get("RATELIMIT_STORAGE_URI")
    if uri:
        storage: Storage = storage_from_string(uri)
    else:
        from .db import db

        with app.app_context():
            storage = DatabaseStorage(db.engine)
    app.extensions["quiz_limits"] = Limits(storage)


def limits() -> Limits:
    return current_app.extensions["quiz_limits"]
