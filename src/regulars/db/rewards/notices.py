"""Reads for the scheduled notices to members: points about to expire, and members who have
not bought for a while. Scoped by ``tenant_id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from regulars.db.checkout.tables import receipts
from regulars.db.ledger.tables import accounts, lots


def expiring(conn: Connection, tenant_id: int, *, now: datetime, until: datetime,
             limit: int, after_member_id: int) -> list[tuple[int, int, datetime]]:
    """(member, points, first expiry) for each member with open points expiring in
    ``(now, until]``, by member id after ``after_member_id``."""
    rows = conn.execute(
        select(accounts.c.member_id, func.sum(lots.c.remaining), func.min(lots.c.expires_at))
        .join(accounts, (accounts.c.id == lots.c.account_id)
              & (accounts.c.tenant_id == lots.c.tenant_id))
        .where(lots.c.tenant_id == tenant_id, lots.c.is_open,
               lots.c.expires_at > now, lots.c.expires_at <= until,
               accounts.c.member_id.is_not(None), accounts.c.member_id > after_member_id)
        .group_by(accounts.c.member_id).order_by(accounts.c.member_id).limit(limit))
    return [(int(m), int(points), first) for m, points, first in rows]


def lapsed(conn: Connection, tenant_id: int, *, since: datetime, before: datetime,
           limit: int, after_member_id: int) -> list[tuple[int, int]]:
    """(member, last receipt id) for members whose last receipt was in ``[since, before)``."""
    last = func.max(receipts.c.occurred_at)
    return [(int(m), int(r)) for m, r in conn.execute(
        select(receipts.c.member_id, func.max(receipts.c.id))
        .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id.is_not(None),
               receipts.c.member_id > after_member_id)
        .group_by(receipts.c.member_id).having((last >= since) & (last < before))
        .order_by(receipts.c.member_id).limit(limit))]
