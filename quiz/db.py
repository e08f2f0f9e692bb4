"""The database handle, the per-connection settings SQLite needs, and how transactions begin."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator, Optional

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
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


# Called with (engine, SQL text) for every statement `Prepared` and `direct_write` send, which
# engine events do not see: tests/test_round_trips.py counts them with the rest.
prepared_listeners: list[Callable[[Engine, str], None]] = []


def announce(engine: Engine, sql: str) -> None:
    """Tells `prepared_listeners` of a statement sent straight to the driver."""
    for listener in prepared_listeners:
        listener(engine, sql)


def engine_of(session: Session | scoped_session) -> Engine:  # type: ignore[type-arg]
    """The session's engine. For the app's `db.session`, the app's engine, without making the
    request's Session to ask it (as `get_bind` does): a page that reads only through `Prepared`
    then makes no Session at all, nor closes one at teardown (about a twentieth of a question page)."""
    if session is db.session:
        return db.engine
    return session.get_bind()


def in_transaction(session: Session | scoped_session) -> bool:  # type: ignore[type-arg]
    """Whether the session has a transaction open (a scoped session not made yet has none)."""
    if isinstance(session, scoped_session):
        if not session.registry.has():
            return False
        session = session.registry()
    return session.in_transaction()


class json_rows(FunctionElement):  # type: ignore[type-arg]  # named as SQL functions are
    """An aggregate: the values of each row of its (sub)query as a JSON array, and the rows as one
    JSON array of those, in no set order (SQLite before 3.44 cannot order an aggregate): a
    Python list of lists in the result. For a few dozen rows a page needs with one other row:
    a query's every row costs its own step through the driver (SQLite's releases and takes back
    Python's GIL for each), and repeats the other row's columns; one value costs one step.
    An empty subquery gives None on PostgreSQL and [] on SQLite."""

    type = JSON()
    inherit_cache = True


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


class Prepared:
    """A statement for the requests every learner makes many times, run straight on the DBAPI
    connection: compiled once per database, its parameters and rows converted by the columns'
    own types, so that it sends and gives what SQLAlchemy's execute would.

    SQLAlchemy's execute costs about 70 microseconds a statement here (its compiled cache, events
    and result object), a sixth of a question page. `rows` is a read in autocommit (no BEGIN, no
    ROLLBACK, as inside `reading()`); inside a transaction it uses the session's own connection,
    so the read sees what the transaction wrote; on a connection the server dropped, it is made
    again through SQLAlchemy on a new one. Writes run inside `direct_write`.
    `column_keys` names the columns of an INSERT given no values.
    """

    def __init__(self, statement: Any, column_keys: Optional[list[str]] = None) -> None:
        self.statement = statement
        self.column_keys = column_keys
        self._compiled: dict[str, Compiled] = {}   # by dialect name

    def rows(self, session: Session, parameters: dict[str, Any]) -> list[tuple]:  # type: ignore[type-arg]
        if in_transaction(session):
            return self.through_session(session, parameters)
        try:
            return self.autocommitted(session, parameters)
        except ConnectionLost:
            # the server dropped the connection (a restart, a failover): the read is made again on
            # a new one, the ordinary way
            return self.through_session(session, parameters)

    def write(self, session: Session, parameters: dict[str, Any]) -> list[tuple]:  # type: ignore[type-arg]
        """Runs one writing statement in autocommit, a transaction of its own (PostgreSQL: one
        round trip, no BEGIN or COMMIT); its rows. Raises ConnectionLost if the server had
        dropped the connection, so nothing was written. Only where the session has no
        transaction open."""
        if in_transaction(session):
            raise RuntimeError("Prepared.write inside an open transaction")
        return self.autocommitted(session, parameters)

    def autocommitted(self, session: Session, parameters: dict[str, Any]) -> list[tuple]:  # type: ignore[type-arg]
        """The statement on a pooled connection in autocommit (no BEGIN, no COMMIT or ROLLBACK);
        ConnectionLost if the server had dropped the connection."""
        engine = engine_of(session)
        pooled = engine.raw_connection()
        try:
            driver = pooled.driver_connection
            if getattr(driver, "autocommit", True) is False:   # psycopg; SQLite's never begins (configure_sqlite)
                driver.autocommit = True
            return self.run(engine, pooled, parameters)
        except engine.dialect.loaded_dbapi.Error as error:
            if lost(engine, pooled, error):
                raise ConnectionLost() from error
            raise
        finally:
            pooled.close()

    def through_session(self, session: Session, parameters: dict[str, Any]) -> list[tuple]:  # type: ignore[type-arg]
        """The rows as SQLAlchemy's own execute gives them, on the session's connection."""
        return [tuple(row) for row in session.connection().execute(self.statement, parameters)]

    def run(self, engine: Engine, dbapi_connection: Any, parameters: dict[str, Any] | list[dict[str, Any]]
            ) -> list[tuple]:  # type: ignore[type-arg]
        """Runs the statement on a DBAPI connection (a list of parameter sets: executemany);
        its rows, if it returns any."""
        compiled = self._compiled.get(engine.dialect.name) or self._compile(engine)
        cursor = dbapi_connection.cursor()
        announce(engine, compiled.sql)
        if isinstance(parameters, list):
            cursor.executemany(compiled.sql, [compiled.sent(one) for one in parameters])
            rows = []
        else:
            cursor.execute(compiled.sql, compiled.sent(parameters))
            rows = cursor.fetchall() if compiled.returns_rows else []   # not by cursor.description: psycopg makes it anew each time
            if rows and compiled.converters is None:
                compiled.converters = self._converters(engine, cursor.description)
        cursor.close()
        return compiled.converted(rows)

    def _compile(self, engine: Engine) -> "Compiled":
        dialect = engine.dialect
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        order = list(compiled.positiontup) if dialect.positional and compiled.positiontup is not None else None
        processors = {name: processor for name, bind in compiled.binds.items()
                      if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        returns_rows = bool(self.statement.is_select or compiled.effective_returning)
        found = self._compiled[dialect.name] = Compiled(compiled.string, order, processors, returns_rows)
        return found

    def _converters(self, engine: Engine, description: Any) -> list:   # type: ignore[type-arg]
        """What turns each column's value into its Python type, by the type the driver reported
        (as SQLAlchemy's results do), made on the first run that gives rows."""
        dialect = engine.dialect
        columns = getattr(self.statement, "selected_columns", None)
        if columns is None:   # an INSERT ... RETURNING
            columns = self.statement._returning   # noqa: SLF001 - SQLAlchemy keeps the RETURNING columns here
        return [(index, convert) for index, (column, described) in enumerate(zip(columns, description))
                if (convert := column.type.dialect_impl(dialect).result_processor(dialect, described[1])) is not None]


class Compiled:
    """A Prepared statement as one database takes it: SQL text, parameter order (positional
    drivers), what converts parameters on the way in and values on the way out."""

    __slots__ = ("sql", "order", "processors", "returns_rows", "converters")

    def __init__(self, sql: str, order: Optional[list[str]], processors: dict[str, Callable],  # type: ignore[type-arg]
                 returns_rows: bool) -> None:
        self.sql, self.order, self.processors, self.returns_rows = sql, order, processors, returns_rows
        self.converters: Optional[list] = None   # type: ignore[type-arg]  # from the first rows' description

    def sent(self, parameters: dict[str, Any]) -> Any:
        if self.processors:
            parameters = {name: (self.processors[name](value) if name in self.processors else value)
                          for name, value in parameters.items()}
        return [parameters[name] for name in self.order] if self.order is not None else parameters

    def converted(self, rows: list) -> list[tuple]:  # type: ignore[type-arg]
        if not self.converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for index, convert in self.converters:
                if row[index] is not None:
                    row[index] = convert(row[index])
            converted.append(tuple(row))
        return converted


@contextmanager
def direct_write(session: Session) -> Iterator[Callable[..., list[tuple]]]:  # type: ignore[type-arg]
    """A short write transaction of `Prepared` statements straight on a pooled DBAPI connection,
    committed at the end of the block (rolled back if it raises): what `writing()` and a commit
    do, with SQLAlchemy's work between the statements taken out, so SQLite's write lock (taken up
    front, BEGIN IMMEDIATE) is held for less time. Yields `run(prepared, parameters)`.
    Only where the session has no transaction open: the block's writes are their own.
    """
    if in_transaction(session):
        raise RuntimeError("direct_write inside an open transaction")
    engine = engine_of(session)
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        if engine.dialect.name == "sqlite":
            announce(engine, "BEGIN IMMEDIATE")
            driver.execute("BEGIN IMMEDIATE")
        else:
            driver.autocommit = False   # psycopg sends its own BEGIN before the first statement
            announce(engine, "BEGIN (psycopg's own)")
        yield lambda prepared, parameters: prepared.run(engine, pooled, parameters)
        announce(engine, "COMMIT")
        pooled.commit()
    except BaseException as error:
        if isinstance(error, engine.dialect.loaded_dbapi.Error) and lost(engine, pooled, error):
            raise ConnectionLost() from error
        try:
            announce(engine, "ROLLBACK")
            pooled.rollback()
        except engine.dialect.loaded_dbapi.Error:
            pooled.invalidate()   # its state is unknown: a new connection serves the next checkout
        raise
    finally:
        pooled.close()


class ConnectionLost(Exception):
    """The database dropped the connection a `direct_write` ran on (a restart, a failover), so
    nothing of it was committed; the pool's idle connections are closed too, and the next
    checkout opens a new one."""


def lost(engine: Engine, pooled: Any, error: BaseException) -> bool:
    """Whether `error` means the server dropped the connection. If so, it is discarded, and the
    pool's idle connections with it (opened before the loss, they are most likely gone too), as
    SQLAlchemy does when its own statements find a connection gone."""
    if not engine.dialect.is_disconnect(error, pooled.dbapi_connection, None):
        return False
    pooled.invalidate(error)
    engine.pool.dispose()
    return True
