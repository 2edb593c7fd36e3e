"""a receipt's promotion row no longer locks the promotion's row

Revision ID: 0070
Revises: 0068
Create Date: 2026-12-07 17:00:00

``receipt_promotions.promotion_id`` loses its foreign key to ``promotions``. PostgreSQL checks
a foreign key by locking the referenced row ``FOR KEY SHARE``, so every commit that applied a
promotion locked that promotion's row: one row shared by every till of a chain-wide
promotion, rewritten (a new MultiXact in its ``xmax``, a WAL record) by each commit, and
waited on by an edit of the promotion and the edit by them. A promotion is never deleted
(it is archived) and a receipt's rows name only promotions the receipt was priced with, read
in the commit's own transaction, so the key guarded nothing the code does not already hold.
The downgrade puts the key back (every row names a promotion, so it validates).
"""

from __future__ import annotations

from alembic import op

revision = "0070"
down_revision = "0068"
branch_labels = None
depends_on = None

KEY = "fk_receipt_promotions_promotion_id_promotions"


def upgrade() -> None:
    with op.batch_alter_table("receipt_promotions", schema=None) as batch_op:
        batch_op.drop_constraint(KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("receipt_promotions", schema=None) as batch_op:
        batch_op.create_foreign_key(KEY, "promotions", ["promotion_id"], ["id"])
