"""Members' purchases for the lifetime-value models and the RFM groups: one row per net
receipt with a member (as the figures count them: voided and fully refunded receipts left
out). Scoped by ``tenant_id``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, tuple_

from regulars.db.checkout.tables import receipts, refunds
from regulars.db.ledger.tables import entries
from regulars.domain.analytics.days import SOLD


def member_purchases(conn: Connection, tenant_id: int, *, until: datetime,
                     page_rows: int = 10_000) -> Iterator[tuple[int, datetime, int]]:
    """(member id, when, amount paid net of refunds, in minor units) of every net receipt
    with a member made before ``until``: a voided or fully refunded receipt is no purchase, a
    partly refunded one counts with what it kept. In member and time order, so that a fit
    sees the same rows in the same order on either database; read ``page_rows`` at a time
    (each page a statement of its own, after the last row of the one before), so that the
    reader never holds more than a page whatever the connection."""
    c = receipts.c
    key = tuple_(c.member_id, c.occurred_at, c.id)
    after = tuple_(bindparam("m", type_=c.member_id.type),
                   bindparam("at", type_=c.occurred_at.type), bindparam("id", type_=c.id.type))
    query = (select(c.member_id, c.occurred_at, (c.paid_minor - c.refunded_paid_minor), c.id)
             .where(c.tenant_id == tenant_id, c.status.in_(SOLD), c.member_id.is_not(None),
                    c.occurred_at < until)
             .order_by(c.member_id, c.occurred_at, c.id).limit(page_rows))
    page = conn.execute(query).all()
    while page:
        for member_id, at, net_minor, _ in page:
            yield int(member_id), at, max(0, int(net_minor))
        if len(page) < page_rows:
            return
        last = page[-1]
        page = conn.execute(query.where(key > after),
                            {"m": last[0], "at": last[1], "id": last[3]}).all()


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
