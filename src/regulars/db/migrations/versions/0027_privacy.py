"""privacy: erased members, one-time codes by a keyed phone hash, data retention settings

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 10:00:00
A member whose personal data was erased keeps their row as an anonymous shell
(``members.erased_at``). One-time-code rows keep a keyed hash of the phone number instead of
the number; codes live minutes, so the rows issued before this revision are dropped rather
than rehashed (the key is not in the database). Each business sets how long one-time-code rows
and stored answers to keyed requests are kept (``data_retention``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('members', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))

    op.execute('DELETE FROM otp_codes')
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_otp_codes_tenant_id_phone_created_at')
        batch_op.drop_column('phone')
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=False))
        batch_op.create_index(batch_op.f('ix_otp_codes_tenant_id_phone_hash_created_at'),
                              ['tenant_id', 'phone_hash', 'created_at'], unique=False)

    op.create_table(
        'data_retention',
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('otp_days', sa.Integer(), nullable=False),
        sa.Column('idempotency_days', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_data_retention_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_data_retention')),
    )
    # The retention job deletes the oldest stored answers first, across scopes and tills.
    with op.batch_alter_table('idempotency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_tenant_id_created_at'),
                              ['tenant_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_tenant_id_created_at'))
    op.drop_table('data_retention')
    op.execute('DELETE FROM otp_codes')
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_otp_codes_tenant_id_phone_hash_created_at'))
        batch_op.drop_column('phone_hash')
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=False))
        batch_op.create_index('ix_otp_codes_tenant_id_phone_created_at',
                              ['tenant_id', 'phone', 'created_at'], unique=False)
    # Not a batch: on SQLite that copies ``members``, which other tables' keys refer to.
    op.execute('ALTER TABLE members DROP COLUMN erased_at')
