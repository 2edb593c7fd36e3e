"""budget slots: no counter row that every commit with a promotion updates

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:00:00
What promotions and buckets spent is summed from receipt_promotions when reported (each row now
keeps the point value its points count at in the bucket, filled here from the receipt's program
version), so promotion_budgets loses its spent columns and budget_spend goes. What a capped
promotion has left moves to eight slot rows (promotion_budget_slots), filled here from the
counters; a capped bucket's slots (bucket_slots) are made at the month's first charge.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SLOTS = 16  # regulars.db.promotions.budget_slots.SLOTS when this was written
DEFAULT_POINT_VALUE_MINOR = 100


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def _share(amount: int | None, slot: int) -> int | None:
    if amount is None:
        return None
    return amount // SLOTS + (1 if slot < amount % SLOTS else 0)


def _fill_point_values(conn: sa.Connection) -> None:
    programs = conn.execute(sa.text('SELECT tenant_id, version, rules FROM programs')).all()
    for tenant_id, version, rules in programs:
        if isinstance(rules, str):  # SQLite hands JSON back as text through sa.text()
            rules = json.loads(rules)
        value = int((rules or {}).get('point_value_minor', DEFAULT_POINT_VALUE_MINOR))
        conn.execute(sa.text(
            'UPDATE receipt_promotions SET point_value_minor = :v '
            'WHERE tenant_id = :t AND month IS NOT NULL AND receipt_id IN '
            '(SELECT id FROM receipts WHERE tenant_id = :t AND program_version = :n)'),
            {'v': value, 't': tenant_id, 'n': version})


def _fill_promotion_slots(conn: sa.Connection) -> None:
    rows = conn.execute(sa.text(
        'SELECT tenant_id, promotion_id, budget_minor, budget_points, spent_minor, '
        'spent_points FROM promotion_budgets '
        'WHERE budget_minor IS NOT NULL OR budget_points IS NOT NULL')).all()
    slots: list[dict[str, Any]] = []
    for tenant_id, promotion_id, cap_minor, cap_points, spent_minor, spent_points in rows:
        left_minor = None if cap_minor is None else max(0, cap_minor - spent_minor)
        left_points = None if cap_points is None else max(0, cap_points - spent_points)
        slots += [{'t': tenant_id, 'p': promotion_id, 's': slot,
                   'm': _share(left_minor, slot), 'n': _share(left_points, slot)}
                  for slot in range(SLOTS)]
    if slots:
        conn.execute(sa.text(
            'INSERT INTO promotion_budget_slots (tenant_id, promotion_id, slot, left_minor, '
            'left_points) VALUES (:t, :p, :s, :m, :n)'), slots)


def upgrade() -> None:
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('point_value_minor', sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    _fill_point_values(conn)
    op.create_table(
        'promotion_budget_slots',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('promotion_id', Id, nullable=False),
        sa.Column('slot', sa.Integer(), nullable=False),
        sa.Column('left_minor', sa.BigInteger(), nullable=True),
        sa.Column('left_points', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'],
                                name=op.f('fk_promotion_budget_slots_promotion_id_promotions')),
        _tenant_fk('promotion_budget_slots'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_budget_slots')),
        sa.UniqueConstraint('tenant_id', 'promotion_id', 'slot',
                            name=op.f('uq_promotion_budget_slots_tenant_id_promotion_id_slot')),
    )
    op.create_table(
        'bucket_slots',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('bucket', sa.String(length=10), nullable=False),
        sa.Column('slot', sa.Integer(), nullable=False),
        sa.Column('left_minor', sa.BigInteger(), nullable=False),
        sa.CheckConstraint("bucket in ('mass', 'targeted')", name=op.f('ck_bucket_slots_bucket')),
        _tenant_fk('bucket_slots'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bucket_slots')),
        sa.UniqueConstraint('tenant_id', 'month', 'bucket', 'slot',
                            name=op.f('uq_bucket_slots_tenant_id_month_bucket_slot')),
    )
    _fill_promotion_slots(conn)
    with op.batch_alter_table('promotion_budgets', schema=None) as batch_op:
        batch_op.drop_column('spent_minor')
        batch_op.drop_column('spent_points')
    op.drop_table('budget_spend')


def downgrade() -> None:
    op.create_table(
        'budget_spend',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('bucket', sa.String(length=10), nullable=False),
        sa.Column('spent_minor', sa.BigInteger(), nullable=False),
        sa.CheckConstraint("bucket in ('base', 'mass', 'targeted')",
                           name=op.f('ck_budget_spend_bucket')),
        _tenant_fk('budget_spend'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_spend')),
        sa.UniqueConstraint('tenant_id', 'month', 'bucket',
                            name=op.f('uq_budget_spend_tenant_id_month_bucket')),
    )
    # The counters again, from what the receipts got.
    op.execute(
        'INSERT INTO budget_spend (tenant_id, month, bucket, spent_minor) '
        'SELECT tenant_id, month, bucket, SUM(discount_minor - refunded_discount_minor '
        '+ (points - refunded_points) * COALESCE(point_value_minor, 0)) '
        'FROM receipt_promotions WHERE month IS NOT NULL GROUP BY tenant_id, month, bucket')
    with op.batch_alter_table('promotion_budgets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spent_minor', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('spent_points', sa.BigInteger(), server_default='0',
                                      nullable=False))
    for column, amount in (('spent_minor', 'discount_minor - refunded_discount_minor'),
                           ('spent_points', 'points - refunded_points')):
        op.execute(
            f'UPDATE promotion_budgets SET {column} = COALESCE((SELECT SUM({amount}) '
            'FROM receipt_promotions r WHERE r.tenant_id = promotion_budgets.tenant_id '
            'AND r.promotion_id = promotion_budgets.promotion_id AND r.month IS NOT NULL), 0)')
    op.drop_table('bucket_slots')
    op.drop_table('promotion_budget_slots')
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.drop_column('point_value_minor')
