"""Pooled PostgreSQL connections the server has closed are replaced at checkout, without a
ping per unit of work."""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest
from sqlalchemy import text

from regulars.db.engine import Database, make_engine

pytestmark = pytest.mark.postgres


def _backend_pids(db: Database, count: int) -> list[int]:
    """Check out ``count`` connections at once (so the pool holds that many) and return
    their server process ids."""
    with ExitStack() as stack:
        conns = [stack.enter_context(db.read()) for _ in range(count)]
        return [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in conns]


def _terminate(url: str, pids: list[int]) -> None:
    killer = make_engine(url, pool_size=1)
    try:
        with killer.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                alive = conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                          "WHERE pid = ANY(:pids)"), {"pids": pids}).scalar_one()
                if alive == 0:
                    break
                time.sleep(0.05)
    finally:
        killer.dispose()


def test_the_pool_does_not_ping(pg_migrated: str) -> None:
    db = Database.from_url(pg_migrated, pool_size=2)
    try:
        assert db.engine.pool._pre_ping is False
        statements: list[str] = []

        def log(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            statements.append(statement)

        from sqlalchemy import event
        event.listen(db.engine, "before_cursor_execute", log)
        for _ in range(3):
            with db.read() as conn:
                conn.execute(text("SELECT 2"))
        assert statements == ["SELECT 2"] * 3
    finally:
        db.dispose()


def test_connections_closed_by_the_server_are_replaced(pg_migrated: str) -> None:
    db = Database.from_url(pg_migrated, pool_size=3)
    try:
        old = _backend_pids(db, 3)
        _terminate(pg_migrated, old)
        # Every pooled connection is dead now; each unit of work still gets a live one.
        for _ in range(3):
            with db.read() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
        with db.write() as conn:
            conn.execute(text("SELECT 1"))
        new = _backend_pids(db, 3)
        assert not set(new) & set(old)
    finally:
        db.dispose()


def test_a_unit_of_works_last_statement_is_converted_once(pg_migrated: str) -> None:
    """psycopg remembers the placeholders' conversion of the daily aggregates' statement (9 KB,
    run on every commit) instead of parsing it again each time."""
    from psycopg import _queries
    from sqlalchemy.dialects import postgresql

    from regulars.db.analytics.days import _FLUSH_PG

    engine = make_engine(pg_migrated, pool_size=1)
    engine.dispose()
    compiled = _FLUSH_PG.compile(dialect=postgresql.dialect(paramstyle="pyformat"))
    assert len(str(compiled).encode()) > 4096  # past psycopg's own limit
    assert len(str(compiled).encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
