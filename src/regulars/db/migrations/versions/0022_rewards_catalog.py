"""rewards catalogue: rewards bought with points, their stock per day, and their claims

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 09:40:00
A business lists rewards members buy with points (a product, a fixed or percentage discount,
or a perk), with validity, stores, levels, stock in total and per day, and a title and
description per language (catalog_rewards; ``issued`` counts claims against the total stock,
catalog_reward_days against the stock of each day). Every claim, at the till or in advance
with a one-time code kept as a keyed digest, is a row of reward_claims.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'catalog_rewards',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('points_cost', sa.BigInteger(), nullable=False),
        sa.Column('sku', sa.String(length=64), server_default='', nullable=False),
        sa.Column('category', sa.String(length=64), server_default='', nullable=False),
        sa.Column('max_price_minor', sa.BigInteger(), nullable=True),
        sa.Column('amount_minor', sa.BigInteger(), nullable=True),
        sa.Column('rate_bp', sa.Integer(), nullable=True),
        sa.Column('cost_minor', sa.BigInteger(), nullable=True),
        sa.Column('valid_from', Stamp, nullable=True),
        sa.Column('valid_until', Stamp, nullable=True),
        sa.Column('store_ids', sa.JSON(), nullable=False),
        sa.Column('level_codes', sa.JSON(), nullable=False),
        sa.Column('stock_total', sa.BigInteger(), nullable=True),
        sa.Column('stock_per_day', sa.BigInteger(), nullable=True),
        sa.Column('issued', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('titles', sa.JSON(), nullable=False),
        sa.Column('descriptions', sa.JSON(), nullable=False),
        sa.Column('picture_url', sa.String(length=500), server_default='', nullable=False),
        sa.Column('claim_days', sa.Integer(), nullable=False),
        sa.Column('refund_on_expiry', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', Stamp, nullable=False),
        sa.Column('updated_at', Stamp, nullable=False),
        sa.CheckConstraint("kind in ('product', 'fixed', 'percent', 'perk')",
                           name=op.f('ck_catalog_rewards_kind')),
        sa.CheckConstraint('points_cost > 0', name=op.f('ck_catalog_rewards_points_cost')),
        sa.CheckConstraint('stock_total is null or issued <= stock_total',
                           name=op.f('ck_catalog_rewards_issued')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_catalog_rewards_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_rewards')),
    )
    with op.batch_alter_table('catalog_rewards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_rewards_tenant_id_active'),
                              ['tenant_id', 'active'], unique=False)
    op.create_table(
        'catalog_reward_days',
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('reward_id', Id, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('issued', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['reward_id'], ['catalog_rewards.id'],
                                name=op.f('fk_catalog_reward_days_reward_id_catalog_rewards')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_catalog_reward_days_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('tenant_id', 'reward_id', 'day',
                                name=op.f('pk_catalog_reward_days')),
    )
    _claims()


def _claims() -> None:
    op.create_table(
        'reward_claims',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('reward_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('code_digest', sa.String(length=64), nullable=True),
        sa.Column('entry_id', Id, nullable=True),
        sa.Column('claimed_at', Stamp, nullable=False),
        sa.Column('expires_at', Stamp, nullable=True),
        sa.Column('used_at', Stamp, nullable=True),
        sa.Column('receipt_id', Id, nullable=True),
        sa.Column('line_no', sa.Integer(), nullable=True),
        sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('cost_minor', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('closed_at', Stamp, nullable=True),
        sa.CheckConstraint("status in ('claimed', 'used', 'expired', 'refunded')",
                           name=op.f('ck_reward_claims_status')),
        sa.ForeignKeyConstraint(['entry_id'], ['entries.id'],
                                name=op.f('fk_reward_claims_entry_id_entries')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_reward_claims_member_id_members')),
        sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'],
                                name=op.f('fk_reward_claims_receipt_id_receipts')),
        sa.ForeignKeyConstraint(['reward_id'], ['catalog_rewards.id'],
                                name=op.f('fk_reward_claims_reward_id_catalog_rewards')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_reward_claims_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_claims')),
        sa.UniqueConstraint('tenant_id', 'code_digest',
                            name=op.f('uq_reward_claims_tenant_id_code_digest')),
    )
    with op.batch_alter_table('reward_claims', schema=None) as batch_op:
        for columns in (['tenant_id', 'member_id', 'status'],
                        ['tenant_id', 'status', 'expires_at'],
                        ['tenant_id', 'receipt_id'], ['tenant_id', 'reward_id']):
            batch_op.create_index(batch_op.f('ix_reward_claims_' + '_'.join(columns)),
                                  columns, unique=False)


def downgrade() -> None:
    op.drop_table('reward_claims')
    op.drop_table('catalog_reward_days')
    with op.batch_alter_table('catalog_rewards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_rewards_tenant_id_active'))
    op.drop_table('catalog_rewards')
