"""rewards

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:03:17
Referral codes, device hashes, referrals, reward settings and reward events.

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('reward_settings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reward_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_settings')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_reward_settings_tenant_id'))
    )
    op.create_table('referrals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referred_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referrer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('referrer_points', sa.BigInteger(), nullable=False),
    sa.Column('referred_points', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('linked', 'refused')", name=op.f('ck_referrals_status')),
    sa.ForeignKeyConstraint(['referred_id'], ['members.id'], name=op.f('fk_referrals_referred_id_members')),
    sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_referrals_referrer_id_members')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_referrals_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('tenant_id', 'referred_id', name=op.f('uq_referrals_tenant_id_referred_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_tenant_id_referrer_id'), ['tenant_id', 'referrer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_tenant_id_trigger_settled_at'), ['tenant_id', 'trigger', 'settled_at'], unique=False)

    op.create_table('reward_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_reward_events_entry_id_entries')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_reward_events_member_id_members')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reward_events_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_events')),
    sa.UniqueConstraint('tenant_id', 'event_id', name=op.f('uq_reward_events_tenant_id_event_id'))
    )
    with op.batch_alter_table('reward_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_events_tenant_id_member_id_type_occurred_at'), ['tenant_id', 'member_id', 'type', 'occurred_at'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('device_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_members_tenant_id_device_hash'), ['tenant_id', 'device_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_members_tenant_id_referral_code'), ['tenant_id', 'referral_code'], unique=True)




def downgrade() -> None:

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_tenant_id_referral_code'))
        batch_op.drop_index(batch_op.f('ix_members_tenant_id_device_hash'))
        batch_op.drop_column('device_hash')
        batch_op.drop_column('referral_code')

    with op.batch_alter_table('reward_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_events_tenant_id_member_id_type_occurred_at'))

    op.drop_table('reward_events')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_tenant_id_trigger_settled_at'))
        batch_op.drop_index(batch_op.f('ix_referrals_tenant_id_referrer_id'))

    op.drop_table('referrals')
    op.drop_table('reward_settings')

