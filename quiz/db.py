"""The database handle, the per-connection settings SQLite needs, and how transactions begin."""
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
# What the transactions begun now are for: "write" (`writing()`), "read" (`reading()`) or "".
_intent: ContextVar[str] = ContextVar("transaction_intent", default="")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def configure_engine(engine: Engine) -> None:
    """How transactions begin: `BEGIN IMMEDIATE` inside `writing()`, none at all inside `reading()`.

    PostgreSQL: inside `reading()` psycopg runs in autocommit, so it sends no BEGIN before the
    first statement and no ROLLBACK at the end; each statement sees what is committed, as it
    would under READ COMMITTED anyway. SQLite: see `configure_sqlite`.
    """
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
        return

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        if "isolation_level" in connection.get_execution_options():
            return   # a connection given its own isolation level (e.g. AUTOCOMMIT for VACUUM) keeps it
        dbapi_connection = connection.connection.dbapi_connection
        reading_only = _intent.get() == "read"
        if dbapi_connection.autocommit != reading_only:
            dbapi_connection.autocommit = reading_only


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys on, `BEGIN IMMEDIATE` inside `writing()`, and no BEGIN
    inside `reading()`.

    pysqlite's own transaction handling is turned off so that SQLAlchemy's BEGIN is the one
    sent: a transaction that will write takes the write lock up front, so two writers queue on
    the busy timeout instead of one failing when it tries to upgrade a read lock. Without a
    BEGIN each statement is its own read transaction (autocommit).
    """

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
        intent = _intent.get()
        if intent != "read":
            connection.exec_driver_sql("BEGIN IMMEDIATE" if intent == "write" else "BEGIN")


@contextmanager
def writing() -> Iterator[None]:
    """Marks the transactions begun inside as writers (SQLite: `BEGIN IMMEDIATE`).

    A read transaction still open is ended first, so the write lock is taken at the start of
    the next one rather than by upgrading a stale read, which SQLite refuses under contention.
    """
    with _transactions_for("write"):
        yield


@contextmanager
def reading() -> Iterator[None]:
    """Marks the transactions begun inside as reads with no BEGIN and no ROLLBACK (autocommit).

    For requests that only read, where each statement stands alone: two round trips fewer.
    Nothing inside may write.
    """
    with _transactions_for("read"):
        yield


@contextmanager
def _transactions_for(intent: str) -> Iterator[None]:
    if db.session().in_transaction():
        db.session.commit()
    token = _intent.set(intent)
    try:
        yield
    finally:
        _intent.reset(token)


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
