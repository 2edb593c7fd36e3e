"""Ledger writes: entries, postings, lots and holds, in the caller's transaction.

Limits hold under concurrency because every debit is a conditional update of the member's
account row (``WHERE balance - held >= :points``): it takes the row lock, so the lot
bookkeeping that follows runs for one writer at a time per member. No function here commits.

Failure modes of each write are listed in its docstring; all raise before anything is left
half-written, because the caller's unit of work rolls back on any exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, insert, select, update

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
    """The id of a tenant's system account (one indexed look-up)."""
    return int(conn.execute(
        select(accounts.c.id).where(accounts.c.tenant_id == tenant_id,
                                    accounts.c.system_code == code.value,
                                    accounts.c.asset == ASSET)
    ).scalar_one())


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


def open_lots(conn: Connection, tenant_id: int, account_id: int) -> list[Lot]:
    rows = conn.execute(
        select(lots.c.id, lots.c.remaining, lots.c.available_at, lots.c.expires_at)
        .where(lots.c.tenant_id == tenant_id, lots.c.account_id == account_id,
               lots.c.remaining > 0)
    ).all()
    return [Lot(id=r.id, remaining=r.remaining, available_at=r.available_at,
                expires_at=r.expires_at) for r in rows]


def spendable_points(conn: Connection, tenant_id: int, state: AccountState,
                     now: datetime) -> int:
    """Points the member may spend at ``now``: spendable lots less holds and debt."""
    lot_sum = conn.execute(
        select(func.coalesce(func.sum(lots.c.remaining), 0))
        .where(lots.c.tenant_id == tenant_id, lots.c.account_id == state.id,
               lots.c.remaining > 0, lots.c.available_at <= now,
               (lots.c.expires_at.is_(None)) | (lots.c.expires_at > now))
    ).scalar_one()
    return max(0, int(lot_sum) - state.held - state.debt)


def write_entry(conn: Connection, ctx: EntryContext, *, code: EntryCode, key: str,
                postings_: Sequence[Posting], member_points: int, memo: dict[str, Any],
                reverses_entry_id: int | None = None) -> int:
    """Insert one balanced entry and its postings; return the entry id.

    Raises ``ValueError`` if the postings do not balance, and the database's unique violation
    if ``key`` was used before in this tenant. Cached member balances are the caller's job
    (see :func:`credit` and :func:`debit`), which move them in the same transaction.
    """
    check_balanced(postings_)
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


def credit(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int, *,
           available_at: datetime, expires_at: datetime | None) -> int | None:
    """Add ``points`` to a member account: repay debt first, put the rest in a new lot.

    Returns the new lot's id (``None`` when everything went to debt).
    """
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


def debit(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int,
          now: datetime, *, release_held: int = 0) -> None:
    """Spend ``points`` from a member account, soonest-expiring spendable lots first.

    ``release_held`` is the part of a captured hold this spend consumes (it is already counted
    in ``held``). Raises :class:`Shortfall` when the balance less other holds, or the
    spendable lots, cannot cover ``points``.
    """
    guard = accounts.c.balance - (accounts.c.held - release_held) >= points
    changed = conn.execute(
        update(accounts).where(accounts.c.id == account_id, guard)
        .values(balance=accounts.c.balance - points, held=accounts.c.held - release_held)
    ).rowcount
    if changed != 1:
        raise Shortfall("not enough points")
    # The row lock taken above serialises the lot bookkeeping for this member.
    try:
        taken = take_fefo(open_lots(conn, tenant_id, account_id), points, now)
    except ValueError as exc:
        raise Shortfall(str(exc)) from exc
    _take_from_lots(conn, tenant_id, entry_id, taken)


def restore(conn: Connection, tenant_id: int, account_id: int, entry_id: int,
            moves: Sequence[tuple[int, int]]) -> None:
    """Give points back to the lots they were taken from (a reversed spend).

    ``moves`` are (lot id, points). Debt is repaid first, then lots refill in order.
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
    to_skip = repaid
    for lot_id, points in moves:
        skip = min(to_skip, points)
        to_skip -= skip
        back = points - skip
        if back:
            conn.execute(update(lots).where(lots.c.id == lot_id)
                         .values(remaining=lots.c.remaining + back))
            conn.execute(insert(lot_moves).values(tenant_id=tenant_id, entry_id=entry_id,
                                                  lot_id=lot_id, amount=back))


def take_back(conn: Connection, tenant_id: int, account_id: int, entry_id: int, points: int,
              origin_lot_id: int | None, now: datetime, *, allow_debt: bool) -> int:
    """Take ``points`` back from a member (a reversed accrual); return the debt it created.

    Takes from the accrual's own lot first, then other open lots, then (only if
    ``allow_debt``) leaves debt. Raises :class:`Shortfall` when debt would be needed but is
    not allowed.
    """
    plan = plan_reversal(open_lots(conn, tenant_id, account_id), points, origin_lot_id, now)
    if plan.debt and not allow_debt:
        raise Shortfall(f"{plan.debt} of the points were already spent")
    conn.execute(update(accounts).where(accounts.c.id == account_id)
                 .values(balance=accounts.c.balance - points,
                         debt=accounts.c.debt + plan.debt))
    _take_from_lots(conn, tenant_id, entry_id, list(plan.from_lots))
    return plan.debt


def _take_from_lots(conn: Connection, tenant_id: int, entry_id: int,
                    taken: Sequence[tuple[int, int]]) -> None:
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


def count_due_lots(conn: Connection, now: datetime) -> int:
    return int(conn.execute(select(func.count()).select_from(lots).where(
        lots.c.remaining > 0, lots.c.expires_at <= now)).scalar_one())


def due_lots(conn: Connection, tenant_id: int, now: datetime,
             limit: int) -> list[tuple[int, int, int, int]]:
    """(lot id, account id, member id, remaining) of lots due at ``now``, locked."""
    rows = conn.execute(
        select(lots.c.id, lots.c.account_id, accounts.c.member_id, lots.c.remaining)
        .join(accounts, accounts.c.id == lots.c.account_id)
        .where(lots.c.tenant_id == tenant_id, lots.c.remaining > 0,
               lots.c.expires_at <= now)
        .order_by(lots.c.id).limit(limit).with_for_update(of=lots)
    ).all()
    return [(r.id, r.account_id, r.member_id, r.remaining) for r in rows]


def write_expiries(conn: Connection, tenant_id: int, system_id: int,
                   by_account: dict[tuple[int, int], list[tuple[int, int]]], *,
                   now: datetime, code: EntryCode) -> int:
    """One balanced entry per member for the lots given (lot id, remaining); set the lots
    to zero and reduce the cached balances. Returns the number of entries written."""
    items = list(by_account.items())
    entry_rows = []
    for (_, member_id), lot_list in items:
        points = sum(r for _, r in lot_list)
        entry_rows.append({
            "tenant_id": tenant_id, "code": code.value,
            "idempotency_key": f"expire:lot:{min(i for i, _ in lot_list)}",
            "member_id": member_id, "points": -points, "occurred_at": now,
            "recorded_at": now,
            "memo": {"lots": [[i, r] for i, r in lot_list],
                     "why": [{"code": "expire", "params": {"points": points}}]},
        })
    ids = conn.execute(insert(entries).returning(entries.c.id, sort_by_parameter_order=True),
                       entry_rows).scalars().all()
    posting_rows = []
    for entry_id, ((account_id, _), lot_list) in zip(ids, items, strict=True):
        points = sum(r for _, r in lot_list)
        posting_rows.append({"tenant_id": tenant_id, "entry_id": entry_id,
                             "account_id": account_id, "amount": -points})
        posting_rows.append({"tenant_id": tenant_id, "entry_id": entry_id,
                             "account_id": system_id, "amount": points})
    conn.execute(insert(postings), posting_rows)
    lot_ids = [lot_id for _, lot_list in items for lot_id, _ in lot_list]
    conn.execute(update(lots).where(lots.c.id.in_(lot_ids)).values(remaining=0))
    conn.execute(
        update(accounts).where(accounts.c.id == bindparam("acct"))
        .values(balance=accounts.c.balance - bindparam("pts")),
        [{"acct": account_id, "pts": sum(r for _, r in lot_list)}
         for (account_id, _), lot_list in items])
    return len(ids)


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
                               accounts.c.balance - accounts.c.held - accounts.c.debt >= points)
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
    """Release an open hold; ``False`` if it is unknown, not this till's, or already closed."""
    conditions = [holds.c.id == hold_id, holds.c.tenant_id == tenant_id,
                  holds.c.status == "open"]
    if terminal_id is not None:
        conditions.append(holds.c.terminal_id == terminal_id)
    row = conn.execute(update(holds).where(and_(*conditions)).values(status="released")
                       .returning(holds.c.points, holds.c.account_id)).one_or_none()
    if row is None:
        return False
    conn.execute(update(accounts).where(accounts.c.id == row.account_id)
                 .values(held=accounts.c.held - row.points))
    return True


def hold_exists(conn: Connection, tenant_id: int, hold_id: int) -> bool:
    return conn.execute(select(holds.c.id).where(holds.c.id == hold_id,
                                                 holds.c.tenant_id == tenant_id)
                        ).first() is not None


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
