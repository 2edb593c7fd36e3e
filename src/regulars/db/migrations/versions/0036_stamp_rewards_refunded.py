"""a refunded free stamp item gives back the stamps its reward consumed: receipt_stamps keeps
the lines the reward went to, the entry that spent the stamps, and the stamps given back

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('receipt_stamps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rewarded_lines', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('spend_entry_id', sa.BigInteger().with_variant(
            sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('restored', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('receipt_stamps', schema=None) as batch_op:
        batch_op.drop_column('restored')
        batch_op.drop_column('spend_entry_id')
        batch_op.drop_column('rewarded_lines')
