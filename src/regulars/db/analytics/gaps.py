"""``purchase_gaps``: per tenant, how many members bought on a local day with their previous
purchase on another (see the table's text). The members active in a span of local days, the
first-time buyers of a span and the buyers before a day are sums over these rows, exact, and
their number grows with the days of the history, not with the members.

Every member's rows follow from the local days of their net receipts (:func:`pairs`). A unit of
work that changes a member's purchases adds the difference between the pairs of their days
after and before it: a purchase later than all they had adds one pair in the unit of work's
last statement (:mod:`regulars.db.analytics.days`); any other change (a purchase older than
their last, a receipt that went back, a merge, an import) is recomputed from the receipts
with the member's row of ``member_purchases`` locked (:func:`regulars.db.analytics.buyers.
refresh`), the receipts before it being the ones there now less those the unit of work
added, plus those it took away. Writes are upserts by increments, in key order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.analytics.tables import purchase_gaps

NEVER_DAY = date(1970, 1, 1)
"""``previous_day`` of a member's first purchase."""

Pair = tuple[date, date]


def pairs(times: Iterable[datetime], zone: tzinfo) -> Counter[Pair]:
    """The (day, previous day) pairs of one member's net receipts at ``times``."""
    found: Counter[Pair] = Counter()
    previous = NEVER_DAY
    for day in sorted({at.astimezone(zone).date() for at in times}):
        found[(day, previous)] += 1
        previous = day
    return found


def add(conn: Connection, tenant_id: int, changes: Mapping[Pair, int]) -> None:
    """Add ``changes`` to the rows of their pairs, creating them if need be: one statement,
    in key order."""
    rows = [{"tenant_id": tenant_id, "day": day, "previous_day": previous, "members": n}
            for (day, previous), n in sorted(changes.items()) if n]
    if not rows:
        return
    statement = (postgresql.insert(purchase_gaps) if conn.dialect.name == "postgresql"
                 else sqlite.insert(purchase_gaps))
    conn.execute(statement.on_conflict_do_update(
        index_elements=["tenant_id", "day", "previous_day"],
        set_={"members": purchase_gaps.c.members + statement.excluded.members}), rows)


# Reads ---------------------------------------------------------------------------------------

def active(conn: Connection, tenant_id: int, first_day: date, end_day: date) -> int:
    """Members with a net receipt on the local days ``[first_day, end_day)``: each one's first
    day there is the row whose previous day is before ``first_day``."""
    c = purchase_gaps.c
    return int(conn.execute(select(func.coalesce(func.sum(c.members), 0)).where(
        c.tenant_id == tenant_id, c.day >= first_day, c.day < end_day,
        c.previous_day < first_day)).scalar_one())


def buyers_before(conn: Connection, tenant_id: int, end_day: date) -> int:
    """Members whose first net receipt is on a local day before ``end_day``."""
    c = purchase_gaps.c
    return int(conn.execute(select(func.coalesce(func.sum(c.members), 0)).where(
        c.tenant_id == tenant_id, c.previous_day == NEVER_DAY, c.day < end_day)).scalar_one())


# Checks and rebuilds -------------------------------------------------------------------------

def expected(times: Mapping[int, Iterable[datetime]], zone: tzinfo) -> Counter[Pair]:
    """The rows the members' net receipts at ``times`` make."""
    found: Counter[Pair] = Counter()
    for member_times in times.values():
        found.update(pairs(member_times, zone))
    return found


def _stored(conn: Connection, tenant_id: int) -> dict[Pair, int]:
    c = purchase_gaps.c
    return {(r.day, r.previous_day): int(r.members) for r in conn.execute(
        select(c.day, c.previous_day, c.members).where(c.tenant_id == tenant_id))
        if r.members}


def problems(conn: Connection, tenant_id: int, want: Mapping[Pair, int]) -> list[dict[str, Any]]:
    """The rows that disagree with ``want`` (:func:`expected`)."""
    have = _stored(conn, tenant_id)
    return [{"kind": "purchase_gap", "tenant_id": tenant_id, "day": pair[0].isoformat(),
             "previous_day": pair[1].isoformat(), "expected": want.get(pair, 0),
             "stored": have.get(pair, 0)}
            for pair in sorted(set(want) | set(have)) if want.get(pair, 0) != have.get(pair, 0)]


def rebuild(conn: Connection, tenant_id: int, want: Mapping[Pair, int]) -> None:
    """Replace the tenant's rows by ``want`` (a new time zone moves receipts between local
    days); the caller holds the lock that keeps writers out."""
    conn.execute(delete(purchase_gaps).where(purchase_gaps.c.tenant_id == tenant_id))
    add(conn, tenant_id, want)
