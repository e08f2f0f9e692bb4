"""The database handle and the per-connection settings SQLite needs to be safe and fast."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session

SQLITE_BUSY_TIMEOUT_MS = 15_000
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys on, and `BEGIN IMMEDIATE` inside `writing()`.

    pysqlite's own transaction handling is turned off so that SQLAlchemy's BEGIN is the one
    sent: a transaction that will write takes the write lock up front, so two writers queue on
    the busy timeout instead of one failing when it tries to upgrade a read lock.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def writing() -> Iterator[None]:
    """Marks the transactions begun inside as writers (SQLite: `BEGIN IMMEDIATE`).

    A read transaction still open is ended first, so the write lock is taken at the start of
    the next one rather than by upgrading a stale read, which SQLite refuses under contention.
    """
    if db.session().in_transaction():
        db.session.commit()
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def inserted(session: Session, row: object) -> bool:
    """Adds a row under a savepoint; False if a unique key says another request added it first."""
    return written(session, lambda: session.add(row))


def written(session: Session, change: Callable[[], object]) -> bool:
    """Makes a change under a savepoint; False if a unique key says another request made it first.

    The race rule of every creating POST: the database's unique key is the judge, never a
    lookup before the insert. On PostgreSQL the insert waits for the other transaction, so
    its row is visible to the next statement; on SQLite `writing()` already queues writers.
    """
    try:
        with session.begin_nested():
            change()
    except IntegrityError:
        return False
    return True
