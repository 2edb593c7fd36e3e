"""lots: the partial indexes name a kept ``is_open``, not ``remaining``; room on hot pages

Revision ID: 0074
Revises: 0070
Create Date: 2026-12-07 21:00:00

The three partial indexes of lots (``ix_lots_open``, ``ix_lots_due``, ``ix_lots_pending``)
held only the lots ``WHERE remaining > 0``. A column named by an index's condition counts as
indexed, so every spend from a lot (``remaining`` changes) was an update off the page that
wrote an entry in each of the four indexes, though the lot stayed in them. ``is_open`` is a
stored generated column (``remaining > 0``) that the conditions name instead: a spend that
leaves points in a lot changes no indexed column and is a heap-only update; only the spend
that empties a lot (or a refund that refills an empty one) changes it. Adding the column
rewrites the table once.

accounts, certificates and lots keep a tenth of each page free (``fillfactor`` 90): a commit
moves a member's and a certificate's account balance and counts a certificate's use, and an
update can stay on the page (and write no index entry) only when the page has room for the
row's new version; on packed pages about half of them did not. Pages already written keep
their rows until they are rewritten; lots is rewritten here.

The downgrade restores the indexes on ``remaining > 0``, drops the column and the settings.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0074"
down_revision = "0070"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_lots_open": ["tenant_id", "account_id", "expires_at"],
    "ix_lots_due": ["tenant_id", "expires_at"],
    "ix_lots_pending": ["tenant_id", "account_id", "available_at"],
}
ROOMY = ("accounts", "certificates", "lots")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table in ROOMY:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 90)")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
        # Stored on PostgreSQL (the partial indexes name it), computed when read on SQLite:
        # both add it in place (SQLite adds no stored column to a table, and cannot rebuild
        # lots in a transaction, lot_moves referring to it).
        batch_op.add_column(sa.Column(
            "is_open", sa.Boolean(), sa.Computed("remaining > 0", persisted=postgres or None),
            nullable=False))
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False,
                                  postgresql_where=sa.text("is_open"),
                                  sqlite_where=sa.text("is_open = 1"))


def downgrade() -> None:
    remaining = sa.text("remaining > 0")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
    # In place on SQLite too (a batch would rebuild lots, which SQLite cannot here).
    op.execute("ALTER TABLE lots DROP COLUMN is_open")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False, postgresql_where=remaining,
                                  sqlite_where=remaining)
    if op.get_bind().dialect.name == "postgresql":
        for table in ROOMY:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
