"""Re-sealing the stored personal identifiers under the current keys (``regulars keys rotate``).

Every table that keeps a sealed value (:mod:`regulars.db.personal`) is listed in
:data:`SEALED`, with the column that holds the sealed value, the column that holds its blind
index (if any) and the kind the index is computed for. A batch reads rows past an id whose
value is sealed under another key than the current one (or every row, to re-index) and
writes each back sealed under the current key with its index recomputed, by a conditional
update on the sealed value it read: a row changed meanwhile (a new phone number) keeps the
change, and the next run takes it. Running it again after it has finished changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    and_,
    func,
    or_,
    select,
    update,
)

from regulars.db import personal
from regulars.db.members.tables import member_identifiers, members
from regulars.db.messaging.outbox import INDEX_KINDS
from regulars.db.messaging.tables import outbox_messages
from regulars.db.tenancy.tables import staff


@dataclass(frozen=True)
class SealedColumn:
    sealed: str
    index: str | None
    kind: str
    """The kind the blind index is computed for, or the column of the row that names it."""

    def kind_of(self, row: Any) -> str:
        if self.kind == "channel":
            return INDEX_KINDS[str(row.channel)]
        return str(row.kind) if self.kind == "kind" else self.kind


@dataclass(frozen=True)
class SealedTable:
    table: Table
    columns: tuple[SealedColumn, ...]
    only: Callable[[], ColumnElement[bool]] | None = None
    """Which rows hold sealed values (all when ``None``)."""


SEALED = (
    SealedTable(members, (SealedColumn("phone_sealed", "phone_index", "phone"),
                          SealedColumn("qr_sealed", None, "qr"))),
    SealedTable(member_identifiers, (SealedColumn("value_sealed", "value_index", "kind"),)),
    SealedTable(outbox_messages, (SealedColumn("recipient", "recipient_index", "channel"),),
                only=lambda: and_(outbox_messages.c.channel.in_(("sms", "email")),
                                  outbox_messages.c.recipient != "")),
    SealedTable(staff, (SealedColumn("phone_sealed", "phone_index", "phone"),)),
)


@dataclass(frozen=True)
class Batch:
    last_id: int | None
    """The last row read (``None``: no row left to read)."""
    resealed: int


def _stale(spec: SealedTable, reindex: bool) -> ColumnElement[bool] | None:
    if reindex:
        return None
    prefix = personal.keys().key_id + "."
    cols: list[Column[Any]] = [spec.table.c[c.sealed] for c in spec.columns]
    return or_(*[and_(col.is_not(None), ~col.startswith(prefix, autoescape=True))
                 for col in cols])


def reseal_batch(conn: Connection, spec: SealedTable, *, after_id: int, limit: int,
                 reindex: bool) -> Batch:
    """Re-seal (and re-index) up to ``limit`` rows of ``spec`` with an id above ``after_id``
    whose values are under an old key (every row with ``reindex``). Raises
    :class:`personal.UnknownKey` for a value no configured key opens."""
    t = spec.table
    query = select(t.c.id, t.c.tenant_id, *[t.c[n] for n in _read_columns(spec)]).where(
        t.c.id > after_id)
    for condition in (spec.only() if spec.only else None, _stale(spec, reindex)):
        if condition is not None:
            query = query.where(condition)
    rows = conn.execute(query.order_by(t.c.id).limit(limit)).all()
    resealed = 0
    for row in rows:
        changes: dict[str, Any] = {}
        same = [t.c.tenant_id == row.tenant_id, t.c.id == row.id]
        for column in spec.columns:
            sealed = getattr(row, column.sealed)
            if sealed is None:
                continue
            value = personal.unseal(sealed)
            changes[column.sealed] = personal.seal(value)
            if column.index is not None:
                changes[column.index] = personal.blind_index(row.tenant_id, column.kind_of(row),
                                                             value)
            same.append(t.c[column.sealed] == sealed)
        if changes:
            resealed += conn.execute(update(t).where(*same).values(**changes)).rowcount
    return Batch(last_id=int(rows[-1].id) if rows else None, resealed=resealed)


def _read_columns(spec: SealedTable) -> list[str]:
    names = [c.sealed for c in spec.columns]
    for extra in ("kind", "channel"):
        if extra in spec.table.c and extra not in names:
            names.append(extra)
    return names


def count_stale(conn: Connection, spec: SealedTable) -> int:
    """Rows of ``spec`` holding a value sealed under another key than the current one."""
    t = spec.table
    query = select(func.count()).select_from(t)
    for condition in (spec.only() if spec.only else None, _stale(spec, False)):
        if condition is not None:
            query = query.where(condition)
    return int(conn.execute(query).scalar_one())
