"""fraud flags: how a receipt's member was identified, staff phones, scan settings and flags

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06 06:00:00
The own-card fraud scan scores (cashier, member) pairs. Receipts record whether the till
scanned or typed the member's identifier (null: not said, as for every receipt before);
staff get an optional phone, to find members who share it; each business may keep its own
scan thresholds; flagged pairs are kept with their evidence and a manager's decision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # A plain ADD COLUMN with the check on the column: rebuilding receipts (a batch) is
        # refused while other tables reference it.
        op.add_column('receipts', sa.Column(
            'identified_by', sa.String(length=10),
            sa.CheckConstraint("identified_by in ('scanned', 'typed')",
                               name=op.f('ck_receipts_identified_by')), nullable=True))
    else:
        with op.batch_alter_table('receipts', schema=None) as batch_op:
            batch_op.add_column(sa.Column('identified_by', sa.String(length=10),
                                          nullable=True))
            batch_op.create_check_constraint(op.f('ck_receipts_identified_by'),
                                             "identified_by in ('scanned', 'typed')")
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
    op.create_table(
        'fraud_settings',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('flag_score', sa.Integer(), nullable=False),
        sa.Column('min_pair_receipts', sa.Integer(), nullable=False),
        sa.Column('burst_window_minutes', sa.Integer(), nullable=False),
        sa.Column('burst_receipts', sa.Integer(), nullable=False),
        sa.Column('typed_share_percent', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        _tenant_fk('fraud_settings'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_settings')),
        sa.UniqueConstraint('tenant_id', name=op.f('uq_fraud_settings_tenant_id')),
    )
    op.create_table(
        'fraud_flags',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('receipts', sa.Integer(), nullable=False),
        sa.Column('signals', sa.JSON(), nullable=False),
        sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by_staff_id', Id, nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('open', 'dismissed', 'confirmed')",
                           name=op.f('ck_fraud_flags_status')),
        sa.ForeignKeyConstraint(['decided_by_staff_id'], ['staff.id'],
                                name=op.f('fk_fraud_flags_decided_by_staff_id_staff')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_fraud_flags_member_id_members')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'],
                                name=op.f('fk_fraud_flags_staff_id_staff')),
        _tenant_fk('fraud_flags'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_flags')),
        sa.UniqueConstraint('tenant_id', 'staff_id', 'member_id',
                            name=op.f('uq_fraud_flags_tenant_id_staff_id_member_id')),
    )
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fraud_flags_tenant_id_status_score'),
                              ['tenant_id', 'status', 'score'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fraud_flags_tenant_id_status_score'))
    op.drop_table('fraud_flags')
    op.drop_table('fraud_settings')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('phone')
    if op.get_bind().dialect.name == 'sqlite':
        # Its check belongs to the column, so SQLite drops both without rebuilding receipts.
        op.execute('ALTER TABLE receipts DROP COLUMN identified_by')
        return
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_receipts_identified_by'), type_='check')
        batch_op.drop_column('identified_by')
