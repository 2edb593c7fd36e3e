"""purchase gaps: per tenant, members by the local day of a net purchase and the day of their
previous one

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06 20:20:00
The members active in a span of days, at risk, churned and the buyers before a day are sums
over ``purchase_gaps`` (one row per tenant, local day and previous purchase day: at most
days² / 2 rows, however many members) instead of counts over every member's months. Back-filled
here from the receipts in each tenant's time zone, then kept current by every commit, refund,
void, import and merge. The new members of a period are counted along an index of the
members by the instant they joined.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SOLD = "('committed', 'partially_refunded')"
NEVER_DAY = date(1970, 1, 1)

_BACKFILL_PG = f"""
INSERT INTO purchase_gaps (tenant_id, day, previous_day, members)
SELECT tenant_id, day, previous_day, count(*)
FROM (SELECT tenant_id, day,
             COALESCE(lag(day) OVER (PARTITION BY tenant_id, member_id ORDER BY day),
                      DATE '1970-01-01') AS previous_day
      FROM (SELECT DISTINCT r.tenant_id, r.member_id,
                   CAST(r.occurred_at AT TIME ZONE t.timezone AS date) AS day
            FROM receipts r JOIN tenants t ON t.id = r.tenant_id
            WHERE r.status IN {SOLD} AND r.member_id IS NOT NULL) AS d) AS g
GROUP BY tenant_id, day, previous_day
"""


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _backfill_sqlite() -> None:
    bind = op.get_bind()
    zones = {row[0]: ZoneInfo(row[1])
             for row in bind.execute(sa.text('SELECT id, timezone FROM tenants'))}
    days: dict[tuple[Any, Any], set[date]] = {}
    for r in bind.execute(sa.text(
            f"""SELECT tenant_id, member_id, occurred_at FROM receipts
                WHERE status IN {SOLD} AND member_id IS NOT NULL""")).mappings():
        day = _utc(r['occurred_at']).astimezone(zones[r['tenant_id']]).date()
        days.setdefault((r['tenant_id'], r['member_id']), set()).add(day)
    found: Counter[tuple[Any, date, date]] = Counter()
    for (tenant_id, _), member_days in days.items():
        previous = NEVER_DAY
        for day in sorted(member_days):
            found[(tenant_id, day, previous)] += 1
            previous = day
    if found:
        bind.execute(sa.text(
            'INSERT INTO purchase_gaps (tenant_id, day, previous_day, members) '
            'VALUES (:tenant_id, :day, :previous_day, :members)').bindparams(
                sa.bindparam('day', type_=sa.Date()),
                sa.bindparam('previous_day', type_=sa.Date())),
            [{'tenant_id': t, 'day': d, 'previous_day': p, 'members': n}
             for (t, d, p), n in sorted(found.items())])


def upgrade() -> None:
    op.create_table(
        'purchase_gaps',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('previous_day', sa.Date(), nullable=False),
        sa.Column('members', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_purchase_gaps_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_gaps')),
        sa.UniqueConstraint('tenant_id', 'day', 'previous_day',
                            name=op.f('uq_purchase_gaps_tenant_id_day_previous_day')),
    )
    with op.batch_alter_table('purchase_gaps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_gaps_tenant_id_previous_day_day'),
                              ['tenant_id', 'previous_day', 'day'], unique=False)
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_tenant_id_created_at'),
                              ['tenant_id', 'created_at'], unique=False,
                              postgresql_include=['status', 'store_id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_BACKFILL_PG)
    else:
        _backfill_sqlite()


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_tenant_id_created_at'))
    op.drop_table('purchase_gaps')
