"""scenarios: the simulator's saved what-ifs and their runs

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 09:45:00
A scenario keeps a draft base program and draft promotions (never offered at a till), a
period of past receipts and the payback assumptions; each run replays the period and keeps
its progress and, once done, its figures.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'scenarios',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('program', sa.JSON(), nullable=True),
        sa.Column('promotions', sa.JSON(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('assumptions', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_scenarios_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scenarios')),
    )
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenarios_tenant_id_id'), ['tenant_id', 'id'],
                              unique=False)
    op.create_table(
        'scenario_runs',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('scenario_id', Id, nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('receipts_total', sa.BigInteger(), nullable=False),
        sa.Column('receipts_done', sa.BigInteger(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('detail', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('running', 'done', 'failed')",
                           name=op.f('ck_scenario_runs_status')),
        sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id'],
                                name=op.f('fk_scenario_runs_scenario_id_scenarios')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_scenario_runs_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_runs')),
    )
    with op.batch_alter_table('scenario_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_runs_tenant_id_scenario_id_id'),
                              ['tenant_id', 'scenario_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scenario_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_runs_tenant_id_scenario_id_id'))
    op.drop_table('scenario_runs')
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenarios_tenant_id_id'))
    op.drop_table('scenarios')
