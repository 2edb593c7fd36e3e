"""sealed identifiers: phone numbers, card numbers, QR tokens and message recipients encrypted

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 13:30:00
Phone numbers, card numbers and QR tokens are stored encrypted (AES-256-GCM) and found through
a keyed blind index (``regulars.db.personal``): ``members.phone`` becomes ``phone_sealed``
and ``phone_index``, ``members.qr_token`` becomes ``qr_sealed``, ``member_identifiers.value``
becomes ``value_index`` (unique per tenant and kind) and ``value_sealed``; a text message's or
e-mail's recipient in the outbox is sealed in place, with its ``recipient_index``. Existing
rows are sealed here, in batches, under the keys of the process that migrates (the
``personal_data_key`` setting), and the plaintext columns are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from regulars.db import personal

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

BATCH = 1000
SEALED_CHANNELS = ('sms', 'email')


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


def _sqlite_column_type(table: str, old: str, new: str) -> None:
    # SQLite cannot rebuild (batch) a table others reference inside a transaction; a declared
    # length changes no stored row, so its text is changed in the schema itself (as 0029 does).
    version = op.get_bind().exec_driver_sql('PRAGMA schema_version').scalar_one()
    op.execute('PRAGMA writable_schema = ON')
    op.execute(f"UPDATE sqlite_master SET sql = replace(sql, '{old}', '{new}') "
               f"WHERE type = 'table' AND name = '{table}'")
    op.execute(f'PRAGMA schema_version = {int(version) + 1}')
    op.execute('PRAGMA writable_schema = OFF')


def _members_up(sqlite: bool) -> None:
    op.add_column('members', sa.Column('phone_sealed', sa.String(length=120), nullable=True))
    op.add_column('members', sa.Column('phone_index', sa.String(length=64), nullable=True))
    op.execute('ALTER TABLE members RENAME COLUMN qr_token TO qr_sealed')
    if sqlite:
        _sqlite_column_type('members', 'qr_sealed VARCHAR(64) NOT NULL',
                            'qr_sealed VARCHAR(160) NOT NULL')
    else:
        op.alter_column('members', 'qr_sealed', type_=sa.String(length=160),
                        existing_type=sa.String(length=64), existing_nullable=False)
    _in_batches(
        'SELECT id, tenant_id, phone, qr_sealed FROM members WHERE id > :after '
        'ORDER BY id LIMIT :n',
        'UPDATE members SET phone_sealed = :sealed, phone_index = :index, qr_sealed = :qr '
        'WHERE id = :id',
        lambda r: {'id': r.id, 'sealed': personal.seal_optional(r.phone),
                   'index': personal.blind_index_optional(r.tenant_id, 'phone', r.phone),
                   'qr': personal.seal(r.qr_sealed)})
    op.drop_index('ix_members_tenant_id_phone', table_name='members')
    op.create_index(op.f('ix_members_tenant_id_phone_index'), 'members',
                    ['tenant_id', 'phone_index'], unique=False)
    # Not a batch: on SQLite that copies ``members``, which other tables' keys refer to.
    op.execute('ALTER TABLE members DROP COLUMN phone')


def _identifiers_up() -> None:
    with op.batch_alter_table('member_identifiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('value_sealed', sa.String(length=160), nullable=True))
    _in_batches(
        'SELECT id, tenant_id, kind, value FROM member_identifiers WHERE id > :after '
        'ORDER BY id LIMIT :n',
        'UPDATE member_identifiers SET value_index = :index, value_sealed = :sealed '
        'WHERE id = :id',
        lambda r: {'id': r.id, 'index': personal.blind_index(r.tenant_id, r.kind, r.value),
                   'sealed': personal.seal(r.value)})
    with op.batch_alter_table('member_identifiers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_member_identifiers_tenant_id_kind_value', type_='unique')
        batch_op.drop_column('value')
        batch_op.alter_column('value_index', existing_type=sa.String(length=64),
                              nullable=False)
        batch_op.alter_column('value_sealed', existing_type=sa.String(length=160),
                              nullable=False)
        batch_op.create_unique_constraint(
            op.f('uq_member_identifiers_tenant_id_kind_value_index'),
            ['tenant_id', 'kind', 'value_index'])


def _outbox_up() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.String(length=320),
                              type_=sa.String(length=600), existing_nullable=False)
        batch_op.add_column(sa.Column('recipient_index', sa.String(length=64),
                                      nullable=True))
    _in_batches(
        "SELECT id, tenant_id, channel, recipient FROM outbox_messages WHERE id > :after "
        "AND channel IN ('sms', 'email') AND recipient <> '' ORDER BY id LIMIT :n",
        'UPDATE outbox_messages SET recipient = :sealed, recipient_index = :index '
        'WHERE id = :id',
        lambda r: {'id': r.id, 'sealed': personal.seal(r.recipient),
                   'index': personal.blind_index(r.tenant_id, r.channel, r.recipient)})


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    _members_up(sqlite)
    _identifiers_up()
    _outbox_up()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    _in_batches(
        "SELECT id, recipient FROM outbox_messages WHERE id > :after "
        "AND channel IN ('sms', 'email') AND recipient <> '' ORDER BY id LIMIT :n",
        'UPDATE outbox_messages SET recipient = :plain WHERE id = :id',
        lambda r: {'id': r.id, 'plain': personal.unseal(r.recipient)})
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('recipient_index')
        batch_op.alter_column('recipient', existing_type=sa.String(length=600),
                              type_=sa.String(length=320), existing_nullable=False)

    with op.batch_alter_table('member_identifiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value', sa.String(length=64), nullable=True))
    _in_batches(
        'SELECT id, value_sealed FROM member_identifiers WHERE id > :after '
        'ORDER BY id LIMIT :n',
        'UPDATE member_identifiers SET value = :plain WHERE id = :id',
        lambda r: {'id': r.id, 'plain': personal.unseal(r.value_sealed)})
    with op.batch_alter_table('member_identifiers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_member_identifiers_tenant_id_kind_value_index',
                                 type_='unique')
        batch_op.drop_column('value_index')
        batch_op.drop_column('value_sealed')
        batch_op.alter_column('value', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_member_identifiers_tenant_id_kind_value',
                                          ['tenant_id', 'kind', 'value'])

    op.add_column('members', sa.Column('phone', sa.String(length=20), nullable=True))
    _in_batches(
        'SELECT id, phone_sealed, qr_sealed FROM members WHERE id > :after '
        'ORDER BY id LIMIT :n',
        'UPDATE members SET phone = :phone, qr_sealed = :qr WHERE id = :id',
        lambda r: {'id': r.id, 'phone': personal.unseal_optional(r.phone_sealed),
                   'qr': personal.unseal(r.qr_sealed)})
    op.drop_index(op.f('ix_members_tenant_id_phone_index'), table_name='members')
    op.create_index('ix_members_tenant_id_phone', 'members', ['tenant_id', 'phone'],
                    unique=False)
    op.execute('ALTER TABLE members DROP COLUMN phone_index')
    op.execute('ALTER TABLE members DROP COLUMN phone_sealed')
    if sqlite:
        _sqlite_column_type('members', 'qr_sealed VARCHAR(160) NOT NULL',
                            'qr_sealed VARCHAR(64) NOT NULL')
    else:
        op.alter_column('members', 'qr_sealed', type_=sa.String(length=64),
                        existing_type=sa.String(length=160), existing_nullable=False)
    op.execute('ALTER TABLE members RENAME COLUMN qr_sealed TO qr_token')
