"""Ledger writes: entries, postings, lots and holds, in the caller's transaction.

Limits hold under concurrency because every debit is a conditional update of the member's
account row (``WHERE balance - held >= :points``): it takes the row lock, so the lot
bookkeeping that follows runs for one writer at a time per member. No function here commits.

Failure modes of each write are listed in its docstring; all raise before anything is left
half-written, because the caller's unit of work rolls back on any exception.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)

from regulars.db.engine import cache_for
from regulars.db.tables import accounts, entries, holds, lot_moves, lots, postings
from regulars.domain.ledger import (
    EntryCode,
    Lot,
    Posting,
    SystemAccount,
    check_balanced,
    plan_reversal,
    settle_debt,
    spendable_lots,
    take_fefo,
)

ASSET = "points"


class Shortfall(Exception):
    """A debit found fewer spendable points than it needed; the transaction must roll back."""


@dataclass(frozen=True, kw_only=True)
class AccountState:
    id: int
    balance: int
    held: int
    debt: int


@dataclass(frozen=True, kw_only=True)
class EntryContext:
    """Who and what an entry belongs to (copied onto the entry row)."""

    tenant_id: int
    member_id: int | None = None
    receipt_id: int | None = None
    terminal_id: int | None = None
    store_id: int | None = None
    staff_id: int | None = None
    program_version: int | None = None
    occurred_at: datetime
    recorded_at: datetime


def create_system_accounts(conn: Connection, tenant_id: int) -> None:
    conn.execute(insert(accounts), [
        {"tenant_id": tenant_id, "system_code": code.value, "asset": ASSET}
        for code in SystemAccount
    ])


def system_account_id(conn: Connection, tenant_id: int, code: SystemAccount) -> int:
    """The id of a tenant's system account (looked up once per engine: it never changes)."""
    cache = cache_for(conn)
    key = ("system_account", tenant_id, code.value)
    found = cache.get(key)
    if isinstance(found, int):
        return found
    account_id = int(conn.execute(
        select(accounts.c.id).where(accounts.c.tenant_id == tenant_id,
                                    accounts.c.system_code == code.value,
                                    accounts.c.asset == ASSET)
    ).scalar_one())
    cache[key] = account_id
    return account_id


def create_member_account(conn: Connection, tenant_id: int, member_id: int) -> int:
    return int(conn.execute(
        insert(accounts).values(tenant_id=tenant_id, member_id=member_id, asset=ASSET)
        .returning(accounts.c.id)
    ).scalar_one())


def account_state(conn: Connection, tenant_id: int, member_id: int) -> AccountState:
    row = conn.execute(
        select(accounts.c.id, accounts.c.balance, accounts.c.held, accounts.c.debt)
        .where(accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id,
               accounts.c.asset == ASSET)
    ).one()
    return AccountState(id=row.id, balance=row.balance, held=row.held, debt=row.debt)


def unspendable_lots(account_id: Any) -> Any:
    """Points in the open lots of ``account_id`` (a column or bind parameter) that cannot be
    spent at the bind parameter ``now``: pending ones (available later) and due ones (expired,
    not yet taken by the expiry run), each counted once. Bind parameter ``tenant_id`` too.

    Spendable points start from the cached balance, which equals the open lots less debt (the
    invariant :func:`reconcile` checks), so only these few lots are read, through
    ``ix_lots_pending`` and ``ix_lots_open``, however many lots the member has gathered.
    """
    now = bindparam("now", type_=lots.c.available_at.type)
    # ``remaining > 0`` as a literal, not a parameter: only then may a prepared statement's
    # generic plan use the partial indexes (PostgreSQL otherwise plans it again every time).
    open_lot = (lots.c.tenant_id == bindparam("tenant_id"), lots.c.account_id == account_id,
                lots.c.remaining > literal_column("0"))
    # Each read through its own index; a lot both pending and due counts with the due ones.
    pending = (select(func.coalesce(func.sum(lots.c.remaining), 0))
               .where(*open_lot, lots.c.available_at > now,
                      lots.c.expires_at.is_(None) | (lots.c.expires_at > now))
               .scalar_subquery())
    due = (select(func.coalesce(func.sum(lots.c.remaining), 0))
           .where(*open_lot, lots.c.expires_at <= now).scalar_subquery())
    return pending + due


def spendable_of(*, balance: int, held: int, unspendable: int, lapsed: int) -> int:
    """Points the member may spend: spendable lots less live holds and debt. The spendable
    lots are the open lots (``balance`` + debt) less the ``unspendable`` ones, so debt cancels
    out; live holds are ``held`` less the ``lapsed`` holds past their expiry."""
    live = held - lapsed if held else 0
    return max(0, balance - unspendable - live)


_LAPSED_HOLDS = (
    select(func.coalesce(func.sum(holds.c.points), 0))
    .where(holds.c.tenant_id == bindparam("tenant_id"), holds.c.account_id == accounts.c.id,
           holds.c.status == "open", holds.c.expires_at <= bindparam("now"))
    .scalar_subquery())
_STATE_AND_SPENDABLE = (
    select(accounts.c.id, accounts.c.balance, accounts.c.held, accounts.c.debt,
           unspendable_lots(accounts.c.id).label("unspendable"),
           _LAPSED_HOLDS.label("lapsed"))
    .where(accounts.c.tenant_id == bindparam("tenant_id"),
           accounts.c.member_id == bindparam("member_id"), accounts.c.asset == ASSET))


def state_and_spendable(conn: Connection, tenant_id: int, member_id: int,
                        now: datetime) -> tuple[AccountState, int]:
    """:func:`account_state` and :func:`spendable_points` at ``now``, in one statement."""
    row = conn.execute(_STATE_AND_SPENDABLE, {"tenant_id": tenant_id, "member_id": member_id,
                                              "now": now}).one()
    state = AccountState(id=row.id, balance=row.balance, held=row.held, debt=row.debt)
    return state, spendable_of(balance=state.balance, held=state.held,
                               unspendable=int(row.unspendable), lapsed=int(row.lapsed))


_OPEN_LOTS = (select(lots.c.id, lots.c.remaining, lots.c.available_at, lots.c.expires_at)
              .where(lots.c.tenant_id == bindparam("tenant_id"),
                     lots.c.account_id == bindparam("account_id"), lots.c.remaining > 0))


def open_lots(conn: Connection, tenant_id: int, account_id: int) -> list[Lot]:
    rows = conn.execute(_OPEN_LOTS, {"tenant_id": tenant_id, "account_id": account_id}).all()
    return [Lot(id=r.id, remaining=r.remaining, available_at=r.available_at,
                expires_at=r.expires_at) for r in rows]


def live_held(conn: Connection, tenant_id: int, state: AccountState, now: datetime) -> int:
    """Points reserved by holds still in force at ``now``.

    ``state.held`` still counts holds past their expiry until a write releases them (see
    :func:`release_expired_holds`); those reserve nothing any more and are not counted.
    """
    if state.held == 0:
        return 0
    lapsed = conn.execute(_LAPSED, {"tenant_id": tenant_id, "account_id": state.id,
                                    "now": now}).scalar_one()
    return state.held - int(lapsed)


_LAPSED = (select(func.coalesce(func.sum(holds.c.points), 0))
           .where(holds.c.tenant_id == bindparam("tenant_id"),
                  holds.c.account_id == bindparam("account_id"),
                  holds.c.status == "open", holds.c.expires_at <= bindparam("now")))
_UNSPENDABLE = select(unspendable_lots(bindparam("account_id")))


def spendable_points(conn: Connection, tenant_id: int, state: AccountState,
                     now: datetime) -> int:
    """Points the member may spend at ``now``: spendable lots less live holds and debt."""
    unspendable = conn.execute(_UNSPENDABLE, {"tenant_id": tenant_id, "account_id": state.id,
                                              "now": now}).scalar_one()
    live = live_held(conn, tenant_id, state, now)
    return spendable_of(balance=state.balance, held=state.held, unspendable=int(unspendable),
                        lapsed=state.held - live)


# On PostgreSQL the entry and its postings are one statement (one round trip): the postings
# take their ids from the sequence in the order given, as the two statements did.
_WRITE_ENTRY_PG = text("""
WITH new_entry AS (
    INSERT INTO entries (tenant_id, code, idempotency_key, member_id, receipt_id, terminal_id,
                         store_id, staff_id, program_version, reverses_entry_id, points, memo,
                         occurred_at, recorded_at)
    VALUES (:tenant_id, :code, :key, CAST(:member_id AS bigint), CAST(:receipt_id AS bigint),
            CAST(:terminal_id AS bigint), CAST(:store_id AS bigint), CAST(:staff_id AS bigint),
            CAST(:program_version AS integer), CAST(:reverses_entry_id AS bigint), :points,
            CAST(:memo AS json), :occurred_at, :recorded_at)
    RETURNING id
), new_postings AS (
    INSERT INTO postings (tenant_id, entry_id, account_id, amount)
    SELECT :tenant_id, e.id, leg.account_id, leg.amount
    FROM new_entry e
    CROSS JOIN unnest(CAST(:accounts AS bigint[]), CAST(:amounts AS bigint[]))
         WITH ORDINALITY AS leg(account_id, amount, ord)
    ORDER BY leg.ord
    RETURNING 1
)
SELECT e.id, (SELECT count(*) FROM new_postings) AS postings FROM new_entry e
""").bindparams(bindparam("occurred_at", type_=entries.c.occurred_at.type),
                bindparam("recorded_at", type_=entries.c.recorded_at.type))


def write_entry(conn: Connection, ctx: EntryContext, *, code: EntryCode, key: str,
                postings_: Sequence[Posting], member_points: int, memo: dict[str, Any],
                reverses_entry_id: int | None = None) -> int:
    """Insert one balanced entry and its postings; return the entry id.

    Raises ``ValueError`` if the postings do not balance, and the database's unique violation
    if ``key`` was used before in this tenant. Cached member balances are the caller's job
    (see :func:`credit` and :func:`debit`), which move them in the same transaction.
    """
    check_balanced(postings_)
    if conn.dialect.name == "postgresql":
        row = conn.execute(_WRITE_ENTRY_PG, {
            "tenant_id": ctx.tenant_id, "code": code.value, "key": key,
            "member_id": ctx.member_id, "receipt_id": ctx.receipt_id,
            "terminal_id": ctx.terminal_id, "store_id": ctx.store_id,
            "staff_id": ctx.staff_id, "program_version": ctx.program_version,
            "reverses_entry_id": reverses_entry_id, "points": member_points,
            "memo": json.dumps(memo), "occurred_at": ctx.occurred_at,
            "recorded_at": ctx.recorded_at, "accounts": [p.account for p in postings_],
            "amounts": [p.amount for p in postings_]}).one()
        if row.postings != len(postings_):
            raise RuntimeError(f"an entry wrote {row.postings} postings of {len(postings_)}")
        return int(row.id)
    entry_id = int(conn.execute(
        insert(entries).values(
            tenant_id=ctx.tenant_id, code=code.value, idempotency_key=key,
            member_id=ctx.member_id, receipt_id=ctx.receipt_id, terminal_id=ctx.terminal_id,
            store_id=ctx.store_id, staff_id=ctx.staff_id, program_version=ctx.program_version,
            reverses_entry_id=reverses_entry_id, points=member_points, memo=memo,
            occurred_at=ctx.occurred_at, recorded_at=ctx.recorded_at,
        ).returning(entries.c.id)
    ).scalar_one())
    conn.execute(insert(postings), [
        {"tenant_id": ctx.tenant_id, "entry_id": entry_id, "account_id": p.account,
         "amount": p.amount} for p in postings_
    ])
    return entry_id


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
    lot_id = int(conn.execute(
        insert(lots).values(tenant_id=tenant_id, account_id=account_id, entry_id=entry_id,
                            amount=rest, remaining=rest, available_at=available_at,
                            expires_at=expires_at).returning(lots.c.id)
    ).scalar_one())
    conn.execute(insert(lot_moves).values(tenant_id=tenant_id, entry_id=entry_id,
                                          lot_id=lot_id, amount=rest))
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
  AND accounts.balance - (accounts.held - lapsed.points - :release_held) >= :points
RETURNING accounts.held, accounts.debt
""").bindparams(bindparam("now", type_=holds.c.expires_at.type))


def debit(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int,
          now: datetime, *, release_held: int = 0) -> None:
    """Spend ``points`` from a member account, soonest-expiring spendable lots first.

    ``release_held`` is the part of a captured hold this spend consumes (it is already counted
    in ``held``); holds past their expiry are released first. Raises :class:`Shortfall` when
    the balance less other holds, or the spendable lots less other holds and debt, cannot
    cover ``points``.
    """
    changed: Any
    if conn.dialect.name == "postgresql":
        changed = conn.execute(_DEBIT_PG, {
            "tenant_id": tenant_id, "account_id": account_id, "points": points,
            "release_held": release_held, "now": now}).one_or_none()
    else:
        release_expired_holds(conn, tenant_id, account_id, now)
        guard = accounts.c.balance - (accounts.c.held - release_held) >= points
        changed = conn.execute(
            update(accounts).where(accounts.c.id == account_id, guard)
            .values(balance=accounts.c.balance - points, held=accounts.c.held - release_held)
            .returning(accounts.c.held, accounts.c.debt)
        ).one_or_none()
    if changed is None:
        raise Shortfall("not enough points")
    # The row lock taken above serialises the lot bookkeeping for this member.
    usable = spendable_lots(open_lots(conn, tenant_id, account_id), now)
    # The balance the guard checked counts pending and expired lots too: a spend that a
    # concurrent hold's quote did not see must still leave that hold's points in place.
    if sum(lot.remaining for lot in usable) - points < changed.held + changed.debt:
        raise Shortfall("the spendable points are reserved by holds")
    try:
        taken = take_fefo(usable, points, now)
    except ValueError as exc:
        raise Shortfall(str(exc)) from exc
    _take_from_lots(conn, tenant_id, entry_id, taken)


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
        lot_id = int(conn.execute(
            insert(lots).values(tenant_id=tenant_id, account_id=account_id, entry_id=entry_id,
                                amount=fresh, remaining=fresh, available_at=now,
                                expires_at=fresh_expires_at).returning(lots.c.id)
        ).scalar_one())
        conn.execute(insert(lot_moves).values(tenant_id=tenant_id, entry_id=entry_id,
                                              lot_id=lot_id, amount=fresh))


def lot_gone(conn: Connection, tenant_id: int, lot_id: int, now: datetime) -> int:
    """Points of a lot lost to expiry at ``now``: those the expiry run took, plus what is
    left in it if it is due but not yet processed."""
    row = conn.execute(select(lots.c.remaining, lots.c.expired, lots.c.expires_at).where(
        lots.c.tenant_id == tenant_id, lots.c.id == lot_id)).one()
    due = row.expires_at is not None and row.expires_at <= now
    return int(row.expired) + (int(row.remaining) if due else 0)


def entry_memos(conn: Connection, tenant_id: int, entry_ids: Sequence[int]
                ) -> dict[int, dict[str, Any]]:
    if not entry_ids:
        return {}
    return {row.id: dict(row.memo) for row in conn.execute(
        select(entries.c.id, entries.c.memo).where(entries.c.tenant_id == tenant_id,
                                                   entries.c.id.in_(list(entry_ids))))}


def take_back(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int,
              origin_lot_id: int | None, now: datetime, *, allow_debt: bool) -> int:
    """Take ``points`` back from a member (a reversed accrual); return the debt it created.

    Takes from the accrual's own lot first, then other open lots, then (only if
    ``allow_debt``) leaves debt. Raises :class:`Shortfall` when debt would be needed but is
    not allowed.
    """
    # Lock the account row before reading its lots, as debit does: planned from a stale read,
    # the takes below would fail against a concurrent spend and refuse a valid reversal.
    # (FOR NO KEY UPDATE, the lock an UPDATE takes: FOR UPDATE would also wait for the key
    # share locks that other writers' postings hold on this row, and deadlock with them.)
    conn.execute(select(accounts.c.id).where(accounts.c.id == account_id)
                 .with_for_update(key_share=True))
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
_TAKE_PG = text("""
WITH taken AS (
    SELECT * FROM unnest(CAST(:lot_ids AS bigint[]), CAST(:parts AS bigint[]))
         WITH ORDINALITY AS t(lot_id, part, ord)
), changed AS (
    UPDATE lots SET remaining = lots.remaining - t.part
    FROM taken t
    WHERE lots.id = t.lot_id AND lots.tenant_id = :tenant_id AND lots.remaining >= t.part
    RETURNING 1
), moves AS (
    INSERT INTO lot_moves (tenant_id, entry_id, lot_id, amount)
    SELECT :tenant_id, :entry_id, t.lot_id, -t.part FROM taken t ORDER BY t.ord
    RETURNING 1
)
SELECT (SELECT count(*) FROM changed) AS taken, (SELECT count(*) FROM moves) AS moves
""")


def _take_from_lots(conn: Connection, tenant_id: int, entry_id: int,
                    taken: Sequence[tuple[int, int]]) -> None:
    if (conn.dialect.name == "postgresql" and taken
            and len({lot_id for lot_id, _ in taken}) == len(taken)):
        counts = conn.execute(_TAKE_PG, {
            "tenant_id": tenant_id, "entry_id": entry_id,
            "lot_ids": [lot_id for lot_id, _ in taken],
            "parts": [part for _, part in taken]}).one()
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


def merge_accounts(conn: Connection, tenant_id: int, source_id: int, target_id: int,
                   now: datetime) -> int:
    """Move open lots (keeping their dates), debt and the cached balance from one member
    account to another; release the source's holds. Returns the balance moved, which the
    caller posts as a ``merge`` entry."""
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


def receipt_entries(conn: Connection, tenant_id: int, receipt_id: int) -> list[tuple[int, str]]:
    """(entry id, code) of every entry a receipt produced, oldest first."""
    rows = conn.execute(select(entries.c.id, entries.c.code).where(
        entries.c.tenant_id == tenant_id, entries.c.receipt_id == receipt_id)
        .order_by(entries.c.id)).all()
    return [(r.id, r.code) for r in rows]


# Holds ---------------------------------------------------------------------------------------

def release_expired_holds(conn: Connection, tenant_id: int, account_id: int,
                          now: datetime) -> None:
    rows = conn.execute(
        update(holds).where(holds.c.tenant_id == tenant_id, holds.c.account_id == account_id,
                            holds.c.status == "open", holds.c.expires_at <= now)
        .values(status="released").returning(holds.c.points)
    ).all()
    released = sum(r.points for r in rows)
    if released:
        conn.execute(update(accounts).where(accounts.c.id == account_id)
                     .values(held=accounts.c.held - released))


def place_hold(conn: Connection, tenant_id: int, account_id: int, points: int, *,
               terminal_id: int | None, now: datetime, expires_at: datetime) -> int:
    """Reserve ``points`` for a later commit. Raises :class:`Shortfall` if they are not free."""
    release_expired_holds(conn, tenant_id, account_id, now)
    changed = conn.execute(
        update(accounts).where(accounts.c.id == account_id,
                               accounts.c.balance - accounts.c.held >= points)
        .values(held=accounts.c.held + points)
    ).rowcount
    if changed != 1:
        raise Shortfall("not enough points to hold")
    state = conn.execute(select(accounts.c.held, accounts.c.debt)
                         .where(accounts.c.id == account_id)).one()
    free_lots = sum(lot.remaining for lot in
                    spendable_lots(open_lots(conn, tenant_id, account_id), now))
    if free_lots - state.held - state.debt < 0:
        raise Shortfall("not enough spendable points to hold")
    return int(conn.execute(
        insert(holds).values(tenant_id=tenant_id, account_id=account_id, points=points,
                             terminal_id=terminal_id, status="open", created_at=now,
                             expires_at=expires_at).returning(holds.c.id)
    ).scalar_one())


def unhold(conn: Connection, account_id: int, points: int) -> None:
    """Free ``points`` of a captured hold that the commit did not spend."""
    conn.execute(update(accounts).where(accounts.c.id == account_id)
                 .values(held=accounts.c.held - points))


def capture_hold(conn: Connection, tenant_id: int, hold_id: int, account_id: int,
                 now: datetime) -> int:
    """Mark an open, unexpired hold captured; return its points (0 if it is gone)."""
    row = conn.execute(
        update(holds).where(holds.c.id == hold_id, holds.c.tenant_id == tenant_id,
                            holds.c.account_id == account_id, holds.c.status == "open",
                            holds.c.expires_at > now)
        .values(status="captured").returning(holds.c.points)
    ).one_or_none()
    return int(row.points) if row else 0


def release_hold(conn: Connection, tenant_id: int, hold_id: int,
                 terminal_id: int | None) -> bool:
    """Release an open hold of this till (any till's when ``terminal_id`` is None).

    Returns ``False`` when the hold is unknown to this tenant or belongs to another till;
    releasing a hold that is already captured, released or expired is a no-op.
    """
    found = conn.execute(select(holds.c.terminal_id).where(
        holds.c.id == hold_id, holds.c.tenant_id == tenant_id)).one_or_none()
    if found is None or (terminal_id is not None and found.terminal_id != terminal_id):
        return False
    row = conn.execute(update(holds).where(holds.c.id == hold_id, holds.c.status == "open")
                       .values(status="released")
                       .returning(holds.c.points, holds.c.account_id)).one_or_none()
    if row is not None:
        conn.execute(update(accounts).where(accounts.c.id == row.account_id)
                     .values(held=accounts.c.held - row.points))
    return True


def hold_account(conn: Connection, tenant_id: int, hold_id: int) -> int | None:
    """The account a hold of this tenant reserves points on (``None``: no such hold)."""
    value = conn.execute(select(holds.c.account_id).where(
        holds.c.id == hold_id, holds.c.tenant_id == tenant_id)).scalar_one_or_none()
    return None if value is None else int(value)


# Checks --------------------------------------------------------------------------------------

def reconcile(conn: Connection, tenant_id: int | None = None) -> list[dict[str, Any]]:
    """Accounts whose cached balance disagrees with their postings or their open lots, and
    tenants whose postings do not sum to zero. Empty when the ledger is consistent."""
    posted = (select(postings.c.account_id, func.sum(postings.c.amount).label("total"))
              .group_by(postings.c.account_id).subquery())
    in_lots = (select(lots.c.account_id, func.sum(lots.c.remaining).label("total"))
               .where(lots.c.remaining > 0).group_by(lots.c.account_id).subquery())
    query = (
        select(accounts.c.id, accounts.c.tenant_id, accounts.c.member_id, accounts.c.balance,
               accounts.c.debt, func.coalesce(posted.c.total, 0).label("posted"),
               func.coalesce(in_lots.c.total, 0).label("in_lots"))
        .outerjoin(posted, posted.c.account_id == accounts.c.id)
        .outerjoin(in_lots, in_lots.c.account_id == accounts.c.id)
        .where(accounts.c.member_id.is_not(None))
        .where(case(
            (accounts.c.balance != func.coalesce(posted.c.total, 0), 1),
            (accounts.c.balance != func.coalesce(in_lots.c.total, 0) - accounts.c.debt, 1),
            (and_(accounts.c.balance < 0, accounts.c.debt == 0), 1),
            else_=0) == 1)
    )
    if tenant_id is not None:
        query = query.where(accounts.c.tenant_id == tenant_id)
    problems: list[dict[str, Any]] = [
        {"kind": "account", "account_id": r.id, "tenant_id": r.tenant_id,
         "member_id": r.member_id, "balance": r.balance, "posted": int(r.posted),
         "in_lots": int(r.in_lots), "debt": r.debt}
        for r in conn.execute(query)
    ]
    sums = select(postings.c.tenant_id, func.sum(postings.c.amount).label("total")) \
        .group_by(postings.c.tenant_id).having(func.sum(postings.c.amount) != 0)
    if tenant_id is not None:
        sums = sums.where(postings.c.tenant_id == tenant_id)
    problems += [{"kind": "tenant", "tenant_id": r.tenant_id, "total": int(r.total)}
                 for r in conn.execute(sums)]
    unbalanced = (select(postings.c.entry_id).group_by(postings.c.entry_id)
                  .having(func.sum(postings.c.amount) != 0))
    if tenant_id is not None:
        unbalanced = unbalanced.where(postings.c.tenant_id == tenant_id)
    problems += [{"kind": "entry", "entry_id": r.entry_id} for r in conn.execute(unbalanced)]
    return problems
