"""Members' purchases for the lifetime-value models: one row per receipt with a member, net
of refunds, voided receipts left out. Scoped by ``tenant_id``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, func, select

from regulars.db.checkout.tables import receipts, refunds
from regulars.db.ledger.tables import entries


def member_purchases(conn: Connection, tenant_id: int, *,
                     until: datetime) -> Iterator[tuple[int, datetime, int]]:
    """(member id, when, amount paid net of refunds, in minor units) of every receipt with a
    member made before ``until``; fully refunded receipts come with 0. In member and time
    order, so that a fit sees the same rows in the same order on either database."""
    query = (select(receipts.c.member_id, receipts.c.occurred_at,
                    (receipts.c.paid_minor - receipts.c.refunded_paid_minor).label("net_minor"))
             .where(receipts.c.tenant_id == tenant_id, receipts.c.status != "voided",
                    receipts.c.member_id.is_not(None), receipts.c.occurred_at < until)
             .order_by(receipts.c.member_id, receipts.c.occurred_at, receipts.c.id))
    for row in conn.execute(query):
        yield int(row.member_id), row.occurred_at, max(0, int(row.net_minor))


def purchases_stamp(conn: Connection, tenant_id: int) -> tuple[int, int, int]:
    """(last receipt id, last refund id, last ledger entry id) of the tenant: any new
    receipt, refund, void or merge changes one, so figures over past purchases computed at
    one stamp hold until it changes."""
    row = conn.execute(select(
        select(func.max(receipts.c.id)).where(receipts.c.tenant_id == tenant_id)
        .scalar_subquery(),
        select(func.max(refunds.c.id)).where(refunds.c.tenant_id == tenant_id)
        .scalar_subquery(),
        select(func.max(entries.c.id)).where(entries.c.tenant_id == tenant_id)
        .scalar_subquery())).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)
