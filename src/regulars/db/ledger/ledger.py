"""The ledger's journal: accounts, entries and postings, in the caller's transaction, and
the check that balances, postings and lots agree for every tenant and asset.

This module and the ones beside it are the ledger's write path; their public face is
:mod:`regulars.db.ledger.ops`, the only module the services call to write the ledger. They
share :class:`Shortfall` and :class:`EntryContext`: :mod:`regulars.db.ledger.lots` (credit,
debit, restore, take back, merge), :mod:`regulars.db.ledger.holds` (holds placed at quote
time), :mod:`regulars.db.ledger.expiry` (the expiry batches) and :mod:`regulars.db.ledger.spendable`
(what a member may spend, reads only). No function here commits.

Failure modes of each write are listed in its docstring; all raise before anything is left
half-written, because the caller's unit of work rolls back on any exception.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, case, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db import arrays
from regulars.db.analytics import days
from regulars.db.bulk import copy_returning_ids, insert_returning_ids
from regulars.db.engine import cache_for
from regulars.db.ledger.tables import accounts, entries, lots, postings
from regulars.domain.ledger.assets import POINTS, Asset, MixedAssets
from regulars.domain.ledger.ledger import EntryCode, Posting, SystemAccount, check_balanced

ASSET = POINTS.code


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


@dataclass(frozen=True, kw_only=True)
class EntryRecord:
    """A row of the caller's own table that records an entry (a receipt's tender), written
    with it: ``values`` for its columns, and its ``entry_id`` column set to the entry's id."""

    table: Table
    values: dict[str, Any]


def create_system_accounts(conn: Connection, tenant_id: int, asset: Asset = POINTS) -> None:
    """The tenant's system accounts of ``asset``. Raises the database's unique violation if
    they exist already."""
    conn.execute(insert(accounts), [
        {"tenant_id": tenant_id, "system_code": code.value, "asset": asset.code}
        for code in asset.system_accounts
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


def system_account_id(conn: Connection, tenant_id: int, code: SystemAccount,
                      asset: Asset = POINTS) -> int:
    """The id of a tenant's system account of ``asset`` (looked up once per engine: it never
    changes). Raises ``NoResultFound`` if the tenant has no such account."""
    cache = cache_for(conn)
    key = ("system_account", tenant_id, code.value, asset.code)
    found = cache.get(key)
    if isinstance(found, int):
        return found
    account_id = int(conn.execute(
        select(accounts.c.id).where(accounts.c.tenant_id == tenant_id,
                                    accounts.c.system_code == code.value,
                                    accounts.c.asset == asset.code)
    ).scalar_one())
    cache[key] = account_id
    return account_id


def check_accounts(conn: Connection, tenant_id: int, account_ids: Sequence[int],
                   asset: Asset) -> None:
    """Raise :class:`MixedAssets` unless every account is of ``asset`` in this tenant."""
    wanted = set(account_ids)
    found = conn.execute(select(func.count()).select_from(accounts).where(
        accounts.c.tenant_id == tenant_id, accounts.c.asset == asset.code,
        accounts.c.id.in_(sorted(wanted)))).scalar_one()
    if found != len(wanted):
        raise MixedAssets(f"the accounts are not all of asset {asset.code!r} in this tenant")


def create_member_account(conn: Connection, tenant_id: int, member_id: int,
                          asset: Asset = POINTS) -> int:
    return int(conn.execute(
        insert(accounts).values(tenant_id=tenant_id, member_id=member_id, asset=asset.code)
        .returning(accounts.c.id)
    ).scalar_one())


def ensure_member_account(conn: Connection, tenant_id: int, member_id: int,
                          asset: Asset) -> int:
    """The member's account of ``asset``, created when missing (``ON CONFLICT DO NOTHING``:
    of two transactions creating it at once, the second waits for the first and finds its
    row). Its id."""
    values = {"tenant_id": tenant_id, "member_id": member_id, "asset": asset.code}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(accounts).values(values).on_conflict_do_nothing(
        index_elements=[accounts.c.tenant_id, accounts.c.member_id, accounts.c.asset]))
    return int(conn.execute(select(accounts.c.id).where(
        accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id,
        accounts.c.asset == asset.code)).scalar_one())


def create_bearer_account(conn: Connection, tenant_id: int, asset: Asset) -> int:
    return int(conn.execute(
        insert(accounts).values(tenant_id=tenant_id, member_id=None, asset=asset.code)
        .returning(accounts.c.id)
    ).scalar_one())


def create_member_accounts(conn: Connection, tenant_id: int, member_ids: list[int],
                           asset: Asset = POINTS) -> list[int]:
    """Open the accounts in one batch (a copy on PostgreSQL); their ids in order."""
    return copy_returning_ids(conn, accounts, [
        {"tenant_id": tenant_id, "member_id": m, "asset": asset.code} for m in member_ids])


def account_state(conn: Connection, tenant_id: int, member_id: int,
                  asset: Asset = POINTS) -> AccountState:
    row = conn.execute(
        select(accounts.c.id, accounts.c.balance, accounts.c.held, accounts.c.debt)
        .where(accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id,
               accounts.c.asset == asset.code)
    ).one()
    return AccountState(id=row.id, balance=row.balance, held=row.held, debt=row.debt)


# On PostgreSQL the entry and its postings are one statement (one round trip): the postings
# take their ids from the sequence in the order given, as the two statements did. A posting
# whose account is of another asset or tenant is not written, and the count comes back short.
_ENTRY_CTES_PG = """
WITH new_entry AS (
    INSERT INTO entries (tenant_id, code, idempotency_key, member_id, receipt_id, terminal_id,
                         store_id, staff_id, program_version, reverses_entry_id, points, asset,
                         memo, occurred_at, recorded_at)
    VALUES (:tenant_id, :code, :key, CAST(:member_id AS bigint), CAST(:receipt_id AS bigint),
            CAST(:terminal_id AS bigint), CAST(:store_id AS bigint), CAST(:staff_id AS bigint),
            CAST(:program_version AS integer), CAST(:reverses_entry_id AS bigint), :points,
            :asset, CAST(:memo AS json), :occurred_at, :recorded_at)
    RETURNING id
), new_postings AS (
    INSERT INTO postings (tenant_id, entry_id, account_id, amount)
    SELECT :tenant_id, e.id, leg.account_id, leg.amount
    FROM new_entry e
    CROSS JOIN unnest(CAST(:accounts AS bigint[]), CAST(:amounts AS bigint[]))
         WITH ORDINALITY AS leg(account_id, amount, ord)
    JOIN accounts a ON a.id = leg.account_id AND a.tenant_id = :tenant_id
                       AND a.asset = :asset
    ORDER BY leg.ord
    RETURNING 1
)"""


def entry_statement_pg(more_ctes: str = "", more_columns: str = "") -> Any:
    """The PostgreSQL statement that writes an entry and its postings (``new_entry``,
    ``new_postings``), with ``more_ctes`` after them (which may read ``new_entry``) and
    ``more_columns`` in its answer beside the entry id and the postings written."""
    return text(_ENTRY_CTES_PG + more_ctes + f"""
SELECT e.id, (SELECT count(*) FROM new_postings) AS postings{more_columns} FROM new_entry e
""").bindparams(bindparam("occurred_at", type_=entries.c.occurred_at.type),
                bindparam("recorded_at", type_=entries.c.recorded_at.type))


_WRITE_ENTRY_PG = entry_statement_pg()


def entry_params_pg(ctx: EntryContext, *, code: EntryCode, key: str,
                    postings_: Sequence[Posting], member_points: int, memo: dict[str, Any],
                    reverses_entry_id: int | None, asset: Asset) -> dict[str, Any]:
    """The parameters of :func:`entry_statement_pg` (``key`` as stored)."""
    return {
        "tenant_id": ctx.tenant_id, "code": code.value, "key": key,
        "member_id": ctx.member_id, "receipt_id": ctx.receipt_id,
        "terminal_id": ctx.terminal_id, "store_id": ctx.store_id,
        "staff_id": ctx.staff_id, "program_version": ctx.program_version,
        "reverses_entry_id": reverses_entry_id, "points": member_points,
        "memo": json.dumps(memo), "occurred_at": ctx.occurred_at,
        "recorded_at": ctx.recorded_at,
        "accounts": arrays.ints([int(p.account) for p in postings_]),
        "amounts": arrays.ints([p.amount for p in postings_]), "asset": asset.code}


# On SQLite one executemany: each posting is written only if its account is of the entry's
# asset and tenant, so the rows written tell a mixed entry.
_POSTING_SQLITE = text("""
INSERT INTO postings (tenant_id, entry_id, account_id, amount)
SELECT :tenant_id, :entry_id, a.id, :amount FROM accounts a
WHERE a.id = :account_id AND a.tenant_id = :tenant_id AND a.asset = :asset
""")


KEY_LENGTH = 200  # entries.idempotency_key


def stored_key(key: str) -> str:
    """``key`` as the entry keeps it: a key longer than the column (an operation's prefix
    around a till's 200-character Idempotency-Key) keeps its head and a digest of the whole,
    so the same key always maps to the same stored one and two different keys never meet."""
    if len(key) <= KEY_LENGTH:
        return key
    return key[:KEY_LENGTH - 65] + "#" + hashlib.sha256(key.encode()).hexdigest()


def write_entry(conn: Connection, ctx: EntryContext, *, code: EntryCode, key: str,
                postings_: Sequence[Posting], member_points: int, memo: dict[str, Any],
                reverses_entry_id: int | None = None, asset: Asset = POINTS) -> int:
    """Insert one balanced entry of ``asset`` and its postings, and count its points (an
    entry of points only) in the day's aggregates (:mod:`regulars.db.analytics.days`);
    return the entry id.

    Raises ``ValueError`` if the postings do not balance, :class:`MixedAssets` if a posting
    names an account of another asset or tenant, and the database's unique violation if
    ``key`` was used before in this tenant. Cached member balances are the caller's job
    (:mod:`regulars.db.ledger.ops` moves them in the same transaction).
    """
    check_balanced(postings_)
    key = stored_key(key)
    if conn.dialect.name == "postgresql":
        row = conn.execute(_WRITE_ENTRY_PG, entry_params_pg(
            ctx, code=code, key=key, postings_=postings_, member_points=member_points,
            memo=memo, reverses_entry_id=reverses_entry_id, asset=asset)).one()
        check_written(row.postings, postings_, asset)
        entry_id = int(row.id)
    else:
        entry_id = _write_entry_statements(conn, ctx, code=code, key=key, postings_=postings_,
                                           member_points=member_points, memo=memo,
                                           reverses_entry_id=reverses_entry_id, asset=asset)
    count_entry(conn, ctx, code=code, member_points=member_points, asset=asset)
    return entry_id


def count_entry(conn: Connection, ctx: EntryContext, *, code: EntryCode,
                member_points: int, asset: Asset) -> None:
    """Count a written entry's points in the day's aggregates: the figures count points
    only, so an entry of money, goods or stamps (which share codes such as ``void`` and
    ``expire`` with points) counts nothing."""
    if asset.code != POINTS.code:
        return
    days.add_entry(conn, ctx.tenant_id, code=code.value, points=member_points,
                   at=ctx.occurred_at, terminal_id=ctx.terminal_id, store_id=ctx.store_id,
                   staff_id=ctx.staff_id)


def _write_entry_statements(conn: Connection, ctx: EntryContext, *, code: EntryCode, key: str,
                            postings_: Sequence[Posting], member_points: int,
                            memo: dict[str, Any], reverses_entry_id: int | None,
                            asset: Asset) -> int:
    """:func:`write_entry` statement by statement (SQLite): the entry, then its postings."""
    entry_id = int(conn.execute(
        insert(entries).values(
            tenant_id=ctx.tenant_id, code=code.value, idempotency_key=key,
            member_id=ctx.member_id, receipt_id=ctx.receipt_id, terminal_id=ctx.terminal_id,
            store_id=ctx.store_id, staff_id=ctx.staff_id, program_version=ctx.program_version,
            reverses_entry_id=reverses_entry_id, points=member_points, asset=asset.code,
            memo=memo, occurred_at=ctx.occurred_at, recorded_at=ctx.recorded_at,
        ).returning(entries.c.id)
    ).scalar_one())
    written = conn.execute(_POSTING_SQLITE, [
        {"tenant_id": ctx.tenant_id, "entry_id": entry_id, "account_id": p.account,
         "amount": p.amount, "asset": asset.code} for p in postings_
    ]).rowcount
    check_written(written, postings_, asset)
    return entry_id


def check_written(written: int, postings_: Sequence[Posting], asset: Asset) -> None:
    if written != len(postings_):
        raise MixedAssets(f"{len(postings_) - written} of the postings name an account that "
                          f"is not of asset {asset.code!r} in this tenant")


@dataclass(frozen=True, kw_only=True)
class NewEntry:
    """One entry of :func:`write_entries`: what :func:`write_entry` takes."""

    ctx: EntryContext
    code: EntryCode
    key: str
    postings: tuple[Posting, ...]
    member_points: int
    memo: dict[str, Any]


def write_entries(conn: Connection, tenant_id: int, new: Sequence[NewEntry],
                  asset: Asset = POINTS) -> list[int]:
    """Insert many balanced entries of one tenant and their postings in a few statements
    (:func:`write_entry` for a batch); their ids in order. The caller has checked that every
    posting's account is of ``asset`` in this tenant (:func:`check_accounts`).

    Raises ``ValueError`` if an entry does not balance or is of another tenant, and the
    database's unique violation if a key was used before in this tenant (or twice here).
    """
    for entry in new:
        check_balanced(entry.postings)
        if entry.ctx.tenant_id != tenant_id:
            raise ValueError("every entry of a batch belongs to its tenant")
    ids = insert_returning_ids(conn, entries, [
        {"tenant_id": tenant_id, "code": e.code.value, "idempotency_key": stored_key(e.key),
         "member_id": e.ctx.member_id, "receipt_id": e.ctx.receipt_id,
         "terminal_id": e.ctx.terminal_id, "store_id": e.ctx.store_id,
         "staff_id": e.ctx.staff_id, "program_version": e.ctx.program_version,
         "reverses_entry_id": None, "points": e.member_points, "asset": asset.code,
         "memo": e.memo,
         "occurred_at": e.ctx.occurred_at, "recorded_at": e.ctx.recorded_at} for e in new])
    if new:
        conn.execute(insert(postings), [
            {"tenant_id": tenant_id, "entry_id": entry_id, "account_id": p.account,
             "amount": p.amount}
            for entry_id, entry in zip(ids, new, strict=True) for p in entry.postings])
    for e in new:
        count_entry(conn, e.ctx, code=e.code, member_points=e.member_points, asset=asset)
    return ids


def account_debts(conn: Connection, tenant_id: int, account_ids: Sequence[int],
                  asset: Asset) -> dict[int, int]:
    """The debt of each account, locked in id order (:func:`lock_accounts`). Raises
    :class:`MixedAssets` unless every one is a member's or bearer account of ``asset`` in
    this tenant."""
    wanted = sorted(set(account_ids))
    found: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        found.update((int(i), int(d)) for i, d in conn.execute(
            select(accounts.c.id, accounts.c.debt).where(
                accounts.c.tenant_id == tenant_id, accounts.c.asset == asset.code,
                accounts.c.system_code.is_(None),
                accounts.c.id.in_(wanted[start:start + 500]))
            .order_by(accounts.c.id).with_for_update(key_share=True)))
    if len(found) != len(wanted):
        raise MixedAssets(f"the accounts are not all member accounts of asset {asset.code!r} "
                          "in this tenant")
    return found


def member_account_ids(conn: Connection, tenant_id: int, member_ids: Sequence[int],
                       asset: Asset = POINTS) -> dict[int, int]:
    """The account of ``asset`` of each of these members that has one, by member id."""
    wanted = sorted(set(member_ids))
    found: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        found.update((int(m), int(a)) for m, a in conn.execute(
            select(accounts.c.member_id, accounts.c.id).where(
                accounts.c.tenant_id == tenant_id, accounts.c.asset == asset.code,
                accounts.c.member_id.in_(wanted[start:start + 500]))))
    return found


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
    """Accounts whose cached balance disagrees with their postings or their open lots, each
    (tenant, asset) whose postings do not sum to zero, and entries that do not balance, whose
    postings are of more than one asset or of another asset than the entry names. Empty when
    the ledger is consistent."""
    problems = _account_problems(conn, tenant_id)
    per_asset = (select(postings.c.tenant_id, accounts.c.asset,
                        func.sum(postings.c.amount).label("total"))
                 .join(accounts, accounts.c.id == postings.c.account_id)
                 .group_by(postings.c.tenant_id, accounts.c.asset)
                 .having(func.sum(postings.c.amount) != 0))
    if tenant_id is not None:
        per_asset = per_asset.where(postings.c.tenant_id == tenant_id)
    problems += [{"kind": "tenant", "tenant_id": r.tenant_id, "asset": r.asset,
                  "total": int(r.total)} for r in conn.execute(per_asset)]
    unbalanced = (select(postings.c.entry_id).group_by(postings.c.entry_id)
                  .having(func.sum(postings.c.amount) != 0))
    mixed = (select(postings.c.entry_id)
             .join(accounts, accounts.c.id == postings.c.account_id)
             .group_by(postings.c.entry_id)
             .having(func.count(accounts.c.asset.distinct()) > 1))
    named = (select(postings.c.entry_id).distinct()
             .join(accounts, accounts.c.id == postings.c.account_id)
             .join(entries, entries.c.id == postings.c.entry_id)
             .where(accounts.c.asset != entries.c.asset))
    if tenant_id is not None:
        unbalanced = unbalanced.where(postings.c.tenant_id == tenant_id)
        mixed = mixed.where(postings.c.tenant_id == tenant_id)
        named = named.where(postings.c.tenant_id == tenant_id)
    problems += [{"kind": "entry", "entry_id": r.entry_id} for r in conn.execute(unbalanced)]
    problems += [{"kind": "mixed_assets", "entry_id": r.entry_id}
                 for r in conn.execute(mixed)]
    problems += [{"kind": "entry_asset", "entry_id": r.entry_id}
                 for r in conn.execute(named.order_by(postings.c.entry_id))]
    return problems


def _account_problems(conn: Connection, tenant_id: int | None) -> list[dict[str, Any]]:
    posted = (select(postings.c.account_id, func.sum(postings.c.amount).label("total"))
              .group_by(postings.c.account_id).subquery())
    in_lots = (select(lots.c.account_id, func.sum(lots.c.remaining).label("total"))
               .where(lots.c.is_open).group_by(lots.c.account_id).subquery())
    query = (
        select(accounts.c.id, accounts.c.tenant_id, accounts.c.member_id, accounts.c.asset,
               accounts.c.balance, accounts.c.debt,
               func.coalesce(posted.c.total, 0).label("posted"),
               func.coalesce(in_lots.c.total, 0).label("in_lots"))
        .outerjoin(posted, posted.c.account_id == accounts.c.id)
        .outerjoin(in_lots, in_lots.c.account_id == accounts.c.id)
        # Every account but the system ones: members' and bearer accounts (certificates).
        .where(accounts.c.system_code.is_(None))
        .where(case(
            (accounts.c.balance != func.coalesce(posted.c.total, 0), 1),
            (accounts.c.balance != func.coalesce(in_lots.c.total, 0) - accounts.c.debt, 1),
            (and_(accounts.c.balance < 0, accounts.c.debt == 0), 1),
            else_=0) == 1)
    )
    if tenant_id is not None:
        query = query.where(accounts.c.tenant_id == tenant_id)
    return [
        {"kind": "account", "account_id": r.id, "tenant_id": r.tenant_id,
         "member_id": r.member_id, "asset": r.asset, "balance": r.balance,
         "posted": int(r.posted), "in_lots": int(r.in_lots), "debt": r.debt}
        for r in conn.execute(query)
    ]
