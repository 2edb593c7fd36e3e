"""a scenario run keeps a heartbeat: a run that has shown no sign of life for a while (its
process died) is shown as failed, to be run again

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('scenario_runs', sa.Column('heartbeat_at', sa.DateTime(timezone=True),
                                                nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scenario_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
