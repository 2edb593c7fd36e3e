"""events: index only the events still to fan out

Revision ID: 0068
Revises: 0065
Create Date: 2026-12-07 17:00:00

The index on (tenant_id, dispatched_at) answered one query, the webhooks job's look-up of the
events not yet fanned out (``dispatched_at IS NULL``, oldest first). A partial index on
(tenant_id, id) where ``dispatched_at IS NULL`` answers it in the order asked, holds only the
events still to fan out, and gets no entry when the job marks an event dispatched (that update
wrote an entry in every index of events, this one included). The downgrade builds the old
index again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0068"
down_revision = "0065"
branch_labels = None
depends_on = None

UNDISPATCHED = sa.text("dispatched_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_tenant_id_dispatched_at"))
        batch_op.create_index("ix_events_undispatched", ["tenant_id", "id"], unique=False,
                              postgresql_where=UNDISPATCHED, sqlite_where=UNDISPATCHED)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_undispatched")
        batch_op.create_index(batch_op.f("ix_events_tenant_id_dispatched_at"),
                              ["tenant_id", "dispatched_at"], unique=False)
