"""sealed staff phones: a staff member's own phone number encrypted, with its blind index

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06 16:30:00
``staff.phone`` (given so that the fraud scan finds members who share it) becomes
``phone_sealed`` (AES-256-GCM) and ``phone_index`` (the blind index of kind ``phone``, equal to
a member's for the same number), as 0033 did for members. Existing rows are sealed here, in
batches, under the keys of the process that migrates (the ``personal_data_key`` setting), and
the plaintext column is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from regulars.db import personal

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

BATCH = 1000


def _in_batches(select_sql: str, update_sql: str,
                convert: Callable[[sa.Row[Any]], dict[str, Any]]) -> None:
    """Rewrite every row ``select_sql`` gives (by ``id`` above ``:after``, ``BATCH`` at a
    time) with ``update_sql`` and the parameters ``convert`` makes of it."""
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(sa.text(select_sql), {'after': after, 'n': BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text(update_sql), [convert(r) for r in rows])
        after = rows[-1].id


def upgrade() -> None:
    # Not batch operations: on SQLite they copy ``staff``, which other tables' keys refer to.
    op.add_column('staff', sa.Column('phone_sealed', sa.String(length=120), nullable=True))
    op.add_column('staff', sa.Column('phone_index', sa.String(length=64), nullable=True))
    _in_batches(
        'SELECT id, tenant_id, phone FROM staff WHERE id > :after AND phone IS NOT NULL '
        'ORDER BY id LIMIT :n',
        'UPDATE staff SET phone_sealed = :sealed, phone_index = :index WHERE id = :id',
        lambda r: {'id': r.id, 'sealed': personal.seal(r.phone),
                   'index': personal.blind_index(r.tenant_id, 'phone', r.phone)})
    op.execute('ALTER TABLE staff DROP COLUMN phone')


def downgrade() -> None:
    op.add_column('staff', sa.Column('phone', sa.String(length=20), nullable=True))
    _in_batches(
        'SELECT id, phone_sealed FROM staff WHERE id > :after AND phone_sealed IS NOT NULL '
        'ORDER BY id LIMIT :n',
        'UPDATE staff SET phone = :phone WHERE id = :id',
        lambda r: {'id': r.id, 'phone': personal.unseal(r.phone_sealed)})
    op.execute('ALTER TABLE staff DROP COLUMN phone_index')
    op.execute('ALTER TABLE staff DROP COLUMN phone_sealed')
