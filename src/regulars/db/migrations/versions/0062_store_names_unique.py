"""a business's stores have different names, whatever their case

Revision ID: 0062
Revises: 0059
Create Date: 2026-12-07 10:00:00

``stores.name_folded`` holds the name as :func:`regulars.domain.tenancy.stores.folded_name`
folds it (in Python: SQLite's ``lower()`` knows ASCII only), and a unique index on
(tenant_id, name_folded) refuses a second store of the same name, also when two requests add
or rename stores at once. A business that already has stores of one name keeps the first
(lowest id) as it is; each later one is renamed "<name> (<code>)" (its code is unique, so the
new names are too) before the index is built. The downgrade drops the index and the column;
the renamed stores keep their new names.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from regulars.domain.tenancy.stores import NAME_MAX_CHARS, folded_name

revision = "0062"
down_revision = "0059"
branch_labels = None
depends_on = None

INDEX = "ix_stores_tenant_id_name_folded"


def _rename_duplicates_and_fold() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, tenant_id, code, name FROM stores ORDER BY id")).all()
    taken: set[tuple[int, str]] = set()
    changes = []
    for row in rows:
        name = str(row.name)
        for suffix in (f" ({row.code})", f" ({row.code} {row.id})"):
            if (row.tenant_id, folded_name(name)) not in taken:
                break
            # Trimmed first: "centre " becomes "centre (d)", not "centre  (d)".
            name = str(row.name).strip()[:NAME_MAX_CHARS - len(suffix)] + suffix
        taken.add((row.tenant_id, folded_name(name)))
        changes.append({"id": row.id, "name": name, "folded": folded_name(name)})
    if changes:
        bind.execute(sa.text("UPDATE stores SET name = :name, name_folded = :folded "
                             "WHERE id = :id"), changes)


def upgrade() -> None:
    # Not a batch operation: on SQLite it would copy ``stores``, which tills, staff and
    # receipts refer to. SQLite adds a NOT NULL column only with a default, which every
    # insert overrides; PostgreSQL drops it once the rows are filled.
    op.add_column("stores", sa.Column("name_folded", sa.String(length=200), nullable=False,
                                      server_default=""))
    _rename_duplicates_and_fold()
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("stores", "name_folded", server_default=None)
    op.create_index(INDEX, "stores", ["tenant_id", "name_folded"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="stores")
    op.execute("ALTER TABLE stores DROP COLUMN name_folded")
