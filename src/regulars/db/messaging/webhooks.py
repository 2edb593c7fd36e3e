"""Webhook endpoints (a tenant's subscriptions) and their deliveries, one per endpoint and
event, claimed before sending and marked after. Scoped by ``tenant_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.messaging.tables import events as ev
from regulars.db.messaging.tables import webhook_deliveries as d
from regulars.db.messaging.tables import webhook_endpoints as e

_SHOWN = (e.c.id, e.c.url, e.c.description, e.c.event_types, e.c.active, e.c.created_at,
          e.c.previous_secret_until)


def create(conn: Connection, tenant_id: int, *, url: str, description: str,
           event_types: list[str], secret: str, now: datetime) -> int:
    return int(conn.execute(insert(e).values(
        tenant_id=tenant_id, url=url, description=description, event_types=event_types,
        secret=secret, active=True, created_at=now).returning(e.c.id)).scalar_one())


def list_endpoints(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(*_SHOWN).where(e.c.tenant_id == tenant_id).order_by(e.c.id))]


def get(conn: Connection, tenant_id: int, endpoint_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(*_SHOWN).where(e.c.tenant_id == tenant_id,
                                             e.c.id == endpoint_id)).one_or_none()
    return dict(row._mapping) if row else None


def change(conn: Connection, tenant_id: int, endpoint_id: int, values: dict[str, Any]) -> bool:
    return conn.execute(update(e).where(e.c.tenant_id == tenant_id, e.c.id == endpoint_id)
                        .values(**values)).rowcount == 1


def rotate(conn: Connection, tenant_id: int, endpoint_id: int, *, secret: str,
           overlap_until: datetime) -> bool:
    """The new secret signs from now on; the old one too until ``overlap_until``."""
    return conn.execute(update(e).where(e.c.tenant_id == tenant_id, e.c.id == endpoint_id)
                        .values(previous_secret=e.c.secret, previous_secret_until=overlap_until,
                                secret=secret)).rowcount == 1


def active_endpoints(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(e.c.id, e.c.event_types).where(e.c.tenant_id == tenant_id, e.c.active))]


def queue_deliveries(conn: Connection, tenant_id: int, pairs: list[tuple[int, int]],
                     now: datetime) -> None:
    """A pending delivery per (endpoint id, event id), once each."""
    if not pairs:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(d).values(
        [{"tenant_id": tenant_id, "endpoint_id": endpoint_id, "event_id": event_id,
          "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
         for endpoint_id, event_id in pairs])
        .on_conflict_do_nothing(index_elements=["tenant_id", "endpoint_id", "event_id"]))


def due_ids(conn: Connection, tenant_id: int, now: datetime, limit: int) -> list[int]:
    return [int(i) for i in conn.execute(
        select(d.c.id).where(d.c.tenant_id == tenant_id, d.c.status == "pending",
                             d.c.next_attempt_at <= now)
        .order_by(d.c.next_attempt_at, d.c.id).limit(limit)).scalars()]


def claim(conn: Connection, tenant_id: int, delivery_id: int, *, now: datetime,
          until: datetime) -> dict[str, Any] | None:
    """Take a due delivery until ``until``, with what sending it needs: the endpoint's address
    and secrets and the event. None when another sender has it or it is not due."""
    taken = conn.execute(update(d).where(
        d.c.tenant_id == tenant_id, d.c.id == delivery_id, d.c.status == "pending",
        d.c.next_attempt_at <= now).values(next_attempt_at=until, attempts=d.c.attempts + 1)
        .returning(d.c.id, d.c.endpoint_id, d.c.event_id, d.c.attempts, d.c.created_at)
    ).one_or_none()
    if taken is None:
        return None
    endpoint = conn.execute(select(e.c.url, e.c.secret, e.c.previous_secret,
                                   e.c.previous_secret_until, e.c.active).where(
        e.c.tenant_id == tenant_id, e.c.id == taken.endpoint_id)).one()
    return {**taken._mapping, **endpoint._mapping}


def mark(conn: Connection, tenant_id: int, delivery_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(d).where(d.c.tenant_id == tenant_id, d.c.id == delivery_id)
                 .values(**values))


def deliveries(conn: Connection, tenant_id: int, endpoint_id: int, *, limit: int,
               before_id: int | None) -> list[dict[str, Any]]:
    """The endpoint's deliveries, newest first, each with its event's type."""
    query = select(d.c.id, d.c.event_id, ev.c.type.label("event_type"), d.c.status,
                   d.c.attempts, d.c.last_status_code, d.c.last_error, d.c.created_at,
                   d.c.delivered_at, d.c.next_attempt_at
                   ).join(ev, (ev.c.id == d.c.event_id) & (ev.c.tenant_id == tenant_id)
                   ).where(d.c.tenant_id == tenant_id, d.c.endpoint_id == endpoint_id)
    if before_id is not None:
        query = query.where(d.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(query.order_by(d.c.id.desc()).limit(limit))]


def redeliver(conn: Connection, tenant_id: int, endpoint_id: int, delivery_id: int,
              now: datetime) -> bool:
    """Send a delivery again at the next run, whatever its status."""
    return conn.execute(update(d).where(
        d.c.tenant_id == tenant_id, d.c.endpoint_id == endpoint_id, d.c.id == delivery_id)
        .values(status="pending", next_attempt_at=now, created_at=now)).rowcount == 1
