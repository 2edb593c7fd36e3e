"""the staff member who enrolled a member (at the till or in the console), for enrolments
per cashier

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06 16:40:00

No foreign key: on SQLite adding one copies ``members``, which other tables' keys refer to;
the service checks the staff member is the tenant's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('members', sa.Column('staff_id', Id, nullable=True))


def downgrade() -> None:
    # Not a batch: on SQLite that copies ``members``, which other tables' keys refer to.
    op.execute('ALTER TABLE members DROP COLUMN staff_id')
