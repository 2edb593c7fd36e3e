"""stamp cards, receipt stamps, wallet settings and passes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 09:31:24
Each business may run stamp cards ("buy 9, the 10th is free"): their definitions
(stamp_cards; the stamps themselves are the ledger asset stamps:<card id>, whose system
accounts are opened with the card) and what each receipt did to each card (receipt_stamps),
so that refunds take back the stamps they added. Wallet passes: each business's pass
credentials (pass_settings, never returned by any answer) and the pass issued to each member
(wallet_passes: serial and the digest of its web service token).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stamp_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('skus', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('per_visit', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('per_card', sa.Integer(), nullable=False),
    sa.Column('reward', sa.String(length=20), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('grant_at', sa.String(length=20), nullable=False),
    sa.Column('expiry_days', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("grant_at in ('completing', 'next')", name=op.f('ck_stamp_cards_grant_at')),
    sa.CheckConstraint("reward in ('free_item', 'discount')", name=op.f('ck_stamp_cards_reward')),
    sa.CheckConstraint('discount_minor >= 0', name=op.f('ck_stamp_cards_discount_minor')),
    sa.CheckConstraint('per_card >= 2', name=op.f('ck_stamp_cards_per_card')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stamp_cards_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stamp_cards')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_stamp_cards_tenant_id_name'))
    )
    with op.batch_alter_table('stamp_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stamp_cards_tenant_id_active'), ['tenant_id', 'active'], unique=False)

    op.create_table('pass_settings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('apple_pass_type_id', sa.String(length=200), nullable=True),
    sa.Column('apple_team_id', sa.String(length=20), nullable=True),
    sa.Column('apple_certificate_pem', sa.Text(), nullable=True),
    sa.Column('apple_key_pem', sa.Text(), nullable=True),
    sa.Column('apple_wwdr_pem', sa.Text(), nullable=True),
    sa.Column('google_issuer_id', sa.String(length=40), nullable=True),
    sa.Column('google_service_email', sa.String(length=200), nullable=True),
    sa.Column('google_key_pem', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_pass_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_settings')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_pass_settings_tenant_id'))
    )
    op.create_table('wallet_passes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_wallet_passes_member_id_members')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_wallet_passes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_passes')),
    sa.UniqueConstraint('tenant_id', 'member_id', name=op.f('uq_wallet_passes_tenant_id_member_id')),
    sa.UniqueConstraint('tenant_id', 'serial', name=op.f('uq_wallet_passes_tenant_id_serial'))
    )
    op.create_table('receipt_stamps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('added_by_line', sa.JSON(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('spent', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), nullable=False),
    sa.Column('reversed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('forgiven', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['stamp_cards.id'], name=op.f('fk_receipt_stamps_card_id_stamp_cards')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_receipt_stamps_member_id_members')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_receipt_stamps_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_receipt_stamps_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_stamps')),
    sa.UniqueConstraint('tenant_id', 'receipt_id', 'card_id', name=op.f('uq_receipt_stamps_tenant_id_receipt_id_card_id'))
    )


def downgrade() -> None:
    op.drop_table('receipt_stamps')
    op.drop_table('wallet_passes')
    op.drop_table('pass_settings')
    with op.batch_alter_table('stamp_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stamp_cards_tenant_id_active'))

    op.drop_table('stamp_cards')
