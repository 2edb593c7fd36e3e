"""idempotency: a key belongs to the till that sent it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:00:00

Two tills of one business could send the same Idempotency-Key (each numbers its own requests)
and the second got the first one's answer back. Keys are now unique per till: ``terminal_id``
is the till that sent the key, 0 for a caller that is no till (an owner key, the console).
Existing keys keep 0: they were sent before the change and stay answered as they were.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('idempotency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terminal_id', Id, server_default='0', nullable=False))
        batch_op.drop_constraint('uq_idempotency_tenant_id_scope_key', type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_idempotency_tenant_id_scope_terminal_id_key'),
            ['tenant_id', 'scope', 'terminal_id', 'key'])


def downgrade() -> None:
    with op.batch_alter_table('idempotency', schema=None) as batch_op:
        batch_op.drop_constraint('uq_idempotency_tenant_id_scope_terminal_id_key',
                                 type_='unique')
        batch_op.create_unique_constraint('uq_idempotency_tenant_id_scope_key',
                                          ['tenant_id', 'scope', 'key'])
        batch_op.drop_column('terminal_id')
