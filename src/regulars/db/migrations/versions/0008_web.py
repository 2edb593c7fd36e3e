"""web: console, terminal and customer page

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 10:17:35
Staff passwords and PINs (argon2) with a lock after repeated wrong ones, staff and member languages, web sessions (cookie token
hashes with their CSRF token) and one-time codes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('otp_codes',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('terminal_id', Id, nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_otp_codes_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_otp_codes_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_codes'))
    )
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_otp_codes_tenant_id_phone_created_at'), ['tenant_id', 'phone', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_otp_codes_tenant_id_terminal_id_created_at'), ['tenant_id', 'terminal_id', 'created_at'], unique=False)

    op.create_table('web_sessions',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('staff_id', Id, nullable=True),
    sa.Column('terminal_id', Id, nullable=True),
    sa.Column('member_id', Id, nullable=True),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind in ('staff', 'till', 'cashier', 'member')", name=op.f('ck_web_sessions_kind')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_web_sessions_member_id_members')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_web_sessions_staff_id_staff')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_web_sessions_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_web_sessions_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_sessions_token_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_tenant_id_staff_id'), ['tenant_id', 'staff_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=20), nullable=True))

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('pin_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('sign_in_attempts', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('locked_since', sa.DateTime(timezone=True),
                                      nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('locked_since')
        batch_op.drop_column('sign_in_attempts')
        batch_op.drop_column('locale')
        batch_op.drop_column('pin_hash')
        batch_op.drop_column('password_hash')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('locale')

    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_tenant_id_staff_id'))

    op.drop_table('web_sessions')
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_otp_codes_tenant_id_terminal_id_created_at'))
        batch_op.drop_index(batch_op.f('ix_otp_codes_tenant_id_phone_created_at'))

    op.drop_table('otp_codes')
