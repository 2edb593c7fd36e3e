"""experiments and the programme holdout

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 10:00:00

An experiment tests two or more promotions (its variants) against each other: each member is
assigned one by a hash under the tenant's secret and gets only that one at checkout. The
holdout is a share of members who get no marketing promotions, so that the whole marketing
effort's uplift can be measured.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'experiments',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('running', 'stopped')",
                           name=op.f('ck_experiments_status')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_experiments_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_experiments')),
    )
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiments_tenant_id_status'),
                              ['tenant_id', 'status'], unique=False)
    op.create_table(
        'experiment_variants',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('experiment_id', Id, nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('promotion_id', Id, nullable=False),
        sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'],
                                name=op.f('fk_experiment_variants_experiment_id_experiments')),
        sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'],
                                name=op.f('fk_experiment_variants_promotion_id_promotions')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_experiment_variants_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_variants')),
        sa.UniqueConstraint('tenant_id', 'experiment_id', 'position',
                            name=op.f('uq_experiment_variants_tenant_id_experiment_id_position')),
        sa.UniqueConstraint('tenant_id', 'promotion_id',
                            name=op.f('uq_experiment_variants_tenant_id_promotion_id')),
    )
    op.create_table(
        'holdouts',
        sa.Column('id', Id, nullable=False),
        sa.Column('tenant_id', Id, nullable=False),
        sa.Column('share_bp', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('share_bp >= 0 AND share_bp <= 5000',
                           name=op.f('ck_holdouts_share_bp')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_holdouts_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_holdouts')),
        sa.UniqueConstraint('tenant_id', name=op.f('uq_holdouts_tenant_id')),
    )


def downgrade() -> None:
    op.drop_table('holdouts')
    op.drop_table('experiment_variants')
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiments_tenant_id_status'))
    op.drop_table('experiments')
