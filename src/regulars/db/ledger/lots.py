"""Points in and out of a member's lots: credit, debit (soonest-expiring first), restore,
take back, and the merge of two accounts, in the caller's transaction.

Every debit is a conditional update of the member's account row (``WHERE balance - held >=
:points``): it takes the row lock, so the lot bookkeeping that follows runs for one writer at
a time per member. Each write moves the cached balance and the lots together and records a
lot move per lot it touches. No function here commits; each write's failure modes are in its
docstring, and all raise before anything is left half-written.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import (
    CTE,
    BigInteger,
    Connection,
    Row,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
    update,
)

from regulars.db import arrays
from regulars.db.bulk import insert_returning_ids
from regulars.db.ledger.holds import release_expired_holds
from regulars.db.ledger.ledger import (
    EntryContext,
    EntryRecord,
    Shortfall,
    check_written,
    count_entry,
    entry_params_pg,
    entry_statement_pg,
    lock_accounts,
    stored_key,
    write_entry,
)
from regulars.db.ledger.spendable import open_lots
from regulars.db.ledger.tables import accounts, holds, lot_moves, lots
from regulars.domain.ledger.assets import Asset, MixedAssets
from regulars.domain.ledger.ledger import (
    EntryCode,
    Posting,
    check_balanced,
    plan_reversal,
    settle_debt,
    spendable_lots,
    take_fefo,
)

_CREDIT_PG = text("""
WITH credited AS (
    UPDATE accounts SET balance = balance + :points
    WHERE id = :account_id AND tenant_id = :tenant_id AND debt = 0
    RETURNING id
), new_lot AS (
    INSERT INTO lots (tenant_id, account_id, entry_id, amount, remaining, available_at,
                      expires_at)
    SELECT :tenant_id, c.id, :entry_id, :points, :points, :available_at,
           CAST(:expires_at AS timestamptz)
    FROM credited c
    RETURNING id
), new_move AS (
    INSERT INTO lot_moves (tenant_id, entry_id, lot_id, amount)
    SELECT :tenant_id, :entry_id, l.id, :points FROM new_lot l
    RETURNING 1
)
SELECT id FROM new_lot
""").bindparams(bindparam("available_at", type_=lots.c.available_at.type),
                bindparam("expires_at", type_=lots.c.expires_at.type))


def credit(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int, *,
           available_at: datetime, expires_at: datetime | None) -> int | None:
    """Add ``points`` to a member account: repay debt first, put the rest in a new lot.

    Returns the new lot's id (``None`` when everything went to debt).
    """
    if conn.dialect.name == "postgresql" and points > 0:
        # Without debt (nearly always) balance, lot and lot move are one statement; an
        # account with debt is left untouched by it and takes the general path below.
        lot_id = conn.execute(_CREDIT_PG, {
            "tenant_id": tenant_id, "account_id": account_id, "entry_id": entry_id,
            "points": points, "available_at": available_at, "expires_at": expires_at,
        }).scalar_one_or_none()
        if lot_id is not None:
            return int(lot_id)
    state = conn.execute(
        update(accounts).where(accounts.c.id == account_id)
        .values(balance=accounts.c.balance + points)
        .returning(accounts.c.debt)
    ).one()
    repaid, rest = settle_debt(state.debt, points)
    if repaid:
        conn.execute(update(accounts).where(accounts.c.id == account_id)
                     .values(debt=accounts.c.debt - repaid))
    if rest == 0:
        return None
    return _new_lot(conn, tenant_id, account_id, entry_id, rest, available_at=available_at,
                    expires_at=expires_at)


def credit_many(conn: Connection, tenant_id: int,
                credits: Sequence[tuple[int, int, int, datetime, datetime | None]]) -> list[int]:
    """:func:`credit` for many ``(account id, entry id, points, available_at, expires_at)``
    at once, into accounts without debt (the caller has locked them and seen no debt): one
    lot and lot move each, and each account's balance moved once by the sum of its credits.
    Returns the lots' ids in order."""
    lot_ids = insert_returning_ids(conn, lots, [
        {"tenant_id": tenant_id, "account_id": account_id, "entry_id": entry_id,
         "amount": points, "remaining": points, "available_at": available_at,
         "expires_at": expires_at}
        for account_id, entry_id, points, available_at, expires_at in credits])
    if not credits:
        return lot_ids
    conn.execute(insert(lot_moves), [
        {"tenant_id": tenant_id, "entry_id": entry_id, "lot_id": lot_id, "amount": points}
        for (_, entry_id, points, _, _), lot_id in zip(credits, lot_ids, strict=True)])
    by_account: dict[int, int] = {}
    for account_id, _, points, _, _ in credits:
        by_account[account_id] = by_account.get(account_id, 0) + points
    moved = conn.execute(
        update(accounts).where(accounts.c.id == bindparam("account"),
                               accounts.c.tenant_id == tenant_id, accounts.c.debt == 0)
        .values(balance=accounts.c.balance + bindparam("points")),
        [{"account": a, "points": p} for a, p in sorted(by_account.items())]).rowcount
    if conn.dialect.supports_sane_multi_rowcount and moved != len(by_account):
        raise RuntimeError(f"credited {moved} accounts of {len(by_account)}: one fell into debt")
    return lot_ids


def _new_lot(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int, *,
             available_at: datetime, expires_at: datetime | None) -> int:
    """A lot of ``points`` for the entry, with the lot move that fills it; its id."""
    lot_id = int(conn.execute(
        insert(lots).values(tenant_id=tenant_id, account_id=account_id, entry_id=entry_id,
                            amount=points, remaining=points, available_at=available_at,
                            expires_at=expires_at).returning(lots.c.id)
    ).scalar_one())
    conn.execute(insert(lot_moves).values(tenant_id=tenant_id, entry_id=entry_id,
                                          lot_id=lot_id, amount=points))
    return lot_id


# On PostgreSQL, releasing the lapsed holds and the guarded debit are one statement; the
# guard counts the held points as they are once those holds are released, as the two
# statements did. (On a refused debit the released holds roll back with the transaction.)
_DEBIT_PG = text("""
WITH released AS (
    UPDATE holds SET status = 'released'
    WHERE tenant_id = :tenant_id AND account_id = :account_id AND status = 'open'
      AND expires_at <= :now
    RETURNING points
), lapsed AS (
    SELECT CAST(COALESCE(sum(points), 0) AS bigint) AS points FROM released
)
UPDATE accounts
SET balance = accounts.balance - :points,
    held = accounts.held - lapsed.points - :release_held
FROM lapsed
WHERE accounts.id = :account_id AND accounts.tenant_id = :tenant_id
  AND accounts.asset = :asset
  AND accounts.balance - (accounts.held - lapsed.points - :release_held) >= :points
RETURNING accounts.held, accounts.debt, accounts.balance
""").bindparams(bindparam("now", type_=holds.c.expires_at.type))


@dataclass(frozen=True, kw_only=True)
class Debit:
    """A debit made: the account's balance after it, and the (lot id, points) to take from
    its lots, soonest-expiring first (:func:`write_spend` takes them)."""

    balance: int
    taken: tuple[tuple[int, int], ...]


def debit(conn: Connection, tenant_id: int, account_id: int, points: int, now: datetime, *,
          asset: Asset, release_held: int = 0) -> Debit:
    """Take ``points`` off a member account's balance, guarded, and choose the lots they
    come from (soonest-expiring spendable lots first); the lots themselves change when the
    spend's entry is written (:func:`write_spend`), in the same transaction.

    ``release_held`` is the part of a captured hold this spend consumes (it is already counted
    in ``held``); holds past their expiry are released first. Raises :class:`MixedAssets` for
    an account of another asset or tenant, and :class:`Shortfall` when the balance less other
    holds, or the spendable lots less other holds and debt, cannot cover ``points``.
    """
    changed: Any
    if conn.dialect.name == "postgresql":
        changed = conn.execute(_DEBIT_PG, {
            "tenant_id": tenant_id, "account_id": account_id, "points": points,
            "release_held": release_held, "now": now, "asset": asset.code}).one_or_none()
    else:
        release_expired_holds(conn, tenant_id, account_id, now)
        guard = accounts.c.balance - (accounts.c.held - release_held) >= points
        changed = conn.execute(
            update(accounts).where(accounts.c.id == account_id,
                                   accounts.c.tenant_id == tenant_id,
                                   accounts.c.asset == asset.code, guard)
            .values(balance=accounts.c.balance - points, held=accounts.c.held - release_held)
            .returning(accounts.c.held, accounts.c.debt, accounts.c.balance)
        ).one_or_none()
    if changed is None:
        _refuse(conn, tenant_id, account_id, asset)
    return choose_lots(conn, tenant_id, account_id, points, now, held=int(changed.held),
                       debt=int(changed.debt), balance=int(changed.balance))


def choose_lots(conn: Connection, tenant_id: int, account_id: int, points: int, now: datetime,
                *, held: int, debt: int, balance: int) -> Debit:
    """The lots a debit just made (the account's ``held``, ``debt`` and ``balance`` after
    it) takes its ``points`` from, read in a statement of their own after the debit's.
    Raises :class:`Shortfall` as :func:`debit` does."""
    # The row lock taken by the debit serialises the lot bookkeeping for this member.
    usable = spendable_lots(open_lots(conn, tenant_id, account_id), now)
    # The balance the guard checked counts pending and expired lots too: a spend that a
    # concurrent hold's quote did not see must still leave that hold's points in place.
    if sum([lot.remaining for lot in usable]) - points < held + debt:
        raise Shortfall("the spendable points are reserved by holds")
    try:
        taken = take_fefo(usable, points, now)
    except ValueError as exc:
        raise Shortfall(str(exc)) from exc
    return Debit(balance=balance, taken=tuple(taken))


@dataclass(frozen=True, kw_only=True)
class Lead:
    """A caller's statement run first in a debit's own statement (PostgreSQL): a CTE, built
    once, whose one returned row names the account to debit in its ``account_id`` column
    (a certificate taken by its digest, its use counted), with its parameters."""

    cte: CTE
    params: dict[str, Any]


def debit_led(conn: Connection, tenant_id: int, lead: Lead, points: int, now: datetime, *,
              asset: Asset) -> Row[Any] | None:
    """:func:`debit`'s guarded statement on the account ``lead`` names, in one statement with
    it: its row, with the account's ``debit_held``, ``debit_debt`` and ``debit_balance``
    after the debit; ``None`` when the lead found no row or the guard refused (the lead's
    own changes stand until the transaction rolls back). The caller chooses the lots with
    :func:`write_spend_choosing` next."""
    return conn.execute(_debit_led_statement(lead.cte), {
        **lead.params, "debit_tenant_id": tenant_id, "debit_points": points,
        "debit_now": now, "debit_asset": asset.code, "debit_release_held": 0}).one_or_none()


@functools.lru_cache(maxsize=8)
def _debit_led_statement(lead: CTE) -> Any:
    """``_DEBIT_PG`` on the account of ``lead``'s row: built once per lead."""
    released = (update(holds).where(
        holds.c.tenant_id == bindparam("debit_tenant_id"),
        holds.c.account_id == lead.c.account_id, holds.c.status == "open",
        holds.c.expires_at <= bindparam("debit_now", type_=holds.c.expires_at.type))
        .values(status="released").returning(holds.c.points).cte("released"))
    lapsed = select(cast(func.coalesce(func.sum(released.c.points), 0), BigInteger)
                    ).scalar_subquery()
    points: Any = bindparam("debit_points")
    held_after = accounts.c.held - lapsed - bindparam("debit_release_held")
    return (update(accounts)
            .where(accounts.c.id == lead.c.account_id,
                   accounts.c.tenant_id == bindparam("debit_tenant_id"),
                   accounts.c.asset == bindparam("debit_asset"),
                   accounts.c.balance - held_after >= points)
            .values(balance=accounts.c.balance - points, held=held_after)
            .returning(accounts.c.held.label("debit_held"), accounts.c.debt.label("debit_debt"),
                       accounts.c.balance.label("debit_balance"), *lead.c))


def _refuse(conn: Connection, tenant_id: int, account_id: int, asset: Asset) -> NoReturn:
    """Why a guarded debit changed nothing: the account is not of ``asset`` in this tenant
    (:class:`MixedAssets`), else it holds too little (:class:`Shortfall`)."""
    found = conn.execute(select(accounts.c.asset).where(
        accounts.c.tenant_id == tenant_id, accounts.c.id == account_id)).scalar_one_or_none()
    if found != asset.code:
        raise MixedAssets(f"account {account_id} is not of asset {asset.code!r} in this tenant")
    raise Shortfall("not enough points")


def write_spend(conn: Connection, ctx: EntryContext, *, code: EntryCode, key: str,
                postings_: Sequence[Posting], member_points: int, memo: dict[str, Any],
                asset: Asset, debit_: Debit, record: EntryRecord | None = None) -> int:
    """Write a spend's entry (as :func:`~regulars.db.ledger.ledger.write_entry` does), take
    ``debit_``'s points from its lots and write ``record`` naming the entry; the entry id.
    Raises as ``write_entry`` does, and :class:`Shortfall` if a lot no longer holds its
    part."""
    taken = debit_.taken
    if (conn.dialect.name != "postgresql" or not taken
            or len({lot_id for lot_id, _ in taken}) != len(taken)):
        entry_id = write_entry(conn, ctx, code=code, key=key, postings_=postings_,
                               member_points=member_points, memo=memo, asset=asset)
        _take_from_lots(conn, ctx.tenant_id, entry_id, taken)
        if record is not None:
            conn.execute(insert(record.table).values(**record.values, entry_id=entry_id))
        return entry_id
    return int(_spend_pg(conn, ctx, code=code, key=key, postings_=postings_,
                         member_points=member_points, memo=memo, asset=asset, record=record,
                         chosen=False, lots_params={
                             "lot_ids": arrays.ints([lot_id for lot_id, _ in taken]),
                             "parts": arrays.ints([part for _, part in taken])}).id)


@dataclass(frozen=True, kw_only=True)
class Unchosen:
    """A debit made (PostgreSQL) whose lots :func:`write_spend_choosing` chooses: the
    account, the points taken off it at ``now``, and its ``held`` and ``debt`` after the
    debit."""

    account_id: int
    points: int
    now: datetime
    held: int
    debt: int


def write_spend_choosing(conn: Connection, ctx: EntryContext, *, code: EntryCode, key: str,
                         postings_: Sequence[Posting], member_points: int,
                         memo: dict[str, Any], asset: Asset, debit_: Unchosen,
                         record: EntryRecord | None = None) -> int:
    """:func:`write_spend` of a debit whose lots are not chosen yet (PostgreSQL only): the
    spend's own statement reads the account's lots, chooses them as :func:`choose_lots`
    does (soonest-expiring spendable lots first) and takes them. Its snapshot is taken after
    the debit's statement locked the account, so it sees every lot the writers before it
    left. Raises :class:`Shortfall` as :func:`choose_lots` does (the entry it wrote is rolled
    back with the transaction), and as ``write_entry`` does."""
    row = _spend_pg(conn, ctx, code=code, key=key, postings_=postings_,
                    member_points=member_points, memo=memo, asset=asset, record=record,
                    chosen=True, lots_params={
                        "lots_account_id": debit_.account_id, "lots_points": debit_.points,
                        "lots_now": debit_.now})
    if int(row.spendable) - debit_.points < debit_.held + debit_.debt:
        raise Shortfall("the spendable points are reserved by holds or fall short")
    return int(row.id)


def _spend_pg(conn: Connection, ctx: EntryContext, *, code: EntryCode, key: str,
              postings_: Sequence[Posting], member_points: int, memo: dict[str, Any],
              asset: Asset, record: EntryRecord | None, chosen: bool,
              lots_params: dict[str, Any]) -> Row[Any]:
    """Run :func:`_spend_statement_pg` and check what it wrote; its answer row."""
    check_balanced(postings_)
    shape = None if record is None else (record.table.name, tuple(record.values))
    row = conn.execute(_spend_statement_pg(shape, chosen=chosen), {
        **entry_params_pg(ctx, code=code, key=stored_key(key), postings_=postings_,
                          member_points=member_points, memo=memo, reverses_entry_id=None,
                          asset=asset), **lots_params,
        **({} if record is None else {
            f"record_{name}": value for name, value in record.values.items()})}).one()
    check_written(row.postings, postings_, asset)
    if row.taken != row.wanted:
        raise Shortfall("a lot changed underneath")
    if row.moves != row.wanted or row.recorded != int(record is not None):
        raise RuntimeError(f"{row.moves} lot moves written of {row.wanted}, "
                           f"{row.recorded} records")
    count_entry(conn, ctx, code=code, member_points=member_points, asset=asset)
    return row


def restore(conn: Connection, tenant_id: int, account_id: int, entry_id: int,
            moves: Sequence[tuple[int, int]], *, now: datetime,
            fresh_expires_at: datetime | None) -> None:
    """Give points back to a member (a reversed spend): debt is repaid first, then the points
    refill the lots they were taken from. A lot that has expired since gets nothing back: its
    share goes into one new lot, spendable at once and expiring at ``fresh_expires_at``, so
    points a refund returns are never taken again by the next expiry run.

    ``moves`` are (lot id, points) in the order to refill.
    """
    total = sum(points for _, points in moves)
    state = conn.execute(
        update(accounts).where(accounts.c.id == account_id)
        .values(balance=accounts.c.balance + total).returning(accounts.c.debt)
    ).one()
    repaid, _ = settle_debt(state.debt, total)
    if repaid:
        conn.execute(update(accounts).where(accounts.c.id == account_id)
                     .values(debt=accounts.c.debt - repaid))
    expiry = {row.id: row.expires_at for row in conn.execute(
        select(lots.c.id, lots.c.expires_at).where(
            lots.c.tenant_id == tenant_id, lots.c.id.in_([lot_id for lot_id, _ in moves])))}
    to_skip = repaid
    fresh = 0
    for lot_id, points in moves:
        skip = min(to_skip, points)
        to_skip -= skip
        back = points - skip
        expires_at = expiry[lot_id]
        if back and expires_at is not None and expires_at <= now:
            fresh += back
        elif back:
            conn.execute(update(lots).where(lots.c.id == lot_id)
                         .values(remaining=lots.c.remaining + back))
            conn.execute(insert(lot_moves).values(tenant_id=tenant_id, entry_id=entry_id,
                                                  lot_id=lot_id, amount=back))
    if fresh:
        _new_lot(conn, tenant_id, account_id, entry_id, fresh, available_at=now,
                 expires_at=fresh_expires_at)


def lot_gone(conn: Connection, tenant_id: int, lot_id: int, now: datetime) -> int:
    """Points of a lot lost to expiry at ``now``: those the expiry run took, plus what is
    left in it if it is due but not yet processed."""
    row = conn.execute(select(lots.c.remaining, lots.c.expired, lots.c.expires_at).where(
        lots.c.tenant_id == tenant_id, lots.c.id == lot_id)).one()
    due = row.expires_at is not None and row.expires_at <= now
    return int(row.expired) + (int(row.remaining) if due else 0)


def take_back(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int,
              origin_lot_id: int | None, now: datetime, *, allow_debt: bool) -> int:
    """Take ``points`` back from a member (a reversed accrual); return the debt it created.

    Takes from the accrual's own lot first, then other open lots, then (only if
    ``allow_debt``) leaves debt. Raises :class:`Shortfall` when debt would be needed but is
    not allowed.
    """
    # Lock the account row before reading its lots, as debit does: planned from a stale read,
    # the takes below would fail against a concurrent spend and refuse a valid reversal.
    lock_accounts(conn, (account_id,))
    plan = plan_reversal(open_lots(conn, tenant_id, account_id), points, origin_lot_id, now)
    if plan.debt and not allow_debt:
        raise Shortfall(f"{plan.debt} of the points were already spent")
    conn.execute(update(accounts).where(accounts.c.id == account_id)
                 .values(balance=accounts.c.balance - points,
                         debt=accounts.c.debt + plan.debt))
    _take_from_lots(conn, tenant_id, entry_id, list(plan.from_lots))
    return plan.debt


# On PostgreSQL the takes from the lots and their moves are one statement. A lot that no
# longer holds its part is not changed and the count comes back short: the caller raises and
# the transaction rolls back whole, the moves with it. Moves take ids in the order given.
# ``{entry}`` is the entry's id: a parameter, or the entry the same statement writes.
_TAKEN_GIVEN = """taken AS (
    SELECT * FROM unnest(CAST(:lot_ids AS bigint[]), CAST(:parts AS bigint[]))
         WITH ORDINALITY AS t(lot_id, part, ord)
)"""
# The lots chosen by the statement itself, as ``choose_lots`` chooses them: the account's
# spendable lots (``spendable`` counts them all), soonest to expire first (never-expiring
# last, then oldest first), each giving what is still wanted after the ones before it.
_TAKEN_CHOSEN = """usable AS (
    SELECT l.id, l.remaining,
           sum(l.remaining) OVER (ORDER BY l.expires_at IS NULL, l.expires_at, l.id
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto
    FROM lots l
    WHERE l.tenant_id = :tenant_id AND l.account_id = :lots_account_id AND l.is_open
      AND l.available_at <= :lots_now AND (l.expires_at IS NULL OR l.expires_at > :lots_now)
), taken AS (
    SELECT u.id AS lot_id,
           least(u.remaining, CAST(:lots_points AS bigint) - (u.upto - u.remaining)) AS part,
           row_number() OVER (ORDER BY u.upto) AS ord
    FROM usable u WHERE u.upto - u.remaining < CAST(:lots_points AS bigint)
)"""
_TAKES_WRITES = """changed AS (
    UPDATE lots SET remaining = lots.remaining - t.part
    FROM taken t
    WHERE lots.id = t.lot_id AND lots.tenant_id = :tenant_id AND lots.remaining >= t.part
    RETURNING 1
), moves AS (
    INSERT INTO lot_moves (tenant_id, entry_id, lot_id, amount)
    SELECT :tenant_id, {entry}, t.lot_id, -t.part FROM taken t ORDER BY t.ord
    RETURNING 1
)"""
_TAKES_CTES = _TAKEN_GIVEN + ", " + _TAKES_WRITES
_TAKES_COUNTS = "(SELECT count(*) FROM changed) AS taken, (SELECT count(*) FROM moves) AS moves"
_TAKE_PG = text("WITH " + _TAKES_CTES.format(entry=":entry_id") + " SELECT " + _TAKES_COUNTS)


@functools.lru_cache(maxsize=16)
def _spend_statement_pg(record: tuple[str, tuple[str, ...]] | None, *, chosen: bool) -> Any:
    """A spend's entry, its postings, the takes from the lots (given as ``lot_ids`` and
    ``parts``, or ``chosen`` by the statement from ``lots_account_id``'s lots for
    ``lots_points`` at ``lots_now``), their moves and the caller's record of the entry
    (``record``: its table and columns, the values bound as ``record_<column>``), in one
    statement; its answer counts the takes ``wanted`` and those made."""
    more_ctes = ", " + (_TAKEN_CHOSEN if chosen else _TAKEN_GIVEN) + ", " + \
        _TAKES_WRITES.format(entry="(SELECT id FROM new_entry)")
    more_columns = (", " + _TAKES_COUNTS + ", (SELECT count(*) FROM taken) AS wanted"
                    + (", (SELECT coalesce(sum(remaining), 0) FROM usable) AS spendable"
                       if chosen else ""))
    if record is None:
        statement = entry_statement_pg(more_ctes, more_columns + ", 0 AS recorded")
    else:
        table, columns = record
        statement = entry_statement_pg(
            more_ctes + f", recorded AS (INSERT INTO {table} ({', '.join(columns)}, entry_id) "
            f"VALUES ({''.join(f':record_{column}, ' for column in columns)}"
            "(SELECT id FROM new_entry)) RETURNING 1)",
            more_columns + ", (SELECT count(*) FROM recorded) AS recorded")
    if chosen:
        statement = statement.bindparams(bindparam("lots_now", type_=lots.c.available_at.type))
    return statement


def _take_from_lots(conn: Connection, tenant_id: int, entry_id: int,
                    taken: Sequence[tuple[int, int]]) -> None:
    if (conn.dialect.name == "postgresql" and taken
            and len({lot_id for lot_id, _ in taken}) == len(taken)):
        counts = conn.execute(_TAKE_PG, {
            "tenant_id": tenant_id, "entry_id": entry_id,
            "lot_ids": arrays.ints([lot_id for lot_id, _ in taken]),
            "parts": arrays.ints([part for _, part in taken])}).one()
        if counts.taken != len(taken):
            raise Shortfall("a lot changed underneath")
        if counts.moves != len(taken):
            raise RuntimeError(f"{counts.moves} lot moves written of {len(taken)}")
        return
    for lot_id, part in taken:
        changed = conn.execute(
            update(lots).where(lots.c.id == lot_id, lots.c.remaining >= part)
            .values(remaining=lots.c.remaining - part)
        ).rowcount
        if changed != 1:
            raise Shortfall("a lot changed underneath")
    if taken:
        conn.execute(insert(lot_moves), [
            {"tenant_id": tenant_id, "entry_id": entry_id, "lot_id": lot_id, "amount": -part}
            for lot_id, part in taken
        ])


def moves_of(conn: Connection, tenant_id: int, entry_id: int) -> list[tuple[int, int]]:
    """(lot id, signed points) an entry moved, in order."""
    rows = conn.execute(
        select(lot_moves.c.lot_id, lot_moves.c.amount)
        .where(lot_moves.c.tenant_id == tenant_id, lot_moves.c.entry_id == entry_id)
        .order_by(lot_moves.c.id)
    ).all()
    return [(r.lot_id, r.amount) for r in rows]


def merge_accounts(conn: Connection, tenant_id: int, source_id: int, target_id: int) -> int:
    """Move open lots (keeping their dates), debt and the cached balance from one member
    account to another; release the source's holds. Returns the balance moved, which the
    caller posts as a ``merge`` entry."""
    lock_accounts(conn, (source_id, target_id))
    conn.execute(update(holds).where(holds.c.tenant_id == tenant_id,
                                     holds.c.account_id == source_id,
                                     holds.c.status == "open").values(status="released"))
    source = conn.execute(
        select(accounts.c.balance, accounts.c.debt).where(accounts.c.id == source_id)
        .with_for_update()).one()
    # Every lot moves, spent ones too: a later refund of a source receipt restores points
    # into the lots it took them from, which must then sit in the target's account.
    conn.execute(update(lots).where(lots.c.tenant_id == tenant_id,
                                    lots.c.account_id == source_id)
                 .values(account_id=target_id))
    conn.execute(update(accounts).where(accounts.c.id == source_id)
                 .values(balance=0, debt=0, held=0))
    conn.execute(update(accounts).where(accounts.c.id == target_id)
                 .values(balance=accounts.c.balance + source.balance,
                         debt=accounts.c.debt + source.debt))
    return int(source.balance)
