"""promotion budgets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:20:00
Promotion budgets and per-member caps, per-member use counters, the tenant's loyalty budget
split and its monthly spend per bucket; receipt_promotions learn their month, their per-line
shares and what refunds gave back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _tenant() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column('tenant_id', Id, nullable=False)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def upgrade() -> None:
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('month', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('lines', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('refunded_discount_minor', sa.BigInteger(),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded_points', sa.BigInteger(),
                                      server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_receipt_promotions_tenant_id_month'),
                              ['tenant_id', 'month'], unique=False)

    op.create_table(
        'promotion_budgets',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('promotion_id', Id, nullable=False),
        sa.Column('budget_minor', sa.BigInteger(), nullable=True),
        sa.Column('budget_points', sa.BigInteger(), nullable=True),
        sa.Column('spent_minor', sa.BigInteger(), nullable=False),
        sa.Column('spent_points', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'],
                                name=op.f('fk_promotion_budgets_promotion_id_promotions')),
        _tenant_fk('promotion_budgets'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_budgets')),
        sa.UniqueConstraint('tenant_id', 'promotion_id',
                            name=op.f('uq_promotion_budgets_tenant_id_promotion_id')),
    )
    # Promotions made before budgets existed have none: their counters start at zero.
    op.execute(
        "INSERT INTO promotion_budgets (tenant_id, promotion_id, spent_minor, spent_points) "
        "SELECT tenant_id, id, 0, 0 FROM promotions")

    op.create_table(
        'promotion_member_spend',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('promotion_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('spent_minor', sa.BigInteger(), nullable=False),
        sa.Column('spent_points', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_promotion_member_spend_member_id_members')),
        sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'],
                                name=op.f('fk_promotion_member_spend_promotion_id_promotions')),
        _tenant_fk('promotion_member_spend'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_member_spend')),
        sa.UniqueConstraint(
            'tenant_id', 'promotion_id', 'member_id',
            name=op.f('uq_promotion_member_spend_tenant_id_promotion_id_member_id')),
    )
    op.create_table(
        'promotion_member_uses',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('promotion_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('period', sa.String(length=5), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('uses', sa.Integer(), nullable=False),
        sa.CheckConstraint("period in ('day', 'week', 'month')",
                           name=op.f('ck_promotion_member_uses_period')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_promotion_member_uses_member_id_members')),
        sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'],
                                name=op.f('fk_promotion_member_uses_promotion_id_promotions')),
        _tenant_fk('promotion_member_uses'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_member_uses')),
        sa.UniqueConstraint(
            'tenant_id', 'promotion_id', 'member_id', 'period', 'starts_on',
            name=op.f('uq_promotion_member_uses_tenant_id_promotion_id_member_id_period_'
                      'starts_on')),
    )
    op.create_table(
        'loyalty_budgets',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('total_minor', sa.BigInteger(), nullable=True),
        sa.Column('base_bp', sa.Integer(), nullable=False),
        sa.Column('mass_bp', sa.Integer(), nullable=False),
        sa.Column('targeted_bp', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        _tenant_fk('loyalty_budgets'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_budgets')),
        sa.UniqueConstraint('tenant_id', name=op.f('uq_loyalty_budgets_tenant_id')),
    )
    op.create_table(
        'budget_spend',
        sa.Column('id', Id, nullable=False),
        _tenant(),
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
    op.create_table(
        'receipt_budgets',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('receipt_id', Id, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('base_points', sa.BigInteger(), nullable=False),
        sa.Column('refunded_points', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('point_value_minor', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'],
                                name=op.f('fk_receipt_budgets_receipt_id_receipts')),
        _tenant_fk('receipt_budgets'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_budgets')),
        sa.UniqueConstraint('tenant_id', 'receipt_id',
                            name=op.f('uq_receipt_budgets_tenant_id_receipt_id')),
    )
    op.create_index(op.f('ix_receipt_budgets_tenant_id_month'), 'receipt_budgets',
                    ['tenant_id', 'month'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_receipt_budgets_tenant_id_month'), table_name='receipt_budgets')
    op.drop_table('receipt_budgets')
    op.drop_table('budget_spend')
    op.drop_table('loyalty_budgets')
    op.drop_table('promotion_member_uses')
    op.drop_table('promotion_member_spend')
    op.drop_table('promotion_budgets')
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_promotions_tenant_id_month'))
        batch_op.drop_column('refunded_points')
        batch_op.drop_column('refunded_discount_minor')
        batch_op.drop_column('lines')
        batch_op.drop_column('month')
