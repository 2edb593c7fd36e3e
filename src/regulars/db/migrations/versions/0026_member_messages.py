"""messages to members: templates, settings, caps, levels seen, campaigns and their recipients

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 09:45:00
Templates per event and language with the tenant's own wording; a tenant's message settings
(channel, quiet hours, frequency cap, the secret that signs unsubscribe links); each member's count of marketing messages per cap period; the level last told to
each member; campaigns to a segment with their recipients (control group included). The
outbox's rows name their member, event, kind and campaign (new nullable columns, no rebuild).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('message_settings',
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('quiet_from_minute', sa.Integer(), nullable=True),
    sa.Column('quiet_until_minute', sa.Integer(), nullable=True),
    sa.Column('cap_messages', sa.Integer(), nullable=False),
    sa.Column('cap_period_days', sa.Integer(), nullable=False),
    sa.Column('points_earned', sa.Boolean(), nullable=False),
    sa.Column('expiring_days', sa.Integer(), nullable=False),
    sa.Column('winback_days', sa.Integer(), nullable=False),
    sa.Column('link_secret', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_message_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_message_settings'))
    )
    op.create_table('message_templates',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_message_templates_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    sa.UniqueConstraint('tenant_id', 'event', 'language', name=op.f('uq_message_templates_tenant_id_event_language'))
    )
    op.create_table('campaigns',
    sa.Column('id', Id, nullable=False),
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('segment_id', Id, nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('control_percent', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=32), nullable=False),
    sa.Column('repeat_days', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_campaigns_segment_id_segments')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_campaigns_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_index(op.f('ix_campaigns_tenant_id_status_next_run_at'), 'campaigns', ['tenant_id', 'status', 'next_run_at'], unique=False)
    op.create_table('campaign_recipients',
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('campaign_id', Id, nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('member_id', Id, nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_recipients_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_campaign_recipients_member_id_members')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_campaign_recipients_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'campaign_id', 'run', 'member_id', name=op.f('pk_campaign_recipients'))
    )
    op.create_table('member_levels_seen',
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('member_id', Id, nullable=False),
    sa.Column('level_code', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_levels_seen_member_id_members')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_member_levels_seen_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'member_id', name=op.f('pk_member_levels_seen'))
    )
    op.create_table('message_caps',
    sa.Column('tenant_id', Id, nullable=False),
    sa.Column('member_id', Id, nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_message_caps_member_id_members')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_message_caps_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'member_id', 'period_start', name=op.f('pk_message_caps'))
    )
    op.add_column('outbox_messages', sa.Column('member_id', Id, nullable=True))
    op.add_column('outbox_messages', sa.Column('event', sa.String(length=20), nullable=True))
    op.add_column('outbox_messages', sa.Column('kind', sa.String(length=15), nullable=True))
    op.add_column('outbox_messages', sa.Column('campaign_id', Id, nullable=True))
    op.create_index(op.f('ix_outbox_messages_tenant_id_campaign_id_status'), 'outbox_messages', ['tenant_id', 'campaign_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_messages_tenant_id_campaign_id_status'), table_name='outbox_messages')
    op.drop_column('outbox_messages', 'campaign_id')
    op.drop_column('outbox_messages', 'kind')
    op.drop_column('outbox_messages', 'event')
    op.drop_column('outbox_messages', 'member_id')
    op.drop_table('message_caps')
    op.drop_table('member_levels_seen')
    op.drop_table('campaign_recipients')
    op.drop_index(op.f('ix_campaigns_tenant_id_status_next_run_at'), table_name='campaigns')
    op.drop_table('campaigns')
    op.drop_table('message_templates')
    op.drop_table('message_settings')
