"""Aggregates for the console's home page: receipts and points per day, members, and the
points outstanding. Every query is scoped by ``tenant_id`` and aggregates in the database.

Days are the tenant's local days. Rather than convert time zones in SQL (which SQLite and
PostgreSQL do differently), the caller passes the UTC instants at which each local day
starts, and a ``CASE`` over them numbers each row's day: exact across daylight-saving changes
and the same on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from regulars.db.checkout.tables import receipts
from regulars.db.ledger.ledger import ASSET
from regulars.db.ledger.tables import accounts, entries
from regulars.db.members.tables import members

ACCRUALS = ("earn", "welcome", "referral", "birthday", "profile", "event")


def _day_of(column: Any, starts: Sequence[datetime]) -> Any:
    """The index of the day (``starts[i] <= column < starts[i + 1]``) a timestamp falls on;
    ``starts`` has one more item than there are days (the end of the last day)."""
    return case(*[(column < start, literal(index - 1))
                  for index, start in enumerate(starts[1:], start=1)], else_=literal(-1))


def receipts_by_day(conn: Connection, tenant_id: int,
                    starts: Sequence[datetime]) -> dict[int, dict[str, int]]:
    """Per day: receipts with and without a member and their gross amounts (voided receipts
    left out)."""
    day = _day_of(receipts.c.occurred_at, starts).label("day")
    known = receipts.c.member_id.is_not(None)
    query = (select(day,
                    func.sum(case((known, 1), else_=0)).label("member_receipts"),
                    func.sum(case((known, 0), else_=1)).label("anonymous_receipts"),
                    func.sum(case((known, receipts.c.gross_minor), else_=0))
                    .label("member_gross_minor"),
                    func.sum(case((known, 0), else_=receipts.c.gross_minor))
                    .label("anonymous_gross_minor"))
             .where(receipts.c.tenant_id == tenant_id, receipts.c.status != "voided",
                    receipts.c.occurred_at >= starts[0], receipts.c.occurred_at < starts[-1])
             .group_by(day))
    return {int(r.day): {k: int(v or 0) for k, v in r._mapping.items() if k != "day"}
            for r in conn.execute(query)}


def points_by_day(conn: Connection, tenant_id: int,
                  starts: Sequence[datetime]) -> dict[int, dict[str, int]]:
    """Per day: points issued (earned and rewarded), spent on receipts, and expired."""
    day = _day_of(entries.c.occurred_at, starts).label("day")
    code, points = entries.c.code, entries.c.points
    query = (select(day,
                    func.sum(case((code.in_(ACCRUALS) & (points > 0), points), else_=0))
                    .label("points_issued"),
                    func.sum(case((code == "spend", -points), else_=0)).label("points_spent"),
                    func.sum(case((code == "expire", -points), else_=0))
                    .label("points_expired"))
             .where(entries.c.tenant_id == tenant_id, entries.c.occurred_at >= starts[0],
                    entries.c.occurred_at < starts[-1])
             .group_by(day))
    return {int(r.day): {k: int(v or 0) for k, v in r._mapping.items() if k != "day"}
            for r in conn.execute(query)}


def member_counts(conn: Connection, tenant_id: int, since: datetime) -> tuple[int, int]:
    """(active members, members who joined since ``since``)."""
    row = conn.execute(
        select(func.count(), func.sum(case((members.c.created_at >= since, 1), else_=0)))
        .where(members.c.tenant_id == tenant_id, members.c.status == "active")).one()
    return int(row[0]), int(row[1] or 0)


def outstanding_points(conn: Connection, tenant_id: int) -> int:
    """Points on members' accounts now."""
    return int(conn.execute(
        select(func.coalesce(func.sum(accounts.c.balance), 0))
        .where(accounts.c.tenant_id == tenant_id, accounts.c.member_id.is_not(None),
               accounts.c.asset == ASSET)).scalar_one())
