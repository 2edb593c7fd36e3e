"""a partly refunded receipt's discounts in the daily aggregates are those of the quantities kept

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-07 07:30:00

``sales_days.*_discount_minor`` counted a partly refunded receipt's discounts in the proportion
of the money it kept, where a refund gives a promotion's budget back each returned line's own
share of its discount (so the console home, a promotion's spend and the loyalty budget
disagreed). Commits and refunds now count the discounts of the quantities kept, line by line.
Here every partly refunded receipt with a discount gets the difference of the two rules added
to the row of its local day, till, store and cashier; the downgrade takes it off again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None

_RECEIPTS = """
SELECT r.id, r.tenant_id, r.occurred_at, r.terminal_id, r.store_id, r.staff_id, r.member_id,
       r.discount_minor, r.paid_minor, r.refunded_paid_minor, t.timezone
FROM receipts r
JOIN tenants t ON t.id = r.tenant_id
WHERE r.status = 'partially_refunded' AND r.discount_minor <> 0
"""

_LINES = """
SELECT l.receipt_id, l.quantity_milli, l.refunded_quantity_milli, l.discount_minor
FROM receipt_lines l
JOIN receipts r ON r.tenant_id = l.tenant_id AND r.id = l.receipt_id
WHERE r.status = 'partially_refunded' AND r.discount_minor <> 0
  AND l.refunded_quantity_milli > 0 AND l.discount_minor <> 0
"""


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _floor_share(total: int, part: int, whole: int) -> int:
    """``total``'s share carried by ``part`` of ``whole``, floored toward zero (the rule of
    ``regulars.domain.money.prorate`` as it stands at this revision)."""
    if part >= whole:
        return total
    sign = -1 if total < 0 else 1
    return sign * (abs(total) * part // whole)


def _differences() -> dict[tuple[Any, ...], int]:
    """What each row gains: (tenant, day, till, store, cashier, column) -> minor units."""
    bind = op.get_bind()
    back: dict[int, int] = defaultdict(int)
    for ln in bind.execute(sa.text(_LINES)).mappings():
        if int(ln["quantity_milli"]) > 0:
            back[int(ln["receipt_id"])] += _floor_share(
                int(ln["discount_minor"]), int(ln["refunded_quantity_milli"]),
                int(ln["quantity_milli"]))
    found: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in bind.execute(sa.text(_RECEIPTS)).mappings():
        discount, paid = int(r["discount_minor"]), int(r["paid_minor"])
        refunded = int(r["refunded_paid_minor"] or 0)
        old = discount if paid <= 0 else discount * (paid - refunded) // paid
        new = discount - back.get(int(r["id"]), 0)
        if new == old:
            continue
        day = _utc(r["occurred_at"]).astimezone(ZoneInfo(r["timezone"])).date()
        kind = "anonymous" if r["member_id"] is None else "member"
        found[(r["tenant_id"], day, r["terminal_id"] or 0, r["store_id"] or 0,
               r["staff_id"] or 0, f"{kind}_discount_minor")] += new - old
    return found


def _apply(sign: int) -> None:
    bind = op.get_bind()
    for (tenant_id, day, terminal_id, store_id, staff_id, column), amount in sorted(
        _differences().items(), key=lambda item: tuple(str(k) for k in item[0])
    ):
        bind.execute(
            sa.text(
                f"UPDATE sales_days SET {column} = {column} + :amount "
                "WHERE tenant_id = :tenant_id AND day = :day AND terminal_id = :terminal_id "
                "AND store_id = :store_id AND staff_id = :staff_id"
            ).bindparams(sa.bindparam("day", type_=sa.Date())),
            {"amount": sign * amount, "tenant_id": tenant_id, "day": day,
             "terminal_id": terminal_id, "store_id": store_id, "staff_id": staff_id},
        )


def upgrade() -> None:
    _apply(1)


def downgrade() -> None:
    _apply(-1)
