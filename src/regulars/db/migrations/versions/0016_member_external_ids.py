"""members: the business's own customer id

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 06:00:00

Imports match members by phone, card or the id the business's own systems give a customer
(``external_id``, unique per tenant when present). Imported receipts need no column of their
own: they are written under a till of each business reserved for imported history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_members_tenant_id_external_id'),
                              ['tenant_id', 'external_id'], unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_members_tenant_id_external_id'), table_name='members')
    # Not a batch: on SQLite that copies ``members``, which other tables' keys refer to.
    op.execute('ALTER TABLE members DROP COLUMN external_id')
