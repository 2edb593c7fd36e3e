"""catalogue rewards at their stated cost in the daily aggregates

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06 20:15:00
``sales_days.*_reward_cost_minor`` counted what the points spent took off the bills, a
catalogue reward included at the discount it gave, and the figures corrected that from the
claims on every request. Commits and refunds now count a catalogue reward at its stated cost
(``reward_claims.cost_minor``) in place of its discount, in full while its claim stands and
nothing once a refund closed it. Here every sold receipt with such a claim gets the difference
added to the row of its local day, till, store and cashier, as the aggregates round it:
``kept(points discount - claims' discount) + standing claims' cost - kept(points discount)``,
``kept`` being the share of the money the receipt kept, rounded down. The downgrade takes the
same difference off again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

_REWARDED = """
SELECT r.tenant_id, r.occurred_at, r.terminal_id, r.store_id, r.staff_id, r.member_id,
       r.paid_minor, r.refunded_paid_minor, r.points_discount_minor, t.timezone,
       c.discount_minor, c.cost_minor
FROM receipts r
JOIN tenants t ON t.id = r.tenant_id
JOIN (SELECT tenant_id, receipt_id, sum(discount_minor) AS discount_minor,
             sum(CASE WHEN status = 'used' THEN cost_minor ELSE 0 END) AS cost_minor
      FROM reward_claims
      WHERE receipt_id IS NOT NULL AND status IN ('used', 'refunded')
      GROUP BY tenant_id, receipt_id) c ON c.tenant_id = r.tenant_id AND c.receipt_id = r.id
WHERE r.status IN ('committed', 'partially_refunded')
"""


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _kept(amount: int, paid: int, refunded: int) -> int:
    return amount if paid <= 0 else amount * (paid - refunded) // paid


def _differences() -> dict[tuple[Any, ...], int]:
    """What the stated cost changes in each row's reward cost: (tenant, day, till, store,
    cashier, column) -> minor units."""
    found: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in op.get_bind().execute(sa.text(_REWARDED)).mappings():
        paid, refunded = int(r['paid_minor']), int(r['refunded_paid_minor'] or 0)
        points_off = int(r['points_discount_minor'])
        change = (_kept(points_off - int(r['discount_minor']), paid, refunded)
                  + int(r['cost_minor']) - _kept(points_off, paid, refunded))
        day = _utc(r['occurred_at']).astimezone(ZoneInfo(r['timezone'])).date()
        kind = 'anonymous' if r['member_id'] is None else 'member'
        found[(r['tenant_id'], day, r['terminal_id'] or 0, r['store_id'] or 0,
               r['staff_id'] or 0, f'{kind}_reward_cost_minor')] += change
    return found


def _apply(sign: int) -> None:
    bind = op.get_bind()
    for (tenant_id, day, terminal_id, store_id, staff_id, column), change in sorted(
            _differences().items(), key=lambda item: tuple(str(k) for k in item[0])):
        if not change:
            continue
        bind.execute(sa.text(
            f'UPDATE sales_days SET {column} = {column} + :change '
            'WHERE tenant_id = :tenant_id AND day = :day AND terminal_id = :terminal_id '
            'AND store_id = :store_id AND staff_id = :staff_id').bindparams(
                sa.bindparam('day', type_=sa.Date())),
            {'change': sign * change, 'tenant_id': tenant_id, 'day': day,
             'terminal_id': terminal_id, 'store_id': store_id, 'staff_id': staff_id})


def upgrade() -> None:
    _apply(1)


def downgrade() -> None:
    _apply(-1)
