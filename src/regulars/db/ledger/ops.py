"""The ledger's write path: the only module the services call to change the ledger.

Each operation is named for what it does and writes, in the caller's transaction, everything
it changes together: the entry (keyed by its idempotency key, unique per tenant), its
balanced postings, the lots and lot moves, and the member account's cached balance, held
points and debt. Callers say what should happen; they never assemble postings nor look up
system accounts. Every operation takes the :class:`~regulars.domain.ledger.assets.Asset` it moves
(points unless told); all postings of an entry are of that asset, and an account of another
asset or tenant is refused (:class:`~regulars.domain.ledger.assets.MixedAssets`).

Failure modes are listed on each operation. Any raised exception leaves the transaction to
roll back whole (no function here commits), so nothing is ever half-written. Common to all
writes of an entry: ``ValueError`` for an amount that is not positive (or zero, for
:func:`adjust`), :class:`MixedAssets`, and the database's unique violation when ``key`` was
used before in this tenant (a replay is the caller's to detect first).

The statements live in :mod:`regulars.db.ledger.ledger` (journal), :mod:`regulars.db.ledger.lots`
(lots), :mod:`regulars.db.ledger.holds` (holds) and :mod:`regulars.db.ledger.expiry` (expiry
batches); ``tests/unit/test_ledger_write_path.py`` fails if any other module writes the
ledger's tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from regulars.db.analytics import days
from regulars.db.ledger import expiry, ledger
from regulars.db.ledger import holds as ledger_holds
from regulars.db.ledger import lots as ledger_lots
from regulars.db.ledger.ledger import AccountState, EntryContext, EntryRecord, Shortfall
from regulars.db.ledger.lots import Lead
from regulars.db.ledger.tables import entries
from regulars.domain.ledger.assets import POINTS, Asset, MixedAssets
from regulars.domain.ledger.ledger import EntryCode, Posting, SystemAccount

__all__ = [
    "POINTS", "AccountState", "Asset", "EntryContext", "EntryRecord", "Lead", "MixedAssets",
    "Reversal", "Shortfall",
    "Earning", "account_state", "adjust", "any_due", "capture_hold", "count_due_lots", "earn",
    "earn_many", "ensure_account", "member_account_ids",
    "entry_memos", "expire", "expiry_batches", "hold", "hold_account", "lock_accounts",
    "lot_gone", "moves_of", "open_account", "open_accounts", "open_bearer_account",
    "open_system_accounts", "Paid", "pay", "pay_led", "receipt_entries", "reconcile",
    "release_hold", "restore", "reverse", "spend", "transfer",
]

# Reads the write path shares with its callers (no writes).
account_state = ledger.account_state
member_account_ids = ledger.member_account_ids
entry_memos = ledger.entry_memos
receipt_entries = ledger.receipt_entries
reconcile = ledger.reconcile
lock_accounts = ledger.lock_accounts
moves_of = ledger_lots.moves_of
lot_gone = ledger_lots.lot_gone
hold_account = ledger_holds.hold_account
any_due = expiry.any_due
count_due_lots = expiry.count_due_lots
expiry_batches = expiry.batch_bounds
LAST_ACCOUNT = expiry.LAST


def _positive(amount: int) -> None:
    if amount <= 0:
        raise ValueError("an amount to move must be positive")


# Accounts ------------------------------------------------------------------------------------

def open_system_accounts(conn: Connection, tenant_id: int, *, asset: Asset = POINTS) -> None:
    """Create the tenant's system accounts of ``asset``. Raises the database's unique
    violation if the tenant has them already."""
    ledger.create_system_accounts(conn, tenant_id, asset)


def open_account(conn: Connection, tenant_id: int, member_id: int, *,
                 asset: Asset = POINTS) -> int:
    """Create a member's account of ``asset`` (balance zero); its id. Raises the database's
    unique violation if the member has one already."""
    return ledger.create_member_account(conn, tenant_id, member_id, asset)


def ensure_account(conn: Connection, tenant_id: int, member_id: int, *, asset: Asset) -> int:
    """The member's account of ``asset``, opened (balance zero) when the member has none;
    its id. Safe against a concurrent opening of the same account: the second waits for the
    first and finds its row. Raises nothing of its own."""
    return ledger.ensure_member_account(conn, tenant_id, member_id, asset)


def open_bearer_account(conn: Connection, tenant_id: int, *, asset: Asset) -> int:
    """Create an account of ``asset`` that belongs to no member (a gift certificate, a bearer
    card), balance zero; its id. The other operations treat it as a member account (lots,
    debits guarded by the balance), with no member on its entries."""
    return ledger.create_bearer_account(conn, tenant_id, asset)


def open_accounts(conn: Connection, tenant_id: int, member_ids: list[int], *,
                  asset: Asset = POINTS) -> list[int]:
    """:func:`open_account` for many members in one batch (an import's); the ids in order."""
    return ledger.create_member_accounts(conn, tenant_id, member_ids, asset)


# Into a member's account ---------------------------------------------------------------------

def earn(conn: Connection, ctx: EntryContext, *, key: str, account_id: int, amount: int,
         available_at: datetime, expires_at: datetime | None, memo: dict[str, Any],
         code: EntryCode = EntryCode.EARN, source: SystemAccount = SystemAccount.ISSUED,
         asset: Asset = POINTS) -> int:
    """Credit ``amount`` to a member account from the tenant's ``source`` account: one entry,
    debt repaid first, the rest in a new lot spendable from ``available_at`` and expiring at
    ``expires_at`` (``None``: never). Returns the entry id.

    Raises the common failures only (see the module docstring).
    """
    _positive(amount)
    entry_id = ledger.write_entry(
        conn, ctx, code=code, key=key, member_points=amount, memo=memo, asset=asset,
        postings_=[Posting(ledger.system_account_id(conn, ctx.tenant_id, source, asset),
                           -amount),
                   Posting(account_id, amount)])
    ledger_lots.credit(conn, ctx.tenant_id, account_id, entry_id, amount,
                       available_at=available_at, expires_at=expires_at)
    return entry_id


@dataclass(frozen=True, kw_only=True)
class Earning:
    """One credit of :func:`earn_many`: what :func:`earn` takes for one account."""

    ctx: EntryContext
    key: str
    account_id: int
    amount: int
    available_at: datetime
    expires_at: datetime | None
    memo: dict[str, Any]


def earn_many(conn: Connection, tenant_id: int, earnings: Sequence[Earning], *,
              code: EntryCode = EntryCode.EARN, source: SystemAccount = SystemAccount.ISSUED,
              asset: Asset = POINTS) -> list[int]:
    """:func:`earn` for many credits of one tenant (a history written in bulk), with the same
    result as calling it for each in order: the entries, their postings, lots, lot moves and
    balances in a few statements whatever their number. The accounts are locked in id order
    first; an account in debt takes its credits one by one through :func:`earn` (debt repaid
    first). Returns the entry ids in order.

    Raises ``ValueError`` for an amount that is not positive or a credit of another tenant,
    :class:`MixedAssets` for an account that is not a member's (or bearer) account of
    ``asset`` in this tenant, and the database's unique violation when a key was used before
    (or twice in ``earnings``).
    """
    for earning in earnings:
        _positive(earning.amount)
        if earning.ctx.tenant_id != tenant_id:
            raise ValueError("every credit of a batch belongs to its tenant")
    if not earnings:
        return []
    debts = ledger.account_debts(conn, tenant_id, [e.account_id for e in earnings], asset)
    plain = [e for e in earnings if not debts[e.account_id]]
    system_id = ledger.system_account_id(conn, tenant_id, source, asset)
    ids = ledger.write_entries(conn, tenant_id, [ledger.NewEntry(
        ctx=e.ctx, code=code, key=e.key, member_points=e.amount, memo=e.memo,
        postings=(Posting(system_id, -e.amount), Posting(e.account_id, e.amount)))
        for e in plain], asset)
    ledger_lots.credit_many(conn, tenant_id, [
        (e.account_id, entry_id, e.amount, e.available_at, e.expires_at)
        for e, entry_id in zip(plain, ids, strict=True)])
    by_earning = {id(e): entry_id for e, entry_id in zip(plain, ids, strict=True)}
    for e in earnings:
        if debts[e.account_id]:
            by_earning[id(e)] = earn(conn, e.ctx, key=e.key, account_id=e.account_id,
                                     amount=e.amount, available_at=e.available_at,
                                     expires_at=e.expires_at, memo=e.memo, code=code,
                                     source=source, asset=asset)
    return [by_earning[id(e)] for e in earnings]


def restore(conn: Connection, ctx: EntryContext, *, key: str, account_id: int,
            moves: Sequence[tuple[int, int]], now: datetime,
            fresh_expires_at: datetime | None, memo: dict[str, Any], code: EntryCode,
            source: SystemAccount = SystemAccount.REDEEMED, asset: Asset = POINTS) -> int:
    """Give back what a spend took (a refund or void of it): one entry from ``source`` for
    the sum of ``moves`` ((lot id, amount) in the order to refill, listed in the memo as
    ``lots``); debt is repaid first, then the lots the spend took from are refilled, and what
    belonged to a lot that has expired since goes into one new lot expiring at
    ``fresh_expires_at``. Returns the entry id.

    Raises the common failures only.
    """
    amount = sum(part for _, part in moves)
    _positive(amount)
    entry_id = ledger.write_entry(
        conn, ctx, code=code, key=key, member_points=amount, asset=asset,
        memo={"lots": [list(move) for move in moves], **memo},
        postings_=[Posting(ledger.system_account_id(conn, ctx.tenant_id, source, asset),
                           -amount),
                   Posting(account_id, amount)])
    ledger_lots.restore(conn, ctx.tenant_id, account_id, entry_id, moves, now=now,
                        fresh_expires_at=fresh_expires_at)
    return entry_id


# Out of a member's account -------------------------------------------------------------------

def spend(conn: Connection, ctx: EntryContext, *, key: str, account_id: int, amount: int,
          now: datetime, memo: dict[str, Any], held: int = 0,
          code: EntryCode = EntryCode.SPEND, sink: SystemAccount = SystemAccount.REDEEMED,
          asset: Asset = POINTS) -> int | None:
    """Spend ``amount`` (zero: nothing) from a member account into ``sink``, soonest-expiring
    spendable lots first; ``held`` is a captured hold for this spend, which the spend uses up
    first and whose rest it frees. Returns the entry id (``None`` when ``amount`` is zero).

    Raises :class:`Shortfall` when the balance, less other live holds, or the spendable lots,
    less other holds and debt, cannot cover ``amount``; and the common failures.
    """
    entry_id = None
    if amount:
        entry_id = pay(conn, ctx, key=key, account_id=account_id, amount=amount, now=now,
                       memo=memo, held=min(held, amount), code=code, sink=sink,
                       asset=asset).entry_id
    if held > amount:
        ledger_holds.unhold(conn, account_id, held - amount)
    return entry_id


@dataclass(frozen=True, kw_only=True)
class Paid:
    """What :func:`pay` wrote: its entry, and the account's balance after it."""

    entry_id: int
    balance: int


def pay(conn: Connection, ctx: EntryContext, *, key: str, account_id: int, amount: int,
        now: datetime, memo: dict[str, Any], held: int = 0,
        code: EntryCode = EntryCode.SPEND, sink: SystemAccount = SystemAccount.REDEEMED,
        asset: Asset = POINTS, record: EntryRecord | None = None) -> Paid:
    """:func:`spend` of a positive ``amount`` (``held``: the part of a captured hold it uses
    up, at most ``amount``) that also tells the balance it left, read by the debit itself
    (a tender's answer shows what the certificate or wallet has left), and writes
    ``record`` (the caller's row naming the entry, a receipt's tender) with the entry: on
    PostgreSQL in the entry's own statement.

    Raises :class:`Shortfall` as :func:`spend` does; and the common failures, with the
    record's own (its table's constraints).
    """
    _positive(amount)
    debit = ledger_lots.debit(conn, ctx.tenant_id, account_id, amount, now, asset=asset,
                              release_held=held)
    entry_id = ledger_lots.write_spend(
        conn, ctx, code=code, key=key, member_points=-amount, memo=memo, asset=asset,
        postings_=[Posting(account_id, -amount),
                   Posting(ledger.system_account_id(conn, ctx.tenant_id, sink, asset),
                           amount)], debit_=debit, record=record)
    return Paid(entry_id=entry_id, balance=debit.balance)


def pay_led(conn: Connection, ctx: EntryContext, *, lead: Lead, key: str, amount: int,
            now: datetime, memo: dict[str, Any], code: EntryCode, sink: SystemAccount,
            asset: Asset, record: Callable[[Row[Any]], EntryRecord]
            ) -> tuple[Paid, Row[Any]] | None:
    """:func:`pay` from the account ``lead`` names, the lead (a certificate taken by its
    digest, its use counted) and the guarded debit in one statement (PostgreSQL), the lots
    chosen and taken by the entry's statement, the next; ``record(row)`` gives the caller's
    row naming the entry from the lead's row, or raises to refuse it (before anything else
    is written). Returns what was paid and the lead's row; ``None`` when the lead found no
    row or the account holds too little (what the lead changed stands until the
    transaction rolls back: the caller says why and raises).

    Raises :class:`Shortfall` when the spendable lots, less holds and debt, cannot cover
    ``amount``; what ``record`` raises; and the common failures.
    """
    _positive(amount)
    row = ledger_lots.debit_led(conn, ctx.tenant_id, lead, amount, now, asset=asset)
    if row is None:
        return None
    recorded = record(row)
    balance = int(row.debit_balance)
    entry_id = ledger_lots.write_spend_choosing(
        conn, ctx, code=code, key=key, member_points=-amount, memo=memo, asset=asset,
        postings_=[Posting(row.account_id, -amount),
                   Posting(ledger.system_account_id(conn, ctx.tenant_id, sink, asset),
                           amount)], record=recorded, debit_=ledger_lots.Unchosen(
            account_id=row.account_id, points=amount, now=now, held=int(row.debit_held),
            debt=int(row.debit_debt)))
    return Paid(entry_id=entry_id, balance=balance), row


@dataclass(frozen=True, kw_only=True)
class Reversal:
    """What :func:`reverse` wrote: its entry, and the debt it left the member in."""

    entry_id: int
    debt: int


def reverse(conn: Connection, ctx: EntryContext, *, key: str, account_id: int, amount: int,
            now: datetime, origin_lot_id: int | None, allow_debt: bool,
            memo: dict[str, Any], code: EntryCode,
            sink: SystemAccount = SystemAccount.ISSUED, reverses_entry_id: int | None = None,
            asset: Asset = POINTS) -> Reversal:
    """Take back ``amount`` a member was credited (a refunded accrual, a reversed reward) into
    ``sink``: from the lot the credit created (``origin_lot_id``) first, then other open lots
    soonest-expiring first, then, if ``allow_debt``, as debt.

    Raises :class:`Shortfall` when debt would be needed and is not allowed; and the common
    failures.
    """
    _positive(amount)
    entry_id = ledger.write_entry(
        conn, ctx, code=code, key=key, member_points=-amount, memo=memo, asset=asset,
        reverses_entry_id=reverses_entry_id,
        postings_=[Posting(account_id, -amount),
                   Posting(ledger.system_account_id(conn, ctx.tenant_id, sink, asset),
                           amount)])
    debt = ledger_lots.take_back(conn, ctx.tenant_id, account_id, entry_id, amount,
                                 origin_lot_id, now, allow_debt=allow_debt)
    return Reversal(entry_id=entry_id, debt=debt)


def adjust(conn: Connection, ctx: EntryContext, *, key: str, account_id: int, amount: int,
           now: datetime, expires_at: datetime | None, memo: dict[str, Any],
           asset: Asset = POINTS) -> int:
    """Add (``amount`` > 0, in a new lot spendable at once and expiring at ``expires_at``) or
    take away (< 0, soonest-expiring lots first, never into debt) by hand, against the
    tenant's ``adjusted`` account. Returns the entry id.

    Raises ``ValueError`` for zero, :class:`Shortfall` when taking more than the member's
    open lots hold; and the common failures.
    """
    if amount == 0:
        raise ValueError("an adjustment must not be zero")
    entry_id = ledger.write_entry(
        conn, ctx, code=EntryCode.ADJUST, key=key, member_points=amount, memo=memo,
        asset=asset,
        postings_=[Posting(ledger.system_account_id(conn, ctx.tenant_id,
                                                    SystemAccount.ADJUSTED, asset), -amount),
                   Posting(account_id, amount)])
    if amount > 0:
        ledger_lots.credit(conn, ctx.tenant_id, account_id, entry_id, amount,
                           available_at=now, expires_at=expires_at)
    else:
        ledger_lots.take_back(conn, ctx.tenant_id, account_id, entry_id, -amount, None, now,
                              allow_debt=False)
    return entry_id


# Between member accounts ---------------------------------------------------------------------

def transfer(conn: Connection, ctx: EntryContext, *, key: str, source_account_id: int,
             target_account_id: int, memo: Callable[[int], dict[str, Any]],
             code: EntryCode = EntryCode.MERGE, asset: Asset = POINTS) -> int | None:
    """Move everything from one member account to another (a merge): open and spent lots
    (keeping their dates, so later refunds find them), debt and the cached balance; the
    source's holds are released. One entry for the balance moved, with the memo
    ``memo(balance)``; none when the balance was zero. Returns the entry id or ``None``.

    Locks both accounts in id order. Raises :class:`MixedAssets` when the two accounts are
    not both of ``asset``, and the common failures.
    """
    ledger.check_accounts(conn, ctx.tenant_id, (source_account_id, target_account_id), asset)
    moved = ledger_lots.merge_accounts(conn, ctx.tenant_id, source_account_id,
                                       target_account_id)
    if not moved:
        return None
    return ledger.write_entry(
        conn, ctx, code=code, key=key, member_points=moved, memo=memo(moved), asset=asset,
        postings_=[Posting(source_account_id, -moved), Posting(target_account_id, moved)])


def expire(conn: Connection, tenant_id: int, *, after: int, upto: int, now: datetime,
           asset: Asset = POINTS) -> tuple[int, int, int]:
    """Expire every lot of ``asset`` due at ``now`` in the member accounts with ids after
    ``after`` up to ``upto`` (a batch from :func:`expiry_batches`), into the tenant's
    ``expired`` account: one ``expire`` entry per account for all its due lots, keyed by
    :func:`~regulars.domain.ledger.ledger.expiry_key`. Returns (lots, amount, entries written).

    Locks the accounts in id order first. Raises the database's unique violation if an
    entry's key exists already, and ``RuntimeError`` if PostgreSQL wrote other counts than it
    planned.
    """
    system_id = ledger.system_account_id(conn, tenant_id, SystemAccount.EXPIRED, asset)
    done = expiry.expire_range(conn, tenant_id, system_id, after, upto, now=now,
                               code=EntryCode.EXPIRE, asset=asset)
    if asset.code == POINTS.code:  # the figures count points only
        days.add_expired(conn, tenant_id, at=now, points=done[1])
    return done


# Holds ---------------------------------------------------------------------------------------

def hold(conn: Connection, tenant_id: int, account_id: int, amount: int, *,
         terminal_id: int | None, now: datetime, expires_at: datetime) -> int:
    """Reserve ``amount`` of a member account for a later :func:`spend` until ``expires_at``;
    the hold's id. Releases the account's lapsed holds first. Raises :class:`Shortfall` when
    the amount is not free (balance or spendable lots less holds and debt)."""
    return ledger_holds.place_hold(conn, tenant_id, account_id, amount,
                                   terminal_id=terminal_id, now=now, expires_at=expires_at)


def capture_hold(conn: Connection, tenant_id: int, hold_id: int, account_id: int,
                 now: datetime) -> int:
    """Mark an open, unexpired hold captured for the spend that follows (pass the result as
    :func:`spend`'s ``held``); its amount, 0 when it is gone. Raises nothing."""
    return ledger_holds.capture_hold(conn, tenant_id, hold_id, account_id, now)


def release_hold(conn: Connection, tenant_id: int, hold_id: int,
                 terminal_id: int | None) -> bool:
    """Release an open hold of this till (any till's when ``terminal_id`` is None).
    ``False`` when the hold is unknown to the tenant or another till's; a hold already
    captured, released or expired is left as it is."""
    return ledger_holds.release_hold(conn, tenant_id, hold_id, terminal_id)


# Reads for the events of a run ----------------------------------------------------------------

def last_entry_id(conn: Connection, tenant_id: int) -> int:
    """The tenant's newest entry id (0 for none): where a run's own entries start after."""
    return int(conn.execute(select(func.coalesce(func.max(entries.c.id), 0))
                            .where(entries.c.tenant_id == tenant_id)).scalar_one())


def expired_since(conn: Connection, tenant_id: int, *, after_entry_id: int,
                  now: datetime) -> list[tuple[int, int, int]]:
    """(entry id, member id, points) of the expiry entries written at ``now`` after
    ``after_entry_id``: what an expiry batch took from each member."""
    e = entries
    rows = conn.execute(select(e.c.id, e.c.member_id, e.c.points).where(
        e.c.tenant_id == tenant_id, e.c.id > after_entry_id,
        e.c.code == EntryCode.EXPIRE.value, e.c.recorded_at == now,
        e.c.member_id.is_not(None)).order_by(e.c.id))
    return [(int(i), int(m), abs(int(p))) for i, m, p in rows]
