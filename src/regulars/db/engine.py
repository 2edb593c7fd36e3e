"""Engines and units of work.

SQLite runs in WAL mode with ``synchronous=FULL`` and a busy timeout; every writing unit of
work starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the lock instead of
failing halfway through. PostgreSQL runs at READ COMMITTED; limits hold there through
conditional updates (``... WHERE balance - held >= :points``) that lock the row they change.

A unit of work is a ``with`` block: it commits once at the end and rolls back on any exception.
Work that must come last in it (rows many transactions share, such as the daily aggregates)
is gathered in memory through :func:`at_commit` and written as the unit's last statements,
just before ``COMMIT``, so that those rows are locked for the fewest moments and only after
every row the unit locks otherwise.

PostgreSQL connections are checked before each checkout without a round trip (see
:func:`_drop_dead_connections`): a ``SELECT 1`` per unit of work (``pool_pre_ping``) would add
a round trip to every unit of work of a quote.
"""

from __future__ import annotations

import logging
import select
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

from regulars.errors import InvalidInput, Unavailable

T = TypeVar("T")

log = logging.getLogger(__name__)

_CACHE = "_regulars_cache"


def cache_for(conn_or_engine: Connection | Engine) -> dict[object, object]:
    """A dictionary that lives as long as the engine: for facts that never change once
    written (system account ids, tenant settings, parsed program versions). Kept on the
    engine object itself (an attribute of ours, read with no call: every quote asks a few
    times), so another database never sees this one's ids."""
    kept = conn_or_engine.engine.__dict__
    try:
        found: dict[object, object] = kept[_CACHE]  # read with no call (not .get)
    except KeyError:
        found = kept[_CACHE] = {}
    return found


def remembered(conn_or_engine: Connection | Engine, key: object, seconds: float,
               read: Callable[[], T]) -> T:
    """``read()``, kept in :func:`cache_for` for ``seconds`` of the process clock: for facts
    that do change but that a hot path may see a few seconds late (a process that changes
    one calls :func:`forget` so that it sees the change at once)."""
    try:  # cache_for, written out: a quote asks a few times
        cache: dict[object, object] = conn_or_engine.engine.__dict__[_CACHE]
    except KeyError:
        cache = cache_for(conn_or_engine)
    found = cache.get(key)
    now = time.monotonic()
    if found.__class__ is _Remembered and found.until > now:
        value: T = found.value
        return value
    value = read()
    cache[key] = _Remembered(value=value, until=now + seconds)
    return value


def forget(conn_or_engine: Connection | Engine, key: object) -> None:
    """Drop what :func:`remembered` keeps under ``key``."""
    cache_for(conn_or_engine).pop(key, None)


@dataclass(frozen=True, slots=True)
class _Remembered(Generic[T]):
    value: T
    until: float


class AtCommit(Protocol):
    """What a unit of work gathers to write last (see :func:`at_commit`)."""

    def flush(self, conn: Connection) -> None:
        """Write what was gathered, as the unit of work's last statements."""


_AT_COMMIT = "regulars_at_commit"
A = TypeVar("A", bound=AtCommit)


def at_commit(conn: Connection, key: str, make: Callable[[], A]) -> A:
    """The object kept under ``key`` for the transaction ``conn`` is in (made by ``make`` on
    first use), whose ``flush`` a writing unit of work (:meth:`Database.write`) calls after
    its body and before ``COMMIT``, in the order of the keys; a rollback forgets it. Kept
    with the transaction, so nothing outlives it (the connection goes back to the pool)."""
    transaction = conn.get_transaction()
    kept = conn.info.get(_AT_COMMIT)
    if kept is None or kept[0] is not transaction:
        kept = conn.info[_AT_COMMIT] = (transaction, {})
    gathered: dict[str, AtCommit] = kept[1]
    found = gathered.get(key)
    if found is None:
        found = gathered[key] = make()
    return cast(A, found)


def _flush_at_commit(conn: Connection) -> None:
    kept = conn.info.get(_AT_COMMIT)
    if kept is None or kept[0] is not conn.get_transaction():
        return
    for key in sorted(kept[1]):
        kept[1].pop(key).flush(conn)


class UniqueViolation(Exception):
    """A unique constraint refused a row: the caller decides whether that is a replay."""


def make_engine(url: str, *, pool_size: int = 10, busy_timeout_seconds: float = 30.0) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``); for a
    SQLite file, its directory is made if missing. Connects to nothing yet.

    Raises :class:`InvalidInput` (field ``database_url``) for a URL of another kind, one
    that does not parse, or a SQLite directory that cannot be made."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidInput(f"cannot make the directory of {path}: {exc.strerror}",
                                   field="database_url") from exc
        engine = _create(url, poolclass=NullPool if not path else None,
                         connect_args={"timeout": busy_timeout_seconds,
                                       "check_same_thread": False})
        _configure_sqlite(engine, busy_timeout_ms=int(busy_timeout_seconds * 1000))
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not url.startswith("postgresql+"):
        raise InvalidInput("the database URL must start with sqlite:/// or postgresql://",
                           field="database_url")
    from regulars.db.pg_cursor import DescribedOnUse

    engine = _create(url, pool_size=pool_size, max_overflow=pool_size * 2,
                     connect_args={"cursor_factory": DescribedOnUse})
    event.listen(engine, "checkout", _drop_dead_connections)
    _remember_long_statements()
    return engine


LONGEST_REMEMBERED = 16384
"""Bytes of the longest statement whose placeholders psycopg converts once a process."""


def _remember_long_statements() -> None:
    """Let psycopg remember the conversion of statements up to :data:`LONGEST_REMEMBERED`
    bytes.

    psycopg turns a statement's ``%(name)s`` placeholders into ``$n`` in Python, a regular
    expression match and about a dozen calls a placeholder, and remembers the result (128
    statements a process) only for statements of at most 4,096 bytes, as ORMs write long
    statements that seldom repeat. This application's statements are fixed texts: the
    longest, a unit of work's last (:data:`regulars.db.analytics.days._FLUSH_PG`, about 9 KB
    and 38 placeholders), runs on every commit and was converted anew each time, some 560
    Python calls a commit. Statements of more than 50 parameters are still converted each
    time, as before."""
    from psycopg import _queries  # the limit has no public setting

    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH,
                                               LONGEST_REMEMBERED)


def sqlite_path(url: str) -> str:
    """The file a ``sqlite:///path`` URL names (``""`` for an in-memory database)."""
    return url.split("///", 1)[1] if "///" in url else ""


def _create(url: str, **options: Any) -> Engine:
    try:
        return create_engine(url, **options)
    except ArgumentError as exc:  # its text repeats the URL, password and all
        raise InvalidInput("the database URL does not parse", field="database_url") from exc
    except ValueError as exc:  # a port that is not a number
        raise InvalidInput(f"the database URL does not parse: {exc}",
                           field="database_url") from exc


@contextmanager
def unavailable_on_error() -> Iterator[None]:
    """Turn a database that cannot be reached or stayed locked past its busy timeout into
    :class:`Unavailable`, for work outside a unit of work (a schema upgrade)."""
    try:
        yield
    except OperationalError as exc:
        if not _transient(exc):
            raise
        raise _unavailable(exc) from exc


def _drop_dead_connections(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled PostgreSQL connection the server has closed, without a round trip.

    An idle connection in the pool has nothing to read: the server speaks only when asked
    (this application never LISTENs). If its socket is readable, the server has closed it
    (restart, ``pg_terminate_backend``, idle timeout: a FATAL message and EOF) or it is in a
    state nobody should use, so the pool is told to discard it and SQLAlchemy opens a
    fresh connection for the same checkout. After a server restart each pooled connection
    is found dead this way at its next checkout. A connection that breaks after this check
    fails its unit of work, as it could after a ping too.
    """
    if dbapi_conn.closed or dbapi_conn.broken:
        raise DisconnectionError("connection closed")
    # poll, not select: select refuses descriptors past 1023, which a busy process reaches.
    poller = select.poll()
    poller.register(dbapi_conn.pgconn.socket, select.POLLIN)
    if poller.poll(0):  # readable, hung up or in error
        raise DisconnectionError("the server closed the connection")


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun explicitly below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writing = conn.get_execution_options().get("regulars_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


class Database:
    """Hands out units of work over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10,
                 busy_timeout_seconds: float = 30.0) -> Database:
        return cls(make_engine(url, pool_size=pool_size,
                               busy_timeout_seconds=busy_timeout_seconds))

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A writing transaction: commit on success, roll back on any exception.

        Translates a unique-constraint failure into :class:`UniqueViolation`, and a database
        that cannot serve the unit of work just now into :class:`Unavailable` (see
        :func:`_unavailable`).
        """
        try:
            with self.engine.connect() as conn:
                try:
                    with conn.begin():
                        yield conn
                        _flush_at_commit(conn)
                finally:
                    conn.info.pop(_AT_COMMIT, None)
        except IntegrityError as exc:
            if _is_unique_violation(exc):
                raise UniqueViolation(str(exc.orig)) from exc
            raise
        except OperationalError as exc:
            if not _transient(exc):
                raise
            raise _unavailable(exc) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work.

        On SQLite a transaction (rolled back at the end), so that its statements share one
        snapshot. On PostgreSQL the connection runs in autocommit: at READ COMMITTED every
        statement takes a snapshot of its own anyway, so a transaction around reads adds
        nothing but two round trips (``BEGIN`` and ``ROLLBACK``) to each unit of work.
        """
        with self._read_only("AUTOCOMMIT") as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only unit of work inside a transaction on every backend (rolled back at
        the end): for a long read through a server-side cursor, which PostgreSQL declares
        only in a transaction, all of its statements seeing one snapshot (REPEATABLE READ
        there)."""
        with self._read_only("REPEATABLE READ") as conn:
            yield conn

    @contextmanager
    def _read_only(self, postgres_isolation: str) -> Iterator[Connection]:
        """A transaction rolled back at the end, at ``postgres_isolation`` on PostgreSQL."""
        try:
            with self.engine.connect() as conn:
                if self.dialect == "postgresql":
                    conn = conn.execution_options(isolation_level=postgres_isolation,
                                                  regulars_write=False)
                else:
                    conn = conn.execution_options(regulars_write=False)
                with conn.begin() as txn:
                    yield conn
                    txn.rollback()
        except OperationalError as exc:
            if not _transient(exc):
                raise
            raise _unavailable(exc) from exc

    def dispose(self) -> None:
        self.engine.dispose()


# SQLite reports a missing table or a syntax error as an "operational" error too: those are
# bugs, not a busy database, and must not be answered as "send it again".
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")


def _transient(exc: OperationalError) -> bool:
    if isinstance(exc.orig, sqlite3.Error):
        text = str(exc.orig).lower()
        return any(word in text for word in _SQLITE_TRANSIENT)
    return True  # psycopg: connection lost or refused, deadlock victim, cancelled, lock timeout


def _unavailable(exc: OperationalError) -> Unavailable:
    """What the driver calls an operational error is the database, not the request: the
    server is unreachable or went away, SQLite stayed locked past its busy timeout,
    PostgreSQL chose this transaction as a deadlock victim or cancelled it. The unit of work
    rolled back, so the caller may send the same request again."""
    reason = (str(exc.orig).strip().splitlines() or [""])[0] if exc.orig else str(exc)
    log.warning("database unavailable: %s", reason)
    return Unavailable("the database could not serve this request just now; nothing was "
                       "written: send it again (with the same Idempotency-Key)", reason=reason)


def _is_unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    if isinstance(orig, sqlite3.IntegrityError):
        return "UNIQUE" in str(orig)
    return getattr(orig, "sqlstate", None) == "23505"
