"""What a capped budget has left, split over :data:`SLOTS` rows, charged without one row that
every commit waits on. In the caller's transaction; every query is scoped by ``tenant_id``.

A charge first tries one slot with a conditional update (``SET left = left - :x WHERE left >=
:x``): the first, counted from the slot its caller's ``spread`` names (the till), that holds the
amount and is not locked by another transaction; so on PostgreSQL a quick charge never waits.
When no single slot is free and holds the amount, the slots are locked in slot order (``FOR
UPDATE``) and, if they hold enough together, charged one after the other: the last units of a
budget are still granted, and no charge ever takes more than the slots hold, so the sum never
goes below zero.
On SQLite writers are serialised by ``BEGIN IMMEDIATE`` and the same statements hold.

A ``left`` column is null where the budget has no cap in that unit; an owner without slot rows
has no cap at all (or its slots are not made yet: the caller decides which).

An owner is given as its table and the values of the columns naming it (``tenant_id`` first).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.locks import share_locks as share_locks
from regulars.db.locks import sole_lock as sole_lock

SLOTS = 16


@dataclass(frozen=True)
class Owner:
    """The slot rows of one budget: ``key`` maps column names to values."""

    table: Table
    key: Mapping[str, Any]

    def where(self) -> list[ColumnElement[bool]]:
        return [self.table.c[name] == value for name, value in self.key.items()]


def clear(conn: Connection, owner: Owner) -> None:
    conn.execute(delete(owner.table).where(*owner.where()))


def fill(conn: Connection, owner: Owner, left: Mapping[str, int | None], *,
         count: int | None = SLOTS) -> None:
    """Give an owner without slots ``count`` rows sharing ``left`` (per column; ``None``
    for no cap) as evenly as integers allow; ``count=None``: :data:`SLOTS`, or fewer when
    fewer units are left (at least one row), for owners whose caps are often tiny. Of
    concurrent fills the first wins, the others change nothing (``ON CONFLICT DO NOTHING``)."""
    if count is None:
        count = max(1, min([SLOTS, *(a for a in left.values() if a is not None)]))
    rows = []
    for slot in range(count):
        row: dict[str, Any] = {**owner.key, "slot": slot}
        for column, amount in left.items():
            row[column] = None if amount is None else (
                amount // count + (1 if slot < amount % count else 0))
        rows.append(row)
    conn.execute(_insert_missing(conn, owner.table), rows)


def _insert_missing(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def left(conn: Connection, owner: Owner, columns: list[str]) -> dict[str, int | None] | None:
    """What the slots hold together per column (``None`` for a column without a cap), or
    ``None`` when the owner has no slots."""
    t = owner.table.c
    row = conn.execute(select(*[t[c] for c in columns]).where(*owner.where())).all()
    if not row:
        return None
    return {c: None if row[0][i] is None else sum(r[i] for r in row)
            for i, c in enumerate(columns)}


class Busy(Exception):
    """A quick :func:`take` charged nothing. It may have left a slot locked (see
    :func:`_take`), so the caller rolls back to the savepoint it took before and charges
    again without ``quick``."""


def take(conn: Connection, owner: Owner, amounts: Mapping[str, int], *, spread: int,
         start: Callable[[], Mapping[str, int | None]], count: int | None = SLOTS,
         quick: bool = False) -> bool:
    """Charge ``amounts`` (per column, none negative) to the owner's slots; ``False`` when
    the slots do not hold enough (nothing changed). An owner without slots is first given
    them (``count`` as for :func:`fill`), holding what ``start()`` says is left.

    ``quick``: only the first try of :func:`_take`, without a savepoint of its own (two
    statements fewer); raises :class:`Busy` when it charged nothing, for whatever reason
    (no free slot holds the amount, the owner has no slots yet), and the caller, inside a
    savepoint of its own, rolls back to it and charges again without ``quick``."""
    if quick:
        if _try(conn, owner, amounts, spread=spread, wait=False):
            return True
        raise Busy
    taken = _take(conn, owner, amounts, spread=spread)
    if taken is None:
        fill(conn, owner, start(), count=count)
        taken = _take(conn, owner, amounts, spread=spread)
    return bool(taken)


def _try(conn: Connection, owner: Owner, amounts: Mapping[str, int], *, spread: int,
         wait: bool) -> bool:
    """One statement charging the first slot, counted from ``spread``, that holds the amount:
    one that no other transaction has locked (``SKIP LOCKED``), or with ``wait`` one that may
    be busy (waiting for it). ``True`` when it charged one."""
    statement = _try_statement(owner.table, tuple(owner.key), tuple(amounts), wait)
    params = {**{f"k_{name}": value for name, value in owner.key.items()},
              **{f"a_{column}": amount for column, amount in amounts.items()},
              "shift": SLOTS - spread % SLOTS}
    return bool(conn.execute(statement, params).rowcount == 1)


@functools.cache
def _try_statement(table: Table, key: tuple[str, ...], columns: tuple[str, ...],
                   wait: bool) -> Any:
    """:func:`_try`'s statement for an owner table, built once (building it cost more than
    running it): the owner's key columns as ``k_<name>``, the amounts as ``a_<column>``."""
    t = table.c
    owned = [t[name] == bindparam(f"k_{name}") for name in key]
    fits = [or_(t[c].is_(None), t[c] >= bindparam(f"a_{c}")) for c in columns]
    order = (t.slot + bindparam("shift")) % SLOTS
    first = select(t.id).where(*owned, *fits).order_by(order).limit(1)
    chosen = (first if wait else first.with_for_update(skip_locked=True)).scalar_subquery()
    return update(table).where(t.id == chosen, *fits).values(
        **{c: t[c] - bindparam(f"a_{c}") for c in columns})


def take_unless(conn: Connection, owner: Owner, amounts: Mapping[str, int], *, spread: int,
                before: Any, params: Mapping[str, Any]) -> None:
    """Run ``before`` (a statement built once that returns the rows it changed, with its own
    ``params``) and, when it changed none, charge ``amounts`` as :func:`take` with ``quick``
    does: on PostgreSQL both in one statement. Raises :class:`Busy` when neither happened."""
    charge = {**{f"k_{name}": value for name, value in owner.key.items()},
              **{f"a_{column}": amount for column, amount in amounts.items()},
              "shift": SLOTS - spread % SLOTS}
    if conn.dialect.name != "postgresql":  # no statements that write inside a WITH
        if conn.execute(before, dict(params)).first() is None and not _try(
                conn, owner, amounts, spread=spread, wait=False):
            raise Busy
        return
    statement = _unless_statement(owner.table, tuple(owner.key), tuple(amounts), before)
    if not conn.execute(statement, {**params, **charge}).scalar_one():
        raise Busy


@functools.cache
def _unless_statement(table: Table, key: tuple[str, ...], columns: tuple[str, ...],
                      before: Any) -> Any:
    """:func:`take_unless`'s statement: ``before`` first, and :func:`_try_statement`'s
    charge only when ``before`` returned nothing (so no slot is locked then); it returns how
    many rows the two changed together."""
    t = table.c
    done = before.cte("done")
    fits = [or_(t[c].is_(None), t[c] >= bindparam(f"a_{c}")) for c in columns]
    chosen = (select(t.id).where(*[t[name] == bindparam(f"k_{name}") for name in key], *fits,
                                 ~exists(select(literal(1)).select_from(done)))
              .order_by((t.slot + bindparam("shift")) % SLOTS).limit(1)
              .with_for_update(skip_locked=True).scalar_subquery())
    charged = update(table).where(t.id == chosen, *fits).values(
        **{c: t[c] - bindparam(f"a_{c}") for c in columns}).returning(t.id).cte("charged")
    return select(select(func.count()).select_from(done).scalar_subquery()
                  + select(func.count()).select_from(charged).scalar_subquery())


def _take(conn: Connection, owner: Owner, amounts: Mapping[str, int], *,
          spread: int) -> bool | None:
    """:func:`take` on the slots there are (``None`` when there are none).

    First a try that never waits (:func:`_try`). When every slot that holds the amount is
    busy, a second try waits for one of them. Last, the slow path across all slots.
    PostgreSQL keeps the lock of a row it re-checked after waiting or after a concurrent
    change and found no longer fitting, so each try runs in a savepoint rolled back when it
    charged nothing: no try holds a slot while it waits for another, and the slow path takes
    them in slot order only, so charges cannot deadlock."""
    for wait in (False, True):
        attempt = conn.begin_nested()
        if _try(conn, owner, amounts, spread=spread, wait=wait):
            attempt.commit()
            return True
        attempt.rollback()
        if conn.dialect.name != "postgresql":
            break  # nothing is ever busy on SQLite
    return _take_across(conn, owner, amounts)


def _take_across(conn: Connection, owner: Owner, amounts: Mapping[str, int]) -> bool | None:
    """The slow path of :func:`take`: all slots locked, charged one after the other."""
    t = owner.table.c
    columns = list(amounts)
    rows = conn.execute(select(t.slot, *[t[c] for c in columns]).where(*owner.where())
                        .order_by(t.slot).with_for_update()).all()
    if not rows:
        return None
    for i, c in enumerate(columns, start=1):
        if rows[0][i] is not None and sum(r[i] for r in rows) < amounts[c]:
            return False
    due = dict(amounts)
    for row in rows:
        part = {c: 0 if row[i] is None else min(row[i], due[c])
                for i, c in enumerate(columns, start=1)}
        part = {c: (due[c] if row[i] is None else part[c])
                for i, c in enumerate(columns, start=1)}
        if not any(part.values()):
            continue
        conn.execute(update(owner.table).where(*owner.where(), t.slot == row.slot).values(
            **{c: t[c] - amount for c, amount in part.items()}))
        due = {c: due[c] - part[c] for c in columns}
        if not any(due.values()):
            break
    return True


def give(conn: Connection, owner: Owner, amounts: Mapping[str, int], *, slot: int) -> None:
    """Add ``amounts`` back to one slot (nothing when the owner has no slots); to the first
    slot when there is no slot ``slot`` (slots made when :data:`SLOTS` was smaller)."""
    t = owner.table.c
    values = {c: t[c] + amount for c, amount in amounts.items()}
    if not conn.execute(update(owner.table).where(*owner.where(), t.slot == slot % SLOTS)
                        .values(**values)).rowcount:
        lowest = select(func.min(t.slot)).where(*owner.where()).scalar_subquery()
        conn.execute(update(owner.table).where(*owner.where(), t.slot == lowest)
                     .values(**values))
