"""prepaid goods accounts: products sold as goods, accounts, purchase lots, goods tenders

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 10:00:00

A product sold in advance ("100 l of A-95", "10 coffees") is its own ledger asset
(``goods:<product id>``) with its unit (goods_products). A goods account is a ledger account of
that asset held by a member or a bearer card whose number is kept only as a keyed digest
(goods_accounts); each top-up is a purchase lot with what was paid and, if locked, the unit
price of the day (goods_purchases); a goods tender records what it took of each line of a
receipt and what refunds gave back (goods_tenders).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'))


def _products() -> None:
    op.create_table(
        'goods_products',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('product_id', Id, nullable=False),
        sa.Column('unit', sa.String(length=12), nullable=False),
        sa.Column('asset', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _fk('goods_products', 'product_id', 'products'),
        _fk('goods_products', 'tenant_id', 'tenants'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_products')),
        sa.UniqueConstraint('tenant_id', 'asset', name=op.f('uq_goods_products_tenant_id_asset')),
        sa.UniqueConstraint('tenant_id', 'product_id',
                            name=op.f('uq_goods_products_tenant_id_product_id')),
    )


def _accounts() -> None:
    op.create_table(
        'goods_accounts',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('goods_product_id', Id, nullable=False),
        sa.Column('account_id', Id, nullable=False),
        sa.Column('member_id', Id, nullable=True),
        sa.Column('card_hash', sa.String(length=64), nullable=True),
        sa.Column('card_hint', sa.String(length=4), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('active', 'blocked')",
                           name=op.f('ck_goods_accounts_status')),
        sa.CheckConstraint('(member_id is null) <> (card_hash is null)',
                           name=op.f('ck_goods_accounts_holder')),
        _fk('goods_accounts', 'account_id', 'accounts'),
        _fk('goods_accounts', 'goods_product_id', 'goods_products'),
        _fk('goods_accounts', 'member_id', 'members'),
        _fk('goods_accounts', 'tenant_id', 'tenants'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_accounts')),
        sa.UniqueConstraint('tenant_id', 'account_id',
                            name=op.f('uq_goods_accounts_tenant_id_account_id')),
        sa.UniqueConstraint('tenant_id', 'card_hash',
                            name=op.f('uq_goods_accounts_tenant_id_card_hash')),
        sa.UniqueConstraint('tenant_id', 'member_id', 'goods_product_id',
                            name=op.f('uq_goods_accounts_tenant_id_member_id_goods_product_id')),
    )


def _purchases() -> None:
    op.create_table(
        'goods_purchases',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('goods_account_id', Id, nullable=False),
        sa.Column('entry_id', Id, nullable=False),
        sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
        sa.Column('paid_minor', sa.BigInteger(), nullable=False),
        sa.Column('unit_price_minor', sa.BigInteger(), nullable=True),
        sa.Column('receipt_id', Id, nullable=True),
        sa.Column('purchased_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_goods_purchases_positive')),
        _fk('goods_purchases', 'entry_id', 'entries'),
        _fk('goods_purchases', 'goods_account_id', 'goods_accounts'),
        _fk('goods_purchases', 'receipt_id', 'receipts'),
        _fk('goods_purchases', 'tenant_id', 'tenants'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_purchases')),
        sa.UniqueConstraint('tenant_id', 'entry_id',
                            name=op.f('uq_goods_purchases_tenant_id_entry_id')),
    )
    with op.batch_alter_table('goods_purchases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_purchases_tenant_id_goods_account_id'),
                              ['tenant_id', 'goods_account_id'], unique=False)


def _tenders() -> None:
    op.create_table(
        'goods_tenders',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('receipt_id', Id, nullable=False),
        sa.Column('tender_no', sa.Integer(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('goods_account_id', Id, nullable=False),
        sa.Column('line_quantity_milli', sa.BigInteger(), nullable=False),
        sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('returned_milli', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('returned_minor', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('entry_id', Id, nullable=False),
        sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_goods_tenders_positive')),
        sa.CheckConstraint('returned_milli >= 0 and returned_milli <= quantity_milli',
                           name=op.f('ck_goods_tenders_returned_range')),
        _fk('goods_tenders', 'entry_id', 'entries'),
        _fk('goods_tenders', 'goods_account_id', 'goods_accounts'),
        _fk('goods_tenders', 'receipt_id', 'receipts'),
        _fk('goods_tenders', 'tenant_id', 'tenants'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_tenders')),
        sa.UniqueConstraint(
            'tenant_id', 'receipt_id', 'tender_no', 'line_no',
            name=op.f('uq_goods_tenders_tenant_id_receipt_id_tender_no_line_no')),
    )


def upgrade() -> None:
    _products()
    _accounts()
    _purchases()
    _tenders()


def downgrade() -> None:
    for table in ('goods_tenders', 'goods_purchases', 'goods_accounts', 'goods_products'):
        op.drop_table(table)
