"""program cashback in the base bucket: a receipt's program cashback counted with its points

Revision ID: 0055
Revises: 0053
Create Date: 2026-12-07 02:40:00

``receipt_budgets`` gains ``cashback_minor`` (the program's cashback a commit credited to the
member's wallet) and ``refunded_cashback_minor`` (what refunds took back of it), summed into
the base bucket like the base scheme's points. Receipts committed before count none of it, as
receipts committed before budgets existed count no points. Downgrade drops both columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0055"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('receipt_budgets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cashback_minor', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('refunded_cashback_minor', sa.BigInteger(),
                                      server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('receipt_budgets', schema=None) as batch_op:
        batch_op.drop_column('refunded_cashback_minor')
        batch_op.drop_column('cashback_minor')
