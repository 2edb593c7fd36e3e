"""spend_days: qualifying spend per member and local day; lots: pending index

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 16:00:00
The level windows sum one row per member and local day (the tenant's time zone), and a row
with the member's lifetime total, instead of every receipt; the rows are filled here from the
receipts already written. Spendable points
start from the cached balance and leave out the pending lots, which ix_lots_pending finds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
OPEN = sa.text('remaining > 0')
BATCH = 1000
LIFETIME_DAY = date(9999, 12, 31)  # the row of a member's lifetime total


def upgrade() -> None:
    op.create_table(
        'spend_days',
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('net_minor', sa.BigInteger(), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_spend_days_member_id_members')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_spend_days_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('tenant_id', 'member_id', 'day', name=op.f('pk_spend_days')),
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index('ix_lots_pending', ['tenant_id', 'account_id', 'available_at'],
                              unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
    _backfill()


def _backfill() -> None:
    """One row per member and local day with a receipt that is not voided: its paid less
    refunded amounts and its latest receipt; and one per member dated 9999-12-31 with the
    lifetime total (as the code writes them, see
    regulars.db.checkout.receipts.expected_spend_days)."""
    conn = op.get_bind()
    sqlite = conn.dialect.name == 'sqlite'
    tenants = sa.table('tenants', sa.column('id'), sa.column('timezone'))
    receipts = sa.table('receipts', sa.column('tenant_id'), sa.column('member_id'),
                        sa.column('status'), sa.column('paid_minor'),
                        sa.column('refunded_paid_minor'),
                        sa.column('occurred_at', sa.DateTime(timezone=True)))
    spend_days = sa.table('spend_days', sa.column('tenant_id'), sa.column('member_id'),
                          sa.column('day', sa.Date()), sa.column('net_minor'),
                          sa.column('last_at', sa.DateTime(timezone=True)))
    for tenant_id, timezone in conn.execute(sa.select(tenants.c.id, tenants.c.timezone)).all():
        zone = ZoneInfo(timezone)
        days: dict[tuple[int, date], tuple[int, datetime]] = {}
        rows = conn.execute(
            sa.select(receipts.c.member_id, receipts.c.paid_minor,
                      receipts.c.refunded_paid_minor, receipts.c.occurred_at)
            .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id.is_not(None),
                   receipts.c.status != 'voided'))
        for member_id, paid, refunded, at in rows:
            at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite: naive UTC
            for key in ((int(member_id), at.astimezone(zone).date()),
                        (int(member_id), LIFETIME_DAY)):
                net, last = days.get(key, (0, at))
                days[key] = (net + int(paid) - int(refunded), max(last, at))
        values = [{'tenant_id': tenant_id, 'member_id': member_id, 'day': day,
                   'net_minor': net,
                   'last_at': last.astimezone(UTC).replace(tzinfo=None) if sqlite else last}
                  for (member_id, day), (net, last) in days.items()]
        for start in range(0, len(values), BATCH):
            conn.execute(sa.insert(spend_days), values[start:start + BATCH])


def downgrade() -> None:
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index('ix_lots_pending', postgresql_where=OPEN, sqlite_where=OPEN)
    op.drop_table('spend_days')
