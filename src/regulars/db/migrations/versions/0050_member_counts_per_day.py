"""member counts per day: who joined, and how soon first-time buyers bought again; no more
member months

Revision ID: 0050
Revises: 0048
Create Date: 2026-12-06 23:30:00

The new members of a period and the first-time buyers who bought again within the repeat
window were counts over the members who joined, or first bought, in it (up to a million rows
a year on a large business). They become sums over ``join_days`` (members per local day and
store, merged duplicates left out) and ``repeat_gaps`` (members per local day of their first
net purchase and whole days to their next one, up to 730), whose rows grow with the days,
not the members; the first-time buyers themselves are already a sum over ``purchase_gaps``.
Both are back-filled here in each tenant's time zone, then kept current by every sign-up,
import, merge, commit, refund and void.

``member_months`` is read by no figure any more (``purchase_gaps`` answers the members active
in a span of days): it is dropped, and no commit writes it. The downgrade creates it again
and back-fills it from the receipts, as migration 0037 did.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0048"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SOLD = "('committed', 'partially_refunded')"
MAX_DAYS = 730
_DAY = timedelta(days=1)

_JOINS_PG = """
INSERT INTO join_days (tenant_id, day, store_id, members)
SELECT m.tenant_id, CAST(m.created_at AT TIME ZONE t.timezone AS date), COALESCE(m.store_id, 0),
       count(*)
FROM members m JOIN tenants t ON t.id = m.tenant_id
WHERE m.status = 'active'
GROUP BY 1, 2, 3
"""

_REPEATS_PG = f"""
INSERT INTO repeat_gaps (tenant_id, day, within_days, members)
SELECT tenant_id, day, within_days, count(*)
FROM (SELECT p.tenant_id, CAST(p.first_at AT TIME ZONE t.timezone AS date) AS day,
             CAST(EXTRACT(EPOCH FROM p.second_at - p.first_at) * 1000000 + 86399999999
                  AS bigint) / 86400000000 AS within_days
      FROM member_purchases p JOIN tenants t ON t.id = p.tenant_id
      WHERE p.second_at IS NOT NULL) AS g
WHERE within_days <= {MAX_DAYS}
GROUP BY 1, 2, 3
"""


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _backfill_sqlite() -> None:
    bind = op.get_bind()
    zones = {row[0]: ZoneInfo(row[1])
             for row in bind.execute(sa.text('SELECT id, timezone FROM tenants'))}
    joins: Counter[tuple[Any, date, int]] = Counter()
    for r in bind.execute(sa.text("SELECT tenant_id, created_at, store_id FROM members "
                                  "WHERE status = 'active'")).mappings():
        day = _utc(r['created_at']).astimezone(zones[r['tenant_id']]).date()
        joins[(r['tenant_id'], day, r['store_id'] or 0)] += 1
    repeats: Counter[tuple[Any, date, int]] = Counter()
    for r in bind.execute(sa.text('SELECT tenant_id, first_at, second_at FROM member_purchases '
                                  'WHERE second_at IS NOT NULL')).mappings():
        first, gap = _utc(r['first_at']), _utc(r['second_at']) - _utc(r['first_at'])
        within = gap.days + (1 if gap % _DAY else 0)
        if within <= MAX_DAYS:
            repeats[(r['tenant_id'], first.astimezone(zones[r['tenant_id']]).date(),
                     within)] += 1
    for table, column, found in (('join_days', 'store_id', joins),
                                 ('repeat_gaps', 'within_days', repeats)):
        if found:
            bind.execute(sa.text(
                f'INSERT INTO {table} (tenant_id, day, {column}, members) '
                f'VALUES (:tenant_id, :day, :key, :members)').bindparams(
                    sa.bindparam('day', type_=sa.Date())),
                [{'tenant_id': t, 'day': d, 'key': k, 'members': n}
                 for (t, d, k), n in sorted(found.items())])


def _counts_table(name: str, column: sa.Column[Any]) -> None:
    op.create_table(
        name,
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        column,
        sa.Column('members', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f(f'fk_{name}_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
        sa.UniqueConstraint('tenant_id', 'day', column.name,
                            name=op.f(f'uq_{name}_tenant_id_day_{column.name}')),
    )


def upgrade() -> None:
    _counts_table('join_days', sa.Column('store_id', sa.BigInteger(), nullable=False))
    _counts_table('repeat_gaps', sa.Column('within_days', sa.Integer(), nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_JOINS_PG)
        op.execute(_REPEATS_PG)
    else:
        _backfill_sqlite()
    with op.batch_alter_table('member_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_months_tenant_id_month_last_at'))
        batch_op.drop_index(batch_op.f('ix_member_months_tenant_id_month_before_at'))
    op.drop_table('member_months')


# Each member's net receipts per UTC month, with the last one before the month (the epoch
# for the first month): the rows migration 0037 back-filled and commits kept until this one.
_MONTHS = """
INSERT INTO member_months (tenant_id, member_id, month, first_at, last_at, before_at, receipts)
SELECT tenant_id, member_id, month, first_at, last_at,
       COALESCE(lag(last_at) OVER (PARTITION BY tenant_id, member_id ORDER BY month),
                {never}), receipts
FROM (SELECT tenant_id, member_id, {month} AS month,
             min(occurred_at) AS first_at, max(occurred_at) AS last_at, count(*) AS receipts
      FROM receipts WHERE status IN {sold} AND member_id IS NOT NULL
      GROUP BY 1, 2, 3) AS m
"""


def downgrade() -> None:
    op.create_table(
        'member_months',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('before_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('receipts', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_member_months_member_id_members')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_member_months_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_months')),
        sa.UniqueConstraint('tenant_id', 'member_id', 'month',
                            name=op.f('uq_member_months_tenant_id_member_id_month')),
    )
    with op.batch_alter_table('member_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_months_tenant_id_month_before_at'),
                              ['tenant_id', 'month', 'before_at'], unique=False,
                              postgresql_include=['first_at'])
        batch_op.create_index(batch_op.f('ix_member_months_tenant_id_month_last_at'),
                              ['tenant_id', 'month', 'last_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_MONTHS.format(
            never="TIMESTAMPTZ '1970-01-01 00:00:00+00'", sold=SOLD,
            month="CAST(date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS date)"))
    else:  # UTC instants kept as text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        op.execute(_MONTHS.format(never="'1970-01-01 00:00:00.000000'", sold=SOLD,
                                  month="substr(occurred_at, 1, 7) || '-01'"))
    op.drop_table('repeat_gaps')
    op.drop_table('join_days')
