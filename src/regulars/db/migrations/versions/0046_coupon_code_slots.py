"""coupon code slots: what a code has left, split over rows, instead of its one uses counter

Revision ID: 0046
Revises: 0043
Create Date: 2026-12-06 20:00:00

A shared multi-use code counted each use with ``uses + 1`` on its row, and every till taking
the code queued on that row. Its uses are now counted from ``coupon_uses`` (indexed by code
for that) and what it has left lives in ``coupon_code_slots``, made at the code's next use or
hold from the uses and holds there are; ``coupon_codes.uses`` is set to 0 and no longer kept
(the downgrade counts it back from the uses).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coupon_code_slots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('left_uses', sa.Integer(), nullable=False),
    sa.CheckConstraint('left_uses >= 0', name=op.f('ck_coupon_code_slots_left_uses')),
    sa.ForeignKeyConstraint(['code_id'], ['coupon_codes.id'], name=op.f('fk_coupon_code_slots_code_id_coupon_codes')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_coupon_code_slots_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_code_slots')),
    sa.UniqueConstraint('tenant_id', 'code_id', 'slot', name=op.f('uq_coupon_code_slots_tenant_id_code_id_slot'))
    )
    with op.batch_alter_table('coupon_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_uses_tenant_id_code_id'), ['tenant_id', 'code_id'], unique=False)
    op.execute('UPDATE coupon_codes SET uses = 0')


def downgrade() -> None:
    op.execute('UPDATE coupon_codes SET uses = (SELECT count(*) FROM coupon_uses u '
               'WHERE u.code_id = coupon_codes.id AND u.returned_at IS NULL)')
    with op.batch_alter_table('coupon_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_uses_tenant_id_code_id'))
    op.drop_table('coupon_code_slots')
