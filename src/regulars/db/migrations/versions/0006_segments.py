"""segments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:30:00
Saved member segments; receipt_promotions learn the budget bucket their spend counted in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'segments',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('rules', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_segments_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
    )
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segments_tenant_id_id'), ['tenant_id', 'id'],
                              unique=False)
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bucket', sa.String(length=10), server_default='mass',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('receipt_promotions', schema=None) as batch_op:
        batch_op.drop_column('bucket')
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segments_tenant_id_id'))
    op.drop_table('segments')
