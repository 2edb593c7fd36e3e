"""products, refund notes, till policies: the product list and the built-in till's refunds

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 06:00:00
Each business keeps its products (SKU, name, price in minor units, category), marks some as
favourites for the till's quick keys, and deactivates those it no longer sells (receipts keep
their own copy of each line, so nothing is deleted). A refund at the built-in till keeps its
reason, its cashier and the manager who allowed it (refund_notes); each business sets the
amount above which such a refund needs a manager's PIN (till_policies).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'products',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('sku', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_folded', sa.String(length=200), nullable=False),
        sa.Column('price_minor', sa.BigInteger(), nullable=False),
        sa.Column('category', sa.String(length=64), server_default='', nullable=False),
        sa.Column('favourite', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('price_minor >= 0', name=op.f('ck_products_price_minor')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_products_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
        sa.UniqueConstraint('tenant_id', 'sku', name=op.f('uq_products_tenant_id_sku')),
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_tenant_id_active_name_folded'),
                              ['tenant_id', 'active', 'name_folded'], unique=False)


    op.create_table(
        'refund_notes',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('refund_id', Id, nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('staff_id', Id, nullable=True),
        sa.Column('approved_by_staff_id', Id, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['approved_by_staff_id'], ['staff.id'],
                                name=op.f('fk_refund_notes_approved_by_staff_id_staff')),
        sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'],
                                name=op.f('fk_refund_notes_refund_id_refunds')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'],
                                name=op.f('fk_refund_notes_staff_id_staff')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_refund_notes_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_notes')),
        sa.UniqueConstraint('tenant_id', 'refund_id',
                            name=op.f('uq_refund_notes_tenant_id_refund_id')),
    )
    op.create_table(
        'till_policies',
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('manager_pin_above_minor', sa.BigInteger(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_till_policies_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_till_policies')),
    )


def downgrade() -> None:
    op.drop_table('till_policies')
    op.drop_table('refund_notes')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_tenant_id_active_name_folded'))
    op.drop_table('products')
