"""promotions may be paused: a paused promotion is offered to no receipt until resumed

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

OLD = "status in ('active', 'archived')"
NEW = "status in ('active', 'paused', 'archived')"


def _sqlite_check(old: str, new: str) -> None:
    # SQLite cannot rebuild (batch) a table others reference inside a transaction; a CHECK
    # constraint changes no stored row, so its text is changed in the schema itself, the way
    # SQLite's documentation gives for such changes (ALTER TABLE, "other kinds of changes").
    version = op.get_bind().exec_driver_sql('PRAGMA schema_version').scalar_one()
    op.execute('PRAGMA writable_schema = ON')
    op.execute(f"UPDATE sqlite_master SET sql = replace(sql, \"{old}\", \"{new}\") "
               "WHERE type = 'table' AND name = 'promotions'")
    op.execute(f'PRAGMA schema_version = {int(version) + 1}')
    op.execute('PRAGMA writable_schema = OFF')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_check(OLD, NEW)
        return
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_promotions_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_promotions_status'), NEW)


def downgrade() -> None:
    op.execute("UPDATE promotions SET status = 'active' WHERE status = 'paused'")
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_check(NEW, OLD)
        return
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_promotions_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_promotions_status'), OLD)
