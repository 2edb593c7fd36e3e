"""PostgreSQL cursors describe a result's columns only when something reads them: SQLAlchemy
asks only whether a statement it has run before returns rows, and psycopg's description
costs some eight Python calls a column."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import literal, select

from regulars.db.engine import Database
from regulars.db.pg_cursor import DescribedOnUse

pytestmark = pytest.mark.postgres


@pytest.fixture
def db(pg_migrated: str) -> Iterator[Database]:
    database = Database.from_url(pg_migrated, pool_size=1)
    yield database
    database.dispose()


@pytest.fixture
def columns_built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    built: list[int] = []
    original = psycopg.Column.__init__

    def counted(self: psycopg.Column, cursor: Any, index: int) -> None:
        built.append(index)
        original(self, cursor, index)

    monkeypatch.setattr(psycopg.Column, "__init__", counted)
    return built


def test_a_statement_run_before_describes_no_column(db: Database,
                                                    columns_built: list[int]) -> None:
    statement = select(literal(3).label("n"), literal(9).label("square"))
    with db.read():  # the engine's first connection reads the server's settings
        columns_built.clear()
    with db.read() as conn:
        first = conn.execute(statement).mappings().one()
        described_first = len(columns_built)
        second = conn.execute(statement).mappings().one()
    assert first == second == {"n": 3, "square": 9}
    assert described_first == 2  # the first run maps the result's columns by name
    assert len(columns_built) == described_first


def _pair(db: Database) -> tuple[Any, psycopg.Cursor[Any]]:
    """A cursor of the engine's connections and a plain psycopg cursor on the same one."""
    dbapi = db.engine.raw_connection().driver_connection
    assert isinstance(dbapi, psycopg.Connection)
    return dbapi.cursor(), psycopg.Cursor(dbapi)


def _seen(description: Any) -> list[tuple[Any, ...]]:
    return [tuple(c) for c in description]


@pytest.mark.parametrize("sql", [
    "SELECT 1 AS a, 'x'::text AS b, now() AS c, NULL::numeric(10, 2) AS d",
    "SELECT",  # a result with no columns: an empty description, not None
])
def test_a_description_read_is_psycopgs(db: Database, sql: str) -> None:
    ours, theirs = _pair(db)
    assert isinstance(ours, DescribedOnUse)
    ours.execute(sql)
    theirs.execute(sql)
    described, expected = ours.description, theirs.description
    assert described is not None and expected is not None
    assert len(described) == len(expected)
    assert _seen(described) == _seen(expected)
    assert _seen(described[1:]) == _seen(expected[1:])
    assert [c.name for c in described] == [c.name for c in expected]


def test_no_description_without_rows_as_with_psycopg(db: Database) -> None:
    ours, theirs = _pair(db)
    assert ours.description is None  # nothing run yet
    ours.execute("SET search_path TO public")
    theirs.execute("SET search_path TO public")
    assert ours.description is None and theirs.description is None


def test_a_description_keeps_the_result_it_was_read_on(db: Database) -> None:
    cursor, _ = _pair(db)
    cursor.execute("SELECT 1 AS first_one")
    description = cursor.description
    cursor.execute("SELECT 2 AS second_one, 3 AS third_one")
    assert [c.name for c in description] == ["first_one"]
    assert [c.name for c in cursor.description] == ["second_one", "third_one"]
