"""coupons issued by promotions, referral chains

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 10:30:00
issued_coupons records each code a promotion issued to a member at commit; referrals keep the
points of the upper levels of the chain as linked, the first purchase that settled them and
when a full refund of it reversed them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_points', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('receipt_id', Id, nullable=True))
        batch_op.add_column(sa.Column('reversed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key(op.f('fk_referrals_receipt_id_receipts'), 'receipts',
                                    ['receipt_id'], ['id'])
    op.create_table(
        'issued_coupons',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('receipt_id', Id, nullable=False),
        sa.Column('promotion_id', Id, nullable=False),
        sa.Column('series_id', Id, nullable=False),
        sa.Column('code_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
        _fk('issued_coupons', 'tenant_id', 'tenants'),
        _fk('issued_coupons', 'receipt_id', 'receipts'),
        _fk('issued_coupons', 'promotion_id', 'promotions'),
        _fk('issued_coupons', 'series_id', 'coupon_series'),
        _fk('issued_coupons', 'code_id', 'coupon_codes'),
        _fk('issued_coupons', 'member_id', 'members'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_coupons')),
        sa.UniqueConstraint(
            'tenant_id', 'receipt_id', 'promotion_id', 'series_id',
            name=op.f('uq_issued_coupons_tenant_id_receipt_id_promotion_id_series_id')),
    )
    op.create_index(op.f('ix_issued_coupons_tenant_id_member_id'), 'issued_coupons',
                    ['tenant_id', 'member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_issued_coupons_tenant_id_member_id'), table_name='issued_coupons')
    op.drop_table('issued_coupons')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_referrals_receipt_id_receipts'), type_='foreignkey')
        batch_op.drop_column('reversed_at')
        batch_op.drop_column('receipt_id')
        batch_op.drop_column('chain_points')
