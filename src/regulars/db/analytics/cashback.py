"""What cashback each receipt still credits, read from the ledger's entries: its ``cashback``
entry (the program's and the promotions' cashback together) less its ``refund_cashback``
entries, in the member-side amounts of the wallet's money (:data:`CASHBACK_CODES`). For the
check and rebuild of the daily aggregates (:func:`regulars.db.analytics.days.expected`) and
the figures read over receipts (:func:`regulars.db.analytics.figures.sales_totals`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from regulars.db.checkout.tables import receipts
from regulars.db.ledger.tables import entries
from regulars.domain.analytics.days import CASHBACK_CODES


def standing() -> Any:
    """A scalar subquery correlated with the ``receipts`` of the enclosing query: the
    cashback its receipt still credits (0: none); one look-up by the entries' receipt
    index."""
    e = entries.c
    return (
        select(func.coalesce(func.sum(e.points), 0))
        .where(
            e.tenant_id == receipts.c.tenant_id,
            e.receipt_id == receipts.c.id,
            e.code.in_(CASHBACK_CODES),
        )
        .scalar_subquery()
    )


def by_receipt(conn: Connection, tenant_id: int) -> dict[int, int]:
    """Every receipt of the tenant that still credits cashback, by id: how much."""
    e = entries.c
    rows = conn.execute(
        select(e.receipt_id, func.sum(e.points))
        .where(e.tenant_id == tenant_id, e.receipt_id.is_not(None), e.code.in_(CASHBACK_CODES))
        .group_by(e.receipt_id)
    )
    return {int(r[0]): int(r[1]) for r in rows if r[1]}
