"""business brand: the logo and colours the customer page shows

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-06 13:30:00
Each business may set a logo (a bounded image kept in the database, served by Regulars with
its own content type) and two colours (``#rrggbb``) that a generated stylesheet applies to the
customer page. No row: Regulars' own look.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'business_brands',
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('brand_colour', sa.String(length=7), nullable=True),
        sa.Column('header_colour', sa.String(length=7), nullable=True),
        sa.Column('logo_type', sa.String(length=20), nullable=True),
        sa.Column('logo', sa.LargeBinary(), nullable=True),
        sa.Column('logo_sha256', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_business_brands_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_business_brands')),
    )


def downgrade() -> None:
    op.drop_table('business_brands')
