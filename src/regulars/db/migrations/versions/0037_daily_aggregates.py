"""daily aggregates: sales and points per local day and till, each member's purchases and
their purchases per month

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06 13:30:00
The figures read sums of ``sales_days`` (one row per tenant, local day, till, store and
cashier), ``member_purchases`` (each member's first, second, previous and last net receipt)
and ``member_months`` (each member's net receipts per UTC month, with their last one before
it) instead of every receipt; all are back-filled here from the receipts and the ledger
entries, then kept current by every commit, refund, void, import, expiry and merge.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
KINDS = ('member', 'anonymous')
SALES = ('receipts', 'revenue_minor', 'discount_minor', 'reward_cost_minor', 'items_milli')
COUNTS = tuple(f'{kind}_{name}' for kind in KINDS for name in SALES) + (
    'points_issued', 'points_redeemed', 'points_expired')
KEY = ('tenant_id', 'day', 'terminal_id', 'store_id', 'staff_id')
SOLD = "('committed', 'partially_refunded')"
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
ACCRUALS = "('earn', 'welcome', 'referral', 'birthday', 'profile', 'event')"


def _kept(column: str) -> str:
    return (f'CASE WHEN r.paid_minor > 0 THEN r.{column} * (r.paid_minor - '
            f'r.refunded_paid_minor) / r.paid_minor ELSE r.{column} END')


_SALES_EXPR = {'receipts': '1', 'revenue_minor': 'r.paid_minor - r.refunded_paid_minor',
               'discount_minor': _kept('discount_minor'),
               'reward_cost_minor': _kept('points_discount_minor'),
               'items_milli': 'COALESCE(l.items, 0)'}
_ISSUED = (f"CASE WHEN (e.code IN {ACCRUALS} AND e.points > 0) OR e.code IN ('refund_earn', "
           "'referral_reversal') OR (e.code = 'void' AND e.points < 0) THEN e.points ELSE 0 END")
_REDEEMED = ("CASE WHEN e.code IN ('spend', 'refund_spend') OR (e.code = 'void' AND "
             "e.points > 0) THEN -e.points ELSE 0 END")
_EXPIRED = "CASE WHEN e.code = 'expire' THEN -e.points ELSE 0 END"

_BACKFILL_DAYS_PG = f"""
INSERT INTO sales_days ({', '.join(KEY)}, {', '.join(COUNTS)})
SELECT tenant_id, day, terminal_id, store_id, staff_id,
       {', '.join(f'sum({name})' for name in COUNTS)}
FROM (
    SELECT r.tenant_id, CAST(r.occurred_at AT TIME ZONE t.timezone AS date) AS day,
           r.terminal_id, r.store_id, COALESCE(r.staff_id, 0) AS staff_id,
           {', '.join(f"CASE WHEN r.member_id IS {'NOT ' if kind == 'member' else ''}NULL "
                      f"THEN {_SALES_EXPR[name]} ELSE 0 END AS {kind}_{name}"
                      for kind in KINDS for name in SALES)},
           0 AS points_issued, 0 AS points_redeemed, 0 AS points_expired
    FROM receipts r
    JOIN tenants t ON t.id = r.tenant_id
    LEFT JOIN (SELECT receipt_id, sum(quantity_milli - refunded_quantity_milli) AS items
               FROM receipt_lines GROUP BY receipt_id) l ON l.receipt_id = r.id
    WHERE r.status IN {SOLD}
    UNION ALL
    SELECT e.tenant_id, CAST(e.occurred_at AT TIME ZONE t.timezone AS date),
           COALESCE(e.terminal_id, 0), COALESCE(e.store_id, 0), COALESCE(e.staff_id, 0),
           {', '.join('0' for _ in KINDS for _ in SALES)}, {_ISSUED}, {_REDEEMED}, {_EXPIRED}
    FROM entries e
    JOIN tenants t ON t.id = e.tenant_id
) AS parts
GROUP BY tenant_id, day, terminal_id, store_id, staff_id
HAVING {' OR '.join(f'sum({name}) <> 0' for name in COUNTS)}
"""

_BACKFILL_PURCHASES = f"""
INSERT INTO member_purchases (tenant_id, member_id, first_at, second_at, last_at, previous_at,
                              receipts)
SELECT f.tenant_id, f.member_id, f.first_at,
       (SELECT min(later.occurred_at) FROM receipts later
        WHERE later.tenant_id = f.tenant_id AND later.member_id = f.member_id
              AND later.status IN {SOLD} AND later.occurred_at > f.first_at),
       f.last_at,
       (SELECT max(earlier.occurred_at) FROM receipts earlier
        WHERE earlier.tenant_id = f.tenant_id AND earlier.member_id = f.member_id
              AND earlier.status IN {SOLD} AND earlier.occurred_at < f.last_at),
       f.receipts
FROM (SELECT tenant_id, member_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at,
             count(*) AS receipts
      FROM receipts WHERE status IN {SOLD} AND member_id IS NOT NULL
      GROUP BY tenant_id, member_id) AS f
"""


_BACKFILL_MONTHS_PG = f"""
INSERT INTO member_months (tenant_id, member_id, month, first_at, last_at, before_at, receipts)
SELECT tenant_id, member_id, month, first_at, last_at,
       COALESCE(lag(last_at) OVER (PARTITION BY tenant_id, member_id ORDER BY month),
                TIMESTAMPTZ '1970-01-01 00:00:00+00'), receipts
FROM (SELECT tenant_id, member_id,
             CAST(date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS date) AS month,
             min(occurred_at) AS first_at, max(occurred_at) AS last_at, count(*) AS receipts
      FROM receipts WHERE status IN {SOLD} AND member_id IS NOT NULL
      GROUP BY 1, 2, 3) AS m
"""


def _backfill_months_sqlite() -> None:
    bind = op.get_bind()
    rows: list[dict[str, Any]] = []
    before: dict[tuple[Any, Any], datetime] = {}
    for r in bind.execute(sa.text(
            f"""SELECT tenant_id, member_id, occurred_at FROM receipts
                WHERE status IN {SOLD} AND member_id IS NOT NULL
                ORDER BY tenant_id, member_id, occurred_at""")).mappings():
        at = _utc(r['occurred_at'])
        who = (r['tenant_id'], r['member_id'])
        month = date(at.year, at.month, 1)
        if rows and (rows[-1]['tenant_id'], rows[-1]['member_id']) == who \
                and rows[-1]['month'] == month:
            rows[-1]['last_at'] = at
            rows[-1]['receipts'] += 1
        else:
            rows.append({'tenant_id': who[0], 'member_id': who[1], 'month': month,
                         'first_at': at, 'last_at': at, 'receipts': 1,
                         'before_at': before.get(who, NEVER)})
        before[who] = at
    stored = [{**row, **{name: row[name].replace(tzinfo=None)
                         for name in ('first_at', 'last_at', 'before_at')}} for row in rows]
    if stored:
        bind.execute(sa.text(
            'INSERT INTO member_months (tenant_id, member_id, month, first_at, last_at, '
            'before_at, receipts) VALUES (:tenant_id, :member_id, :month, :first_at, '
            ':last_at, :before_at, :receipts)').bindparams(
                sa.bindparam('month', type_=sa.Date()),
                *(sa.bindparam(name, type_=sa.DateTime())
                  for name in ('first_at', 'last_at', 'before_at'))), stored)


def _utc(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _backfill_days_sqlite() -> None:
    bind = op.get_bind()
    zones = {row[0]: ZoneInfo(row[1])
             for row in bind.execute(sa.text('SELECT id, timezone FROM tenants'))}
    found: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sales = ', '.join(f'{_SALES_EXPR[name]} AS {name}' for name in SALES)
    for r in bind.execute(sa.text(
            f"""SELECT r.tenant_id, r.occurred_at, r.terminal_id, r.store_id, r.staff_id,
                       r.member_id, {sales}
                FROM receipts r
                LEFT JOIN (SELECT receipt_id, sum(quantity_milli - refunded_quantity_milli)
                           AS items FROM receipt_lines GROUP BY receipt_id) l
                       ON l.receipt_id = r.id
                WHERE r.status IN {SOLD}""")).mappings():
        day = _utc(r['occurred_at']).astimezone(zones[r['tenant_id']]).date()
        key = (r['tenant_id'], day, r['terminal_id'], r['store_id'], r['staff_id'] or 0)
        kind = 'anonymous' if r['member_id'] is None else 'member'
        for name in SALES:
            found[key][f'{kind}_{name}'] += int(r[name])
    for e in bind.execute(sa.text(
            f"""SELECT e.tenant_id, e.occurred_at, e.terminal_id, e.store_id, e.staff_id,
                       {_ISSUED} AS points_issued, {_REDEEMED} AS points_redeemed,
                       {_EXPIRED} AS points_expired FROM entries e""")).mappings():
        day = _utc(e['occurred_at']).astimezone(zones[e['tenant_id']]).date()
        key = (e['tenant_id'], day, e['terminal_id'] or 0, e['store_id'] or 0,
               e['staff_id'] or 0)
        for name in ('points_issued', 'points_redeemed', 'points_expired'):
            found[key][name] += int(e[name])
    rows = [{**dict(zip(KEY, key, strict=True)), **{name: values.get(name, 0)
                                                     for name in COUNTS}}
            for key, values in found.items() if any(values.values())]
    if rows:
        bind.execute(sa.text(
            f"INSERT INTO sales_days ({', '.join(KEY)}, {', '.join(COUNTS)}) VALUES "
            f"({', '.join(f':{name}' for name in KEY + COUNTS)})"), rows)


def upgrade() -> None:
    op.create_table(
        'sales_days',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('terminal_id', sa.BigInteger(), nullable=False),
        sa.Column('store_id', sa.BigInteger(), nullable=False),
        sa.Column('staff_id', sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), server_default='0', nullable=False)
          for name in COUNTS),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_sales_days_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_days')),
        sa.UniqueConstraint(*KEY, name=op.f(
            'uq_sales_days_tenant_id_day_terminal_id_store_id_staff_id')),
    )
    op.create_table(
        'member_purchases',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('second_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('previous_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('receipts', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_member_purchases_member_id_members')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_member_purchases_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_purchases')),
        sa.UniqueConstraint('tenant_id', 'member_id',
                            name=op.f('uq_member_purchases_tenant_id_member_id')),
    )
    with op.batch_alter_table('member_purchases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_purchases_tenant_id_first_at'),
                              ['tenant_id', 'first_at'], unique=False)
    _create_member_months()
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_BACKFILL_DAYS_PG)
        op.execute(_BACKFILL_MONTHS_PG)
    else:
        _backfill_days_sqlite()
        _backfill_months_sqlite()
    op.execute(_BACKFILL_PURCHASES)


def _create_member_months() -> None:
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


def downgrade() -> None:
    with op.batch_alter_table('member_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_months_tenant_id_month_last_at'))
        batch_op.drop_index(batch_op.f('ix_member_months_tenant_id_month_before_at'))
    op.drop_table('member_months')
    with op.batch_alter_table('member_purchases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_purchases_tenant_id_first_at'))
    op.drop_table('member_purchases')
    op.drop_table('sales_days')
