"""Events: what happened in a tenant (a receipt committed, points earned, a member
created...), recorded in the transaction of the change (one insert, once per key), then
fanned out to webhooks and read by ``GET /v1/admin/events``. Scoped by ``tenant_id``.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.messaging.tables import events as t


def record(conn: Connection, tenant_id: int, rows: list[dict[str, Any]],
           now: datetime) -> None:
    """Insert ``rows`` (each with ``key``, ``type``, ``data``) in one statement, ids in the
    order given; a key already recorded is skipped."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # One statement over a JSON array, whatever the number of rows (a receipt records one
        # to four): an executemany would go through psycopg's pipeline, several times the
        # Python work of a single execute (and text arrays would be escaped item by item).
        conn.execute(_INSERT_PG, {"tenant_id": tenant_id, "occurred_at": now,
                                  "rows": rows_param(rows)})
        return
    conn.execute(_insert_once(conn.dialect.name),
                 [{"tenant_id": tenant_id, "key": r["key"], "type": r["type"],
                   "data": r["data"], "occurred_at": now} for r in rows])


INSERT_NEW_PG = """
INSERT INTO events (tenant_id, key, type, occurred_at, data)
SELECT :tenant_id, e.item ->> 'key', e.item ->> 'type', :occurred_at, e.item -> 'data'
FROM json_array_elements(CAST(:rows AS json)) WITH ORDINALITY AS e(item, ord)
ORDER BY e.ord
"""
"""The PostgreSQL insert of rows whose keys cannot have been recorded yet (distinct keys
naming a row new in the transaction): no conflict check, so no speculative insertion; a key
recorded twice breaks the unique constraint. Parameters as :data:`INSERT_PG`'s."""
INSERT_PG = INSERT_NEW_PG + "ON CONFLICT (tenant_id, key) DO NOTHING\n"
"""The PostgreSQL insert of :func:`record` (parameters ``tenant_id``, ``occurred_at`` and
``rows``, :func:`rows_param` of the rows), for a statement that records events beside
another write in one round trip."""
_INSERT_PG = text(INSERT_PG)


def rows_param(rows: list[dict[str, Any]]) -> str:
    """``rows`` as :data:`INSERT_PG`'s ``rows`` parameter."""
    return json.dumps(rows)


@lru_cache(maxsize=2)
def _insert_once(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(t).on_conflict_do_nothing(index_elements=["tenant_id", "key"])


def page(conn: Connection, tenant_id: int, *, after_id: int, limit: int,
         types: list[str] | None) -> list[dict[str, Any]]:
    query = select(t.c.id, t.c.type, t.c.occurred_at, t.c.data).where(
        t.c.tenant_id == tenant_id, t.c.id > after_id)
    if types:
        query = query.where(t.c.type.in_(types))
    return [dict(r._mapping) for r in conn.execute(query.order_by(t.c.id).limit(limit))]


def get(conn: Connection, tenant_id: int, event_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(t.c.id, t.c.type, t.c.occurred_at, t.c.data).where(
        t.c.tenant_id == tenant_id, t.c.id == event_id)).one_or_none()
    return dict(row._mapping) if row else None


def undispatched(conn: Connection, tenant_id: int, limit: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(t.c.id, t.c.type).where(t.c.tenant_id == tenant_id, t.c.dispatched_at.is_(None))
        .order_by(t.c.id).limit(limit))]


def mark_dispatched(conn: Connection, tenant_id: int, ids: list[int], now: datetime) -> None:
    conn.execute(update(t).where(t.c.tenant_id == tenant_id, t.c.id.in_(ids))
                 .values(dispatched_at=now))
