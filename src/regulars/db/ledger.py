"""The ledger's journal: accounts, entries and postings, in the caller's transaction, and
the check that balances, postings and lots agree.

Points move through the modules beside this one, which share :class:`Shortfall` and
:class:`EntryContext`: :mod:`regulars.db.ledger_lots` (credit, debit, restore, take back,
merge), :mod:`regulars.db.ledger_holds` (holds placed at quote time) and
:mod:`regulars.db.ledger_spendable` (what a member may spend). No function here commits.

Failure modes of each write are listed in its docstring; all raise before anything is left
half-written, because the caller's unit of work rolls back on any exception.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, insert, select, text

from regulars.db.engine import cache_for
from regulars.db.tables import accounts, entries, lots, postings
from regulars.domain.ledger import EntryCode, Posting, SystemAccount, check_balanced

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


def lock_accounts(conn: Connection, account_ids: Sequence[int]) -> None:
    """Take the row locks of these accounts, in id order: the order every writer that holds
    more than one takes (an expiry batch locks a range of accounts in id order), so two
    writers wait for each other instead of deadlocking. ``FOR NO KEY UPDATE``, the lock an
    ``UPDATE`` takes: ``FOR UPDATE`` would also wait for the key-share locks that other
    writers' postings hold on the row. A writer locks an account before reading its lots. On
    SQLite the write transaction already excludes every other writer."""
    conn.execute(select(accounts.c.id).where(accounts.c.id.in_(sorted(set(account_ids))))
                 .order_by(accounts.c.id).with_for_update(key_share=True)).all()


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
    (see :func:`~regulars.db.ledger_lots.credit` and :func:`~regulars.db.ledger_lots.debit`),
    which move them in the same transaction.
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


def entry_memos(conn: Connection, tenant_id: int, entry_ids: Sequence[int]
                ) -> dict[int, dict[str, Any]]:
    if not entry_ids:
        return {}
    return {row.id: dict(row.memo) for row in conn.execute(
        select(entries.c.id, entries.c.memo).where(entries.c.tenant_id == tenant_id,
                                                   entries.c.id.in_(list(entry_ids))))}


def receipt_entries(conn: Connection, tenant_id: int, receipt_id: int) -> list[tuple[int, str]]:
    """(entry id, code) of every entry a receipt produced, oldest first."""
    rows = conn.execute(select(entries.c.id, entries.c.code).where(
        entries.c.tenant_id == tenant_id, entries.c.receipt_id == receipt_id)
        .order_by(entries.c.id)).all()
    return [(r.id, r.code) for r in rows]


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
