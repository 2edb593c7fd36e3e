"""Events a tenant's other systems can follow, by webhook or by pulling
``GET /v1/admin/events``: the same body both ways,
``{"id": "evt_<n>", "type": ..., "timestamp": ..., "data": {...}}``.

:func:`emit` is called inside the transaction of the change that causes the events (one
insert for all of them, once per key), so an event exists exactly when its change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.messaging import events as store
from regulars.errors import InvalidInput
from regulars.services.runtime import Runtime

TYPES = (
    "member.created", "member.changed",
    "receipt.committed", "receipt.refunded", "receipt.voided",
    "points.earned", "points.spent", "points.expired",
    "level.changed", "coupon.redeemed", "message.requested", "feedback.received",
)
MAX_PAGE = 500


@dataclass(frozen=True, kw_only=True)
class Pending:
    """An event about to be recorded: ``key`` names its cause, once."""

    key: str
    type: str
    data: dict[str, Any]


def emit(conn: Connection, tenant_id: int, pending: list[Pending], now: datetime) -> None:
    """Record ``pending`` in the caller's transaction (one insert); a key already recorded
    (a retried change) records nothing more."""
    store.record(conn, tenant_id, rows(pending), now)


def rows(pending: list[Pending]) -> list[dict[str, Any]]:
    """``pending`` as the rows the store records (for a statement that records them beside
    another write); raises ``ValueError`` for an unknown type."""
    for event in pending:
        if event.type not in TYPES:
            raise ValueError(f"unknown event type {event.type!r}")
    return [{"key": p.key, "type": p.type, "data": p.data} for p in pending]


@dataclass(frozen=True, kw_only=True)
class Event:
    id: str
    type: str
    timestamp: str
    """When it happened, ISO 8601 in UTC (``2026-03-02T10:00:00Z``)."""
    data: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class EventPage:
    events: list[Event]
    next_cursor: str | None
    """Pass as ``after`` for the events that follow (None: none so far; ask again later
    with the last event's id)."""


def event_of(row: dict[str, Any]) -> Event:
    at: datetime = row["occurred_at"]
    return Event(id=f"evt_{row['id']}", type=row["type"],
                 timestamp=at.isoformat().replace("+00:00", "Z"), data=row["data"])


def parse_cursor(value: str | None) -> int:
    if not value:
        return 0
    digits = value.removeprefix("evt_")
    if not digits.isdigit() or len(digits) > 18:
        raise InvalidInput("after must be an event id such as evt_42", field="after")
    return int(digits)


def page(rt: Runtime, tenant_id: int, *, after: str | None, limit: int,
         types: list[str] | None) -> EventPage:
    """The tenant's events after the cursor, oldest first."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must lie between 1 and {MAX_PAGE}", field="limit")
    for name in types or []:
        if name not in TYPES:
            raise InvalidInput(f"unknown event type {name!r}", field="type")
    with rt.db.read() as conn:
        rows = store.page(conn, tenant_id, after_id=parse_cursor(after), limit=limit,
                          types=types)
    found = [event_of(r) for r in rows]
    return EventPage(events=found,
                     next_cursor=found[-1].id if len(found) == limit else None)
