"""a receipt that only sells stored value is no purchase in the daily aggregates

Revision ID: 0065
Revises: 0062
Create Date: 2026-12-07 13:00:00

A receipt with no basket (``gross_minor`` 0: it only sold gift cards or prepaid goods, paid
apart from the lines) no longer counts as a receipt in ``sales_days`` nor as its member's
purchase (:func:`regulars.domain.analytics.days.is_purchase`). The businesses that have such
receipts get their members' ``member_purchases`` rows recomputed for the members who have
one, then their ``sales_days`` and member counts per day made anew from the history, as a
new time zone makes them (:func:`regulars.db.analytics.days.rebuild`); the others are left
as they are. The downgrade changes nothing: the figures keep counting as this revision does
(an older release's ledger check would report those receipts' days and members).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from regulars.db.analytics import buyers, days
from regulars.db.rewards.costs import rewards_by_receipt

revision = "0065"
down_revision = "0062"
branch_labels = None
depends_on = None

_NOT_PURCHASES = """
SELECT r.tenant_id, t.timezone, r.member_id
FROM receipts r JOIN tenants t ON t.id = r.tenant_id
WHERE r.gross_minor = 0 AND r.status IN ('committed', 'partially_refunded')
"""


def upgrade() -> None:
    bind = op.get_bind()
    found: dict[int, tuple[str, set[int]]] = {}
    for tenant_id, zone, member_id in bind.execute(sa.text(_NOT_PURCHASES)):
        members = found.setdefault(int(tenant_id), (str(zone), set()))[1]
        if member_id is not None:
            members.add(int(member_id))
    for tenant_id, (zone, members) in sorted(found.items()):
        if members:
            buyers.refresh(bind, tenant_id, members)
        days.rebuild(bind, tenant_id, ZoneInfo(zone), rewards_by_receipt(bind, tenant_id))


def downgrade() -> None:
    pass
