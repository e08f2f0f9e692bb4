"""The database handle, the per-connection settings SQLite needs, and how transactions begin."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Select, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

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
    if in_transaction(db.session):
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


# Called with (engine, SQL text) for every statement `Prepared` sends, which engine events do
# not see: tests/test_round_trips.py counts them with the rest.
prepared_listeners: list[Callable[[Engine, str], None]] = []


def in_transaction(session: Session | scoped_session) -> bool:  # type: ignore[type-arg]
    """Whether the session has a transaction open (a scoped session not made yet has none)."""
    if isinstance(session, scoped_session):
        if not session.registry.has():
            return False
        session = session.registry()
    return session.in_transaction()


class Prepared:
    """A read-only SELECT for the requests every learner makes many times, run straight on the
    DBAPI connection: compiled once per database, sent in autocommit (no BEGIN, no ROLLBACK, as
    inside `reading()`), its rows converted by the columns' own types, so they are what
    `connection.execute(statement).all()` gives.

    SQLAlchemy's execute costs about 70 microseconds a statement here (its compiled cache, events
    and result object), a sixth of a question page. The pool's checkout is kept; if the driver
    fails, the connection is discarded and the read made again through SQLAlchemy. Inside a transaction the session's own connection is used, so
    the read sees what the transaction wrote. Parameters are plain ints and text (no bind
    processing).
    """

    def __init__(self, statement: Select) -> None:   # type: ignore[type-arg]
        self.statement = statement
        self._compiled: dict[str, tuple[str, Any, list]] = {}   # by dialect name: SQL, parameter order, converters

    def rows(self, session: Session, parameters: dict[str, Any]) -> list[tuple]:  # type: ignore[type-arg]
        if in_transaction(session):
            return [tuple(row) for row in session.connection().execute(self.statement, parameters)]
        engine = session.get_bind()
        sql, order, converters = self._compiled.get(engine.dialect.name) or self._compile(engine)
        sent = [parameters[name] for name in order] if order is not None else parameters
        pooled = engine.raw_connection()
        try:
            driver = pooled.driver_connection
            if getattr(driver, "autocommit", True) is False:   # psycopg; SQLite's never begins (configure_sqlite)
                driver.autocommit = True
            cursor = pooled.cursor()
            for listener in prepared_listeners:
                listener(engine, sql)
            cursor.execute(sql, sent)
            rows = cursor.fetchall()
            if converters is None:
                converters = self._converters(engine, cursor.description)
            cursor.close()
        except engine.dialect.loaded_dbapi.Error:
            # a connection the server dropped (a restart, a failover), or any other failure: this
            # one is discarded, and the read is made again the ordinary way, where SQLAlchemy
            # tells a lost connection from other errors and renews the whole pool if need be
            pooled.invalidate()
            return [tuple(row) for row in session.connection().execute(self.statement, parameters)]
        finally:
            pooled.close()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for index, convert in converters:
                if row[index] is not None:
                    row[index] = convert(row[index])
            converted.append(tuple(row))
        return converted

    def _compile(self, engine: Engine) -> tuple[str, Any, list]:   # type: ignore[type-arg]
        dialect = engine.dialect
        compiled = self.statement.compile(dialect=dialect)
        order = list(compiled.positiontup) if dialect.positional and compiled.positiontup is not None else None
        found = self._compiled[dialect.name] = (compiled.string, order, None)
        return found

    def _converters(self, engine: Engine, description: Any) -> list:   # type: ignore[type-arg]
        """What turns each column's value into its Python type, by the type the driver reported
        (as SQLAlchemy's results do), made on the first run."""
        dialect = engine.dialect
        converters = [(index, convert) for index, (column, described) in
                      enumerate(zip(self.statement.selected_columns, description))
                      if (convert := column.type.dialect_impl(dialect).result_processor(dialect, described[1]))
                      is not None]
        sql, order, _none = self._compiled[dialect.name]
        self._compiled[dialect.name] = (sql, order, converters)
        return converters
