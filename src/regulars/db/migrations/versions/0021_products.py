"""products: the product list cashiers pick items from

Revision ID: 0021
Revises: 0014
Create Date: 2026-12-06 06:00:00
Each business keeps its products (SKU, name, price in minor units, category), marks some as
favourites for the till's quick keys, and deactivates those it no longer sells (receipts keep
their own copy of each line, so nothing is deleted).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0014'
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


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_tenant_id_active_name_folded'))
    op.drop_table('products')
