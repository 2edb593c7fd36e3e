"""control groups

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 09:45:00
Each promotion gets the seed that assigns members to its control group (existing promotions
get a fresh one); promotion_groups records the group a member fell in at commit.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # Added with an empty default so that existing rows are valid, then each gets its own
    # seed. SQLite cannot drop a column default without rebuilding the table; the code always
    # writes a seed, so the leftover default there is never used.
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('control_seed', sa.String(length=64), server_default='',
                                      nullable=False))
    promotions = sa.table('promotions', sa.column('id', Id),
                          sa.column('control_seed', sa.String(64)))
    conn = op.get_bind()
    for (promotion_id,) in conn.execute(sa.select(promotions.c.id)).all():
        conn.execute(sa.update(promotions).where(promotions.c.id == promotion_id).values(
            control_seed=secrets.token_hex(16)))
    if conn.dialect.name == 'postgresql':
        op.alter_column('promotions', 'control_seed', server_default=None)
    op.create_table(
        'promotion_groups',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('promotion_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('group', sa.String(length=10), nullable=False),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('"group" in (\'test\', \'control\')',
                           name=op.f('ck_promotion_groups_group')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_promotion_groups_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'],
                                name=op.f('fk_promotion_groups_promotion_id_promotions')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_promotion_groups_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_groups')),
        sa.UniqueConstraint('tenant_id', 'promotion_id', 'member_id',
                            name=op.f('uq_promotion_groups_tenant_id_promotion_id_member_id')),
    )


def downgrade() -> None:
    op.drop_table('promotion_groups')
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_column('control_seed')
