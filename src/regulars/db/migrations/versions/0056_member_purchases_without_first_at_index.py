"""member_purchases loses its index on (tenant_id, first_at)

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-07 03:00:00

No query reads ``member_purchases`` by ``first_at`` since the member figures became sums of
the member counts per day (``purchase_gaps``, ``repeat_gaps``): the rows are read and
written by (tenant_id, member_id), which their unique constraint indexes. The index only
cost every first purchase of a member, and every change of a first purchase, one more write.
The downgrade builds it again.
"""

from __future__ import annotations

from alembic import op

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member_purchases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_purchases_tenant_id_first_at"))


def downgrade() -> None:
    with op.batch_alter_table("member_purchases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_purchases_tenant_id_first_at"),
            ["tenant_id", "first_at"],
            unique=False,
        )
