"""coupons

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:30:00
Coupon series and their codes (stored as HMAC digests under a per-tenant secret), holds of a
use by a till's quote, uses per receipt, and wrong-code attempts per till for the rate limit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _tenant() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column('tenant_id', Id, nullable=False)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    op.create_table(
        'coupon_secrets',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _tenant_fk('coupon_secrets'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_secrets')),
        sa.UniqueConstraint('tenant_id', name=op.f('uq_coupon_secrets_tenant_id')),
    )
    op.create_table(
        'coupon_series',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('effect', sa.JSON(), nullable=False),
        sa.Column('max_uses', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('max_uses >= 1', name=op.f('ck_coupon_series_max_uses')),
        _tenant_fk('coupon_series'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_series')),
    )
    op.create_index(op.f('ix_coupon_series_tenant_id_id'), 'coupon_series',
                    ['tenant_id', 'id'], unique=False)
    op.create_table(
        'coupon_codes',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('series_id', Id, nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('member_id', Id, nullable=True),
        sa.Column('uses', sa.Integer(), nullable=False),
        sa.Column('max_uses', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('uses >= 0 AND uses <= max_uses', name=op.f('ck_coupon_codes_uses')),
        _fk('coupon_codes', 'series_id', 'coupon_series'),
        _fk('coupon_codes', 'member_id', 'members'),
        _tenant_fk('coupon_codes'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_codes')),
        sa.UniqueConstraint('tenant_id', 'code_hash',
                            name=op.f('uq_coupon_codes_tenant_id_code_hash')),
    )
    op.create_index(op.f('ix_coupon_codes_tenant_id_series_id'), 'coupon_codes',
                    ['tenant_id', 'series_id'], unique=False)
    op.create_table(
        'coupon_holds',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('code_id', Id, nullable=False),
        sa.Column('terminal_id', Id, nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        _fk('coupon_holds', 'code_id', 'coupon_codes'),
        _fk('coupon_holds', 'terminal_id', 'terminals'),
        _tenant_fk('coupon_holds'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_holds')),
    )
    op.create_index(op.f('ix_coupon_holds_tenant_id_code_id'), 'coupon_holds',
                    ['tenant_id', 'code_id'], unique=False)
    op.create_table(
        'coupon_uses',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('receipt_id', Id, nullable=False),
        sa.Column('code_id', Id, nullable=False),
        sa.Column('series_id', Id, nullable=False),
        sa.Column('discount_minor', sa.BigInteger(), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
        _fk('coupon_uses', 'receipt_id', 'receipts'),
        _fk('coupon_uses', 'code_id', 'coupon_codes'),
        _fk('coupon_uses', 'series_id', 'coupon_series'),
        _tenant_fk('coupon_uses'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_uses')),
        sa.UniqueConstraint('tenant_id', 'receipt_id', 'code_id',
                            name=op.f('uq_coupon_uses_tenant_id_receipt_id_code_id')),
    )
    op.create_table(
        'coupon_attempts',
        sa.Column('id', Id, nullable=False),
        _tenant(),
        sa.Column('terminal_id', Id, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        _fk('coupon_attempts', 'terminal_id', 'terminals'),
        _tenant_fk('coupon_attempts'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_attempts')),
    )
    op.create_index(op.f('ix_coupon_attempts_tenant_id_terminal_id_at'), 'coupon_attempts',
                    ['tenant_id', 'terminal_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_coupon_attempts_tenant_id_terminal_id_at'),
                  table_name='coupon_attempts')
    op.drop_table('coupon_attempts')
    op.drop_table('coupon_uses')
    op.drop_index(op.f('ix_coupon_holds_tenant_id_code_id'), table_name='coupon_holds')
    op.drop_table('coupon_holds')
    op.drop_index(op.f('ix_coupon_codes_tenant_id_series_id'), table_name='coupon_codes')
    op.drop_table('coupon_codes')
    op.drop_index(op.f('ix_coupon_series_tenant_id_id'), table_name='coupon_series')
    op.drop_table('coupon_series')
    op.drop_table('coupon_secrets')
