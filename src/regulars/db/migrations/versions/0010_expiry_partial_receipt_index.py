"""entries: index receipt_id only where there is one

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 13:00:00
Entries without a receipt (expire, welcome, adjust, birthday ...) no longer get a row in the
(tenant_id, receipt_id) index: every look-up by receipt names one, so the partial index answers
the same queries, and a bulk expiry run inserts into three indexes of entries instead of four.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = 'ix_entries_tenant_id_receipt_id'
HAS_RECEIPT = sa.text('receipt_id IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_index(INDEX, ['tenant_id', 'receipt_id'], unique=False,
                              postgresql_where=HAS_RECEIPT, sqlite_where=HAS_RECEIPT)


def downgrade() -> None:
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_index(INDEX, ['tenant_id', 'receipt_id'], unique=False)
