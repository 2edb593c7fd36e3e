"""feedback on visits and the FAQ

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-06 13:30:00
A member may rate a visit (a receipt) 1 to 5 with a comment, once per receipt (feedback:
the receipt's store and cashier are copied for the console's figures; the business's reply
and when it answered). The business keeps its questions and answers per language, in order
(faq_entries).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('feedback',
    sa.Column('id', ID, nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('receipt_id', ID, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('staff_id', ID, nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reply', sa.String(length=1000), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', ID, nullable=True),
    sa.CheckConstraint('rating between 1 and 5', name=op.f('ck_feedback_rating')),
    sa.CheckConstraint("source in ('link', 'page', 'demo')", name=op.f('ck_feedback_source')),
    sa.ForeignKeyConstraint(['answered_by'], ['staff.id'],
                            name=op.f('fk_feedback_answered_by_staff')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                            name=op.f('fk_feedback_member_id_members')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'],
                            name=op.f('fk_feedback_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_feedback_staff_id_staff')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                            name=op.f('fk_feedback_store_id_stores')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                            name=op.f('fk_feedback_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('tenant_id', 'receipt_id', name=op.f('uq_feedback_tenant_id_receipt_id'))
    )
    op.create_index(op.f('ix_feedback_tenant_id_created_at'), 'feedback',
                    ['tenant_id', 'created_at'], unique=False)
    op.create_table('faq_entries',
    sa.Column('id', ID, nullable=False),
    sa.Column('tenant_id', ID, nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('answer', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                            name=op.f('fk_faq_entries_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entries'))
    )
    op.create_index(op.f('ix_faq_entries_tenant_id_language_position'), 'faq_entries',
                    ['tenant_id', 'language', 'position'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_faq_entries_tenant_id_language_position'), table_name='faq_entries')
    op.drop_table('faq_entries')
    op.drop_index(op.f('ix_feedback_tenant_id_created_at'), table_name='feedback')
    op.drop_table('feedback')
