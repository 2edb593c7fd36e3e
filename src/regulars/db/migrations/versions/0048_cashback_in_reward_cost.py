"""cashback credited counts in the daily aggregates' reward cost

Revision ID: 0048
Revises: 0046
Create Date: 2026-12-06 23:30:00
``sales_days.*_reward_cost_minor`` counted what the points spent took off the bills and the
catalogue rewards at their stated cost (0041), but not the money receipts credited to the
members' wallets as cashback (the program's and the promotions', one ``cashback`` entry per
receipt, taken back by ``refund_cashback`` entries). Commits and refunds now count it, net of
what the refunds took back. Here every sold receipt with cashback gets what it still credits
(the sum of its entries of those two codes, the member's side) added to the row of its local
day, till, store and cashier; the downgrade takes the same amount off again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0046"
branch_labels = None
depends_on = None

_CREDITED = """
SELECT r.tenant_id, r.occurred_at, r.terminal_id, r.store_id, r.staff_id, r.member_id,
       t.timezone, e.cashback_minor
FROM receipts r
JOIN tenants t ON t.id = r.tenant_id
JOIN (SELECT tenant_id, receipt_id, sum(points) AS cashback_minor
      FROM entries
      WHERE receipt_id IS NOT NULL AND code IN ('cashback', 'refund_cashback')
      GROUP BY tenant_id, receipt_id) e ON e.tenant_id = r.tenant_id AND e.receipt_id = r.id
WHERE r.status IN ('committed', 'partially_refunded')
"""


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _credited() -> dict[tuple[Any, ...], int]:
    """The cashback the sold receipts still credit, per row: (tenant, day, till, store,
    cashier, column) -> minor units."""
    found: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in op.get_bind().execute(sa.text(_CREDITED)).mappings():
        day = _utc(r["occurred_at"]).astimezone(ZoneInfo(r["timezone"])).date()
        kind = "anonymous" if r["member_id"] is None else "member"
        found[
            (
                r["tenant_id"],
                day,
                r["terminal_id"] or 0,
                r["store_id"] or 0,
                r["staff_id"] or 0,
                f"{kind}_reward_cost_minor",
            )
        ] += int(r["cashback_minor"])
    return found


def _apply(sign: int) -> None:
    bind = op.get_bind()
    for (tenant_id, day, terminal_id, store_id, staff_id, column), amount in sorted(
        _credited().items(), key=lambda item: tuple(str(k) for k in item[0])
    ):
        if not amount:
            continue
        bind.execute(
            sa.text(
                f"UPDATE sales_days SET {column} = {column} + :amount "
                "WHERE tenant_id = :tenant_id AND day = :day AND terminal_id = :terminal_id "
                "AND store_id = :store_id AND staff_id = :staff_id"
            ).bindparams(sa.bindparam("day", type_=sa.Date())),
            {
                "amount": sign * amount,
                "tenant_id": tenant_id,
                "day": day,
                "terminal_id": terminal_id,
                "store_id": store_id,
                "staff_id": staff_id,
            },
        )


def upgrade() -> None:
    _apply(1)


def downgrade() -> None:
    _apply(-1)
