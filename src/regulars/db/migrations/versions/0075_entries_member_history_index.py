"""entries: index a member's entries by when they happened

Revision ID: 0075
Revises: 0074
Create Date: 2026-12-07 21:10:00

A member's history lists entries newest first by ``occurred_at`` (then id), not in the order
they were written: an import writes old entries late. Without an index in that order a page
of a member with 100,000 entries read all of them and sorted (1,957 buffers on a bench of
1M entries); with it a page reads 54 to 58. ``(tenant_id, member_id, id)`` stays: the latest
entry written (the moment a pass last had a reason to change) reads it.
"""

from __future__ import annotations

from alembic import op

revision = "0075"
down_revision = "0074"
branch_labels = None
depends_on = None

NAME = "ix_entries_tenant_id_member_id_occurred_at_id"


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index(NAME, ["tenant_id", "member_id", "occurred_at", "id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index(NAME)
