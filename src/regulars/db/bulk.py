"""Many rows in one statement: the rows travel as one JSON parameter and the database unpacks
them (PostgreSQL ``json_populate_recordset``, SQLite ``json_each``).

An executemany sends one statement a row (psycopg pipelines them, SQLAlchemy processes every
row's parameters in Python); a campaign to 100 000 members spent most of its time there. One
``INSERT … SELECT`` over a JSON array of 5 000 rows is one round trip and the encoding is done
in C by :mod:`json`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, bindparam, func, insert, select, text
from sqlalchemy import column as sql_column

_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
CHUNK = 5000
"""Rows a statement, by default."""


# The rows of a batch mostly share their times (queued now, due now): each is formatted once.
@functools.lru_cache(maxsize=1024)
def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).replace(tzinfo=None).strftime(_SQLITE_TIME)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} does not go into a bulk insert")


@functools.lru_cache(maxsize=1024)
def _postgres_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} does not go into a bulk insert")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return value.astimezone(UTC)


def _payload(rows: Sequence[dict[str, Any]], sqlite: bool) -> str:
    # Only the values JSON has no type for (times, days) go through Python one by one.
    return json.dumps(list(rows), ensure_ascii=False, separators=(",", ":"),
                      default=_sqlite_value if sqlite else _postgres_value)


def insert_ignoring(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
                    conflict: Sequence[str], chunk: int = CHUNK) -> int:
    """Insert ``rows`` (dicts with the same keys, the table's column names) in one statement a
    ``chunk``, skipping those that collide on the unique ``conflict`` columns; how many were
    inserted."""
    return len(insert_returning(conn, table, rows, conflict=conflict, chunk=chunk))


def insert_returning(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
                     conflict: Sequence[str], returning: str | None = None,
                     chunk: int = CHUNK) -> list[Any]:
    """As :func:`insert_ignoring`; the ``returning`` column of each row inserted (a None
    each without it)."""
    if not rows:
        return []
    columns = list(rows[0])
    sqlite = conn.dialect.name == "sqlite"
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    target = ", ".join(quote(c) for c in conflict)
    if sqlite:
        picked = ", ".join(f"json_extract(value, '$.{c}')" for c in columns)
        source = f"SELECT {picked} FROM json_each(:rows) WHERE 1"
    else:
        source = (f"SELECT {names} FROM json_populate_recordset("
                  f"NULL::{quote(table.name)}, CAST(:rows AS json))")
    back = f" RETURNING {quote(returning)}" if returning else ""
    statement = text(f"INSERT INTO {quote(table.name)} ({names}) {source} "
                     f"ON CONFLICT ({target}) DO NOTHING{back}")
    inserted: list[Any] = []
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        if any(list(row) != columns for row in part):
            raise ValueError("every row of a bulk insert has the same columns, in order")
        found = conn.execute(statement, {"rows": _payload(part, sqlite)})
        if returning:
            inserted += list(found.scalars())
        else:
            inserted += [None] * max(int(found.rowcount), 0)
    return inserted


def one_of(conn: Connection, column: ColumnElement[Any], values: Iterable[int | str], *,
           name: str = "one_of") -> ColumnElement[bool]:
    """``column IN (values)`` with the values as one JSON parameter (a list of thousands of
    ids or keys is one bound value, not thousands). Integers or strings, not mixed; a
    statement with two of these gives each its own ``name``."""
    found = list(values)
    if conn.dialect.name == "sqlite":
        sql = f"SELECT value FROM json_each(:{name})"
    elif found and isinstance(found[0], int):
        sql = f"SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(:{name} AS json))"
    else:
        sql = f"SELECT value FROM json_array_elements_text(CAST(:{name} AS json))"
    listed = text(sql).bindparams(bindparam(name, json.dumps(found, ensure_ascii=False)))
    return column.in_(listed.columns(sql_column("value")))


def insert_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]
                         ) -> list[int]:
    """Insert ``rows`` into ``table`` (its primary key ``id``); their ids in order.

    PostgreSQL: batched multi-row inserts returning the ids in order. SQLite: one
    ``executemany`` (RETURNING would send the rows one at a time); an integer primary key
    takes the largest id so far plus one, and the write transaction keeps every other
    writer out, so the ids are the next ``len(rows)``, which is checked."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        return [int(r.id) for r in conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)]
    last = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    conn.execute(insert(table), rows)
    ids = list(range(last + 1, last + 1 + len(rows)))
    if conn.execute(select(func.count()).where(table.c.id > last)).scalar_one() != len(rows):
        raise RuntimeError(f"{table.name}: rows took other ids than the next {len(rows)}")
    return ids


def copy_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]
                       ) -> list[int]:
    """:func:`insert_returning_ids` through :func:`copy_rows` on PostgreSQL: the ids are taken
    from the table's sequence in one statement, then the rows are copied in with them (an
    ordered ``INSERT … RETURNING`` of thousands of rows costs several times the copy)."""
    if conn.dialect.name != "postgresql" or not rows:
        return insert_returning_ids(conn, table, rows)
    ids = sorted(int(i) for i in conn.execute(text(
        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": len(rows)}).scalars().all())
    copy_rows(conn, table, rows, ids=ids)
    return ids


def copy_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
              ids: Sequence[int] | None = None) -> None:
    """Insert ``rows`` (dicts with the same keys, the table's column names, each value as the
    table's column takes it), with ``ids`` in order as their ``id`` when given: one
    ``COPY … FROM STDIN`` on PostgreSQL, an ``executemany`` elsewhere (without ``ids``)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        assert ids is None, "ids are given only to a copy"
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    dialect, quote = conn.dialect, conn.dialect.identifier_preparer.quote
    typed = [(n, p) for n, c in enumerate(columns)
             if (p := table.c[c].type.dialect_impl(dialect).bind_processor(dialect))]
    names = ", ".join(quote(c) for c in (["id"] if ids is not None else []) + columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
        for n, row in enumerate(rows):
            values = [row[c] for c in columns]
            for at, processor in typed:
                values[at] = processor(values[at])
            copy.write_row(values if ids is None else [ids[n], *values])


def payload(conn: Connection, rows: Sequence[dict[str, Any]]) -> str:
    """``rows`` as the JSON parameter of :func:`rows_of`."""
    return _payload(rows, conn.dialect.name == "sqlite")


def rows_of(dialect: str, param: str, columns: Sequence[tuple[str, str]]) -> str:
    """SQL of ``dialect`` (``sqlite`` or ``postgresql``) that reads the JSON array bound as
    ``param`` (see :func:`payload`) as rows with ``columns``, each a (name, PostgreSQL type)
    pair; to use in a ``WITH`` or a join."""
    if dialect == "sqlite":
        picked = ", ".join(f"json_extract(value, '$.{n}') AS {n}" for n, _ in columns)
        return f"SELECT {picked} FROM json_each(:{param})"
    typed = ", ".join(f"{n} {sql_type}" for n, sql_type in columns)
    return f"SELECT * FROM json_to_recordset(CAST(:{param} AS json)) AS x({typed})"
