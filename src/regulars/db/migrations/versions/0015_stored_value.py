"""stored value: gift certificate series, certificates and the tenders that paid receipts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:30:00
Each certificate is a money account on the ledger (an account with neither member nor system
code) whose code is kept only as a keyed digest; receipt_tenders records what each
certificate or wallet paid of a receipt, so that refunds return it once. Every tenant gets its
system accounts of money in its currency (``money:<currency>``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SYSTEM_CODES = ('issued', 'redeemed', 'expired', 'adjusted')


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def _series() -> None:
    op.create_table(
        'certificate_series',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('nominal_values_minor', sa.JSON(), nullable=False),
        sa.Column('min_minor', sa.BigInteger(), nullable=True),
        sa.Column('max_minor', sa.BigInteger(), nullable=True),
        sa.Column('valid_days', sa.Integer(), nullable=False),
        sa.Column('store_ids', sa.JSON(), nullable=False),
        sa.Column('multi_use', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _tenant_fk('certificate_series'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_series')),
    )
    with op.batch_alter_table('certificate_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_series_tenant_id_id'),
                              ['tenant_id', 'id'], unique=False)


def _certificates() -> None:
    op.create_table(
        'certificates',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('series_id', Id, nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('code_hint', sa.String(length=4), nullable=False),
        sa.Column('link_hash', sa.String(length=64), nullable=False),
        sa.Column('account_id', Id, nullable=False),
        sa.Column('nominal_minor', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('uses', sa.Integer(), server_default='0', nullable=False),
        sa.Column('order_ref', sa.String(length=64), nullable=True),
        sa.Column('sale_receipt_id', Id, nullable=True),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('active', 'pending', 'blocked', 'void')",
                           name=op.f('ck_certificates_status')),
        sa.CheckConstraint('uses >= 0', name=op.f('ck_certificates_uses_nonneg')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_certificates_account_id_accounts')),
        sa.ForeignKeyConstraint(['sale_receipt_id'], ['receipts.id'],
                                name=op.f('fk_certificates_sale_receipt_id_receipts')),
        sa.ForeignKeyConstraint(['series_id'], ['certificate_series.id'],
                                name=op.f('fk_certificates_series_id_certificate_series')),
        _tenant_fk('certificates'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
        sa.UniqueConstraint('tenant_id', 'account_id',
                            name=op.f('uq_certificates_tenant_id_account_id')),
        sa.UniqueConstraint('tenant_id', 'code_hash',
                            name=op.f('uq_certificates_tenant_id_code_hash')),
        sa.UniqueConstraint('tenant_id', 'link_hash',
                            name=op.f('uq_certificates_tenant_id_link_hash')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_tenant_id_series_id'),
                              ['tenant_id', 'series_id'], unique=False)


def _tenders() -> None:
    op.create_table(
        'receipt_tenders',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('receipt_id', Id, nullable=False),
        sa.Column('tender_no', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('account_id', Id, nullable=False),
        sa.Column('certificate_id', Id, nullable=True),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('returned_minor', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('entry_id', Id, nullable=False),
        sa.CheckConstraint('amount_minor > 0', name=op.f('ck_receipt_tenders_positive')),
        sa.CheckConstraint('returned_minor >= 0 and returned_minor <= amount_minor',
                           name=op.f('ck_receipt_tenders_returned_range')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_receipt_tenders_account_id_accounts')),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                                name=op.f('fk_receipt_tenders_certificate_id_certificates')),
        sa.ForeignKeyConstraint(['entry_id'], ['entries.id'],
                                name=op.f('fk_receipt_tenders_entry_id_entries')),
        sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'],
                                name=op.f('fk_receipt_tenders_receipt_id_receipts')),
        _tenant_fk('receipt_tenders'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_tenders')),
        sa.UniqueConstraint('tenant_id', 'receipt_id', 'tender_no',
                            name=op.f('uq_receipt_tenders_tenant_id_receipt_id_tender_no')),
    )


def upgrade() -> None:
    _series()
    _certificates()
    _tenders()
    conn = op.get_bind()
    for tenant_id, currency in conn.execute(sa.text('SELECT id, currency FROM tenants')).all():
        asset = f'money:{currency}'
        have = conn.execute(sa.text(
            'SELECT count(*) FROM accounts WHERE tenant_id = :t AND asset = :a '
            'AND system_code IS NOT NULL'), {'t': tenant_id, 'a': asset}).scalar_one()
        if not have:
            conn.execute(sa.text(
                'INSERT INTO accounts (tenant_id, system_code, asset, balance, held, debt) '
                'VALUES (:t, :c, :a, 0, 0, 0)'),
                [{'t': tenant_id, 'c': code, 'a': asset} for code in SYSTEM_CODES])


def downgrade() -> None:
    conn = op.get_bind()
    # Only money accounts without postings go: a ledger that used them keeps its history.
    conn.execute(sa.text(
        "DELETE FROM accounts WHERE asset LIKE 'money:%' AND system_code IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM postings p WHERE p.account_id = accounts.id)"))
    op.drop_table('receipt_tenders')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_tenant_id_series_id'))
    op.drop_table('certificates')
    with op.batch_alter_table('certificate_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_series_tenant_id_id'))
    op.drop_table('certificate_series')
