"""the devices registered for a wallet pass's updates (Apple's pass web service)

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wallet_pass_registrations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pass_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=False),
    sa.Column('push_token', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pass_id'], ['wallet_passes.id'], name=op.f('fk_wallet_pass_registrations_pass_id_wallet_passes')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_wallet_pass_registrations_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_pass_registrations')),
    sa.UniqueConstraint('tenant_id', 'device', 'pass_id', name=op.f('uq_wallet_pass_registrations_tenant_id_device_pass_id'))
    )
    with op.batch_alter_table('wallet_pass_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_pass_registrations_tenant_id_pass_id'), ['tenant_id', 'pass_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wallet_pass_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_pass_registrations_tenant_id_pass_id'))
    op.drop_table('wallet_pass_registrations')
