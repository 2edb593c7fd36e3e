"""promotions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:53:54.063943
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('promotions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status in ('active', 'archived')", name=op.f('ck_promotions_status')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_promotions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions'))
    )
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotions_tenant_id_status'), ['tenant_id', 'status'], unique=False)

    op.create_table('promotion_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('promotion_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_promotion_versions_promotion_id_promotions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_promotion_versions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_versions')),
    sa.UniqueConstraint('tenant_id', 'promotion_id', 'version', name=op.f('uq_promotion_versions_tenant_id_promotion_id_version'))
    )
    op.create_table('receipt_promotions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('promotion_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_receipt_promotions_promotion_id_promotions')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_receipt_promotions_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_receipt_promotions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_promotions')),
    sa.UniqueConstraint('tenant_id', 'receipt_id', 'promotion_id', name=op.f('uq_receipt_promotions_tenant_id_receipt_id_promotion_id'))
    )
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_promotions_tenant_id_promotion_id'), ['tenant_id', 'promotion_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_promotions_tenant_id_promotion_id'))

    op.drop_table('receipt_promotions')
    op.drop_table('promotion_versions')
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotions_tenant_id_status'))

    op.drop_table('promotions')

