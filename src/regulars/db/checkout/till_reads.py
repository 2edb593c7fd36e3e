"""Reads for the till in the browser and for the one-time code at commit: whether a commit
was already sent (so a replay needs no new code), and a till's receipts since a moment.

Every query is scoped by ``tenant_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from regulars.db.checkout.tables import idempotency, receipts


def commit_seen(conn: Connection, tenant_id: int, *, key: str, terminal_id: int,
                receipt_no: str) -> bool:
    """Whether this till's commit with this Idempotency-Key, or its receipt number, exists."""
    by_key = conn.execute(select(idempotency.c.id).where(
        idempotency.c.tenant_id == tenant_id, idempotency.c.scope == "commit",
        idempotency.c.terminal_id == terminal_id, idempotency.c.key == key)).first()
    if by_key is not None:
        return True
    by_number = conn.execute(select(receipts.c.id).where(
        receipts.c.tenant_id == tenant_id, receipts.c.terminal_id == terminal_id,
        receipts.c.receipt_no == receipt_no)).first()
    return by_number is not None


def till_receipts(conn: Connection, tenant_id: int, terminal_id: int, *, since: datetime,
                  limit: int) -> list[dict[str, Any]]:
    """The till's receipts recorded since ``since``, newest first."""
    r = receipts
    return [dict(row._mapping) for row in conn.execute(
        select(r.c.id, r.c.receipt_no, r.c.member_id, r.c.status, r.c.gross_minor,
               r.c.paid_minor, r.c.points_spent, r.c.points_earned, r.c.refunded_paid_minor,
               r.c.occurred_at, r.c.recorded_at)
        .where(r.c.tenant_id == tenant_id, r.c.terminal_id == terminal_id,
               r.c.recorded_at >= since)
        .order_by(r.c.id.desc()).limit(limit))]
