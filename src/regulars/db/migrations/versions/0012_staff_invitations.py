"""staff_invitations: single-use links to set a console password

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:00:00
Every business's owner (and each invited staff member) sets their password through a link
printed by ``regulars tenant create`` or returned once by the admin API; the table keeps only
the SHA-256 of each link's token, when it expires and when it was used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'staff_invitations',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'],
                                name=op.f('fk_staff_invitations_staff_id_staff')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_staff_invitations_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_invitations_token_hash')),
    )
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_invitations_tenant_id_staff_id'),
                              ['tenant_id', 'staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_invitations_tenant_id_staff_id'))
    op.drop_table('staff_invitations')
