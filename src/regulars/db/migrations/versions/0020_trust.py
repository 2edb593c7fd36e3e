"""trust: API key scopes, the audit log, and the unused staff lock columns dropped

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 06:20:00
Every key made before has the scope ``admin`` (what it could do); till keys get ``pos``. The
audit log starts empty. ``staff.sign_in_attempts`` and ``staff.locked_since`` are no longer
used (sign-in failures are throttled per client and account, not by locking the account).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=100), server_default='admin',
                                      nullable=False))
    op.execute("UPDATE api_keys SET scopes = 'pos' WHERE kind = 'till'")
    op.create_table(
        'audit_log',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('seq', Id, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_kind', sa.String(length=10), nullable=False),
        sa.Column('actor_id', Id, nullable=True),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_audit_log_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
        sa.UniqueConstraint('tenant_id', 'seq', name=op.f('uq_audit_log_tenant_id_seq')),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_tenant_id_at'), ['tenant_id', 'at'],
                              unique=False)
    op.create_table(
        'audit_heads',
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('seq', Id, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_audit_heads')),
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('locked_since')
        batch_op.drop_column('sign_in_attempts')


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_attempts', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('locked_since', sa.DateTime(timezone=True),
                                      nullable=True))
    op.drop_table('audit_heads')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_tenant_id_at'))
    op.drop_table('audit_log')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('scopes')
