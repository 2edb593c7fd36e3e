"""Expiry writes: due lots set to zero, one ``expire`` entry per member account, in the
caller's transaction. Part of the ledger's write path: services reach it through
:func:`regulars.db.ledger.ops.expire`.

A run splits the member accounts that hold due lots into batches of neighbouring account ids
(:func:`batch_bounds`, one read up front). Each batch (:func:`expire_range`) locks its accounts
in id order before it touches their lots, the order every other writer follows (the account row
first, then its lots), so expiry and a concurrent spend wait for each other instead of
deadlocking, and writes, per account, one balanced entry for all of its due lots.

No function here commits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from regulars.db.ledger.tables import accounts, entries, lots, postings
from regulars.domain.ledger.assets import POINTS, Asset
from regulars.domain.ledger.ledger import EntryCode, expiry_key, expiry_memo


def count_due_lots(conn: Connection, now: datetime) -> int:
    return int(conn.execute(select(func.count()).select_from(lots).where(
        lots.c.is_open, lots.c.expires_at <= now)).scalar_one())


def any_due(conn: Connection, tenant_id: int, now: datetime) -> bool:
    """Whether the tenant holds any lot due at ``now`` (through the due-lots index: a run that
    finds nothing skips the walk over every open lot)."""
    return conn.execute(select(lots.c.id).where(
        lots.c.tenant_id == tenant_id, lots.c.is_open, lots.c.expires_at <= now
    ).limit(1)).first() is not None


def batch_bounds(conn: Connection, tenant_id: int, now: datetime, size: int) -> list[int]:
    """The account id that closes each batch of ``size`` accounts holding a lot due at
    ``now``, in id order: batch *k* is the accounts after bound *k-1* up to bound *k*, and
    the accounts after the last bound make the last batch. One pass over the open-lots index,
    no locks; what changes afterwards is allowed for by :func:`expire_range`."""
    due = (select(lots.c.account_id).distinct()
           .where(lots.c.tenant_id == tenant_id, lots.c.is_open,
                  lots.c.expires_at <= now)
           .subquery())
    numbered = select(due.c.account_id,
                      func.row_number().over(order_by=due.c.account_id).label("n")).subquery()
    return [int(account_id) for account_id in conn.execute(
        select(numbered.c.account_id).where(numbered.c.n % size == 0)
        .order_by(numbered.c.account_id)).scalars()]


# The largest account id: the upper end of the last batch.
LAST = 2**63 - 1


# One statement per batch on PostgreSQL. The due lots of the batch's accounts are read through
# the open-lots index; the accounts holding them are locked in id order (``FOR NO KEY UPDATE``,
# the lock an ``UPDATE`` takes, so that other writers' foreign-key checks do not wait on it),
# the order every other writer follows (the account row first, then its lots); a lot is set to
# zero only after its account is locked (the lots are read through the locked accounts), and
# only if it still holds what the statement's snapshot saw (a spend that committed while this
# statement waited for its account changed it: it waits for the next run). The UPDATE finds each
# lot by the row address it was read at, not through the primary key a second time; a row
# changed since has moved, so it is skipped too, and so is a lot a merge moved to another
# account meanwhile (checked by value as well: the address alone is rechecked by the server
# only in recent minor releases). What the UPDATE returns is what
# the entries post, grouped per account. Entry ids are drawn from the sequence in account order
# up front, so postings need no join back to the entries. The key and the memo text are the
# ones ``expiry_key`` and ``expiry_memo`` give (the memo as ``json.dumps`` writes it).
_EXPIRE_PG = text("""
WITH locked AS (
    SELECT a.id, a.member_id FROM accounts a
    WHERE a.id > :after AND a.id <= :upto AND a.asset = :asset
          AND a.id IN (SELECT l.account_id FROM lots l
                   WHERE l.tenant_id = :tenant_id AND l.account_id > :after
                         AND l.account_id <= :upto
                         AND l.is_open AND l.expires_at <= :now)
    ORDER BY a.id
    FOR NO KEY UPDATE OF a
), due AS (
    SELECT l.ctid AS tid, l.id, l.account_id, l.remaining, l.expired
    FROM locked k
    JOIN lots l ON l.tenant_id = :tenant_id AND l.account_id = k.id
                   AND l.account_id > :after AND l.account_id <= :upto
                   AND l.is_open AND l.expires_at <= :now
), zeroed AS (
    UPDATE lots SET expired = lots.expired + d.remaining, remaining = 0
    FROM due d
    WHERE lots.ctid = d.tid AND lots.account_id = d.account_id
          AND lots.remaining = d.remaining AND lots.expired = d.expired
    RETURNING lots.id, lots.account_id, d.remaining, d.expired
), per_account AS (
    SELECT account_id, sum(remaining) AS points, min(id) AS first_lot,
           (array_agg(expired ORDER BY id))[1] AS first_expired,
           string_agg('[' || id || ', ' || remaining || ']', ', ' ORDER BY id) AS lot_list,
           count(*) AS lots
    FROM zeroed GROUP BY account_id
), input AS (
    SELECT nextval(pg_get_serial_sequence('entries', 'id')) AS entry_id, p.*
    FROM (SELECT pa.*, k.member_id FROM per_account pa
          JOIN locked k ON k.id = pa.account_id
          ORDER BY pa.account_id) p
), new_entries AS (
    INSERT INTO entries (id, tenant_id, code, idempotency_key, member_id, points, asset, memo,
                         occurred_at, recorded_at)
    SELECT entry_id, :tenant_id, :code,
           'expire:' || account_id || ':lot:' || first_lot
               || CASE WHEN first_expired > 0 THEN ':after:' || first_expired ELSE '' END,
           member_id, -points, :asset,
           CAST('{"lots": [' || lot_list || '], "why": [{"code": "expire", '
                || '"params": {"points": ' || points || '}}]}' AS json),
           :now, :now
    FROM input ORDER BY entry_id
    RETURNING 1
), new_postings AS (
    INSERT INTO postings (tenant_id, entry_id, account_id, amount)
    SELECT :tenant_id, i.entry_id, leg.account_id, leg.amount
    FROM input i
    CROSS JOIN LATERAL (VALUES (1, i.account_id, -i.points),
                               (2, CAST(:system_id AS bigint), i.points))
         AS leg(side, account_id, amount)
    ORDER BY i.entry_id, leg.side
    RETURNING 1
), balances AS (
    UPDATE accounts SET balance = accounts.balance - i.points
    FROM input i WHERE accounts.id = i.account_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM input) AS entries,
       (SELECT coalesce(sum(lots), 0) FROM input) AS lots,
       (SELECT coalesce(sum(points), 0) FROM input) AS points,
       (SELECT count(*) FROM new_entries) AS entries_written,
       (SELECT count(*) FROM new_postings) AS postings_written,
       (SELECT count(*) FROM balances) AS balances_written
""").bindparams(bindparam("now", type_=entries.c.occurred_at.type))


def expire_range(conn: Connection, tenant_id: int, system_id: int, after: int, upto: int,
                 *, now: datetime, code: EntryCode,
                 asset: Asset = POINTS) -> tuple[int, int, int]:
    """Expire every lot due at ``now`` of the ``asset`` accounts with ids after ``after`` up
    to ``upto``; return (lots, points, entries written). ``system_id`` is the tenant's
    ``expired`` account of that asset.

    Locks those accounts first, in id order (on SQLite the write transaction already excludes
    every other writer). Per account that has due lots: one balanced entry (the member account
    less the points, the ``system_id`` account more), keyed by
    :func:`~regulars.domain.ledger.ledger.expiry_key`, listing each lot and its points in the memo;
    the lots are set to zero (their ``expired`` grows by what they held); the cached balance
    falls by the same points. An account with nothing due any more writes nothing.

    Raises the database's unique violation if an entry's key exists already (a lot expired
    twice in the same state, which the account locks rule out), and ``RuntimeError`` if
    PostgreSQL wrote other counts than it planned; the caller's transaction then rolls back.
    """
    if conn.dialect.name == "postgresql":
        row = conn.execute(_EXPIRE_PG, {
            "after": after, "upto": upto, "tenant_id": tenant_id, "code": code.value,
            "system_id": system_id, "now": now, "asset": asset.code}).one()
        if (row.entries_written, row.postings_written, row.balances_written) != (
                row.entries, 2 * row.entries, row.entries):
            raise RuntimeError(f"expiry wrote {tuple(row)}, planned {row.entries} entries")
        return int(row.lots), int(row.points), int(row.entries)
    return _expire_rows(conn, tenant_id, system_id, after, upto, now=now, code=code,
                        asset=asset)


def _expire_rows(conn: Connection, tenant_id: int, system_id: int, after: int, upto: int, *,
                 now: datetime, code: EntryCode, asset: Asset) -> tuple[int, int, int]:
    """:func:`expire_range` statement by statement (SQLite)."""
    due = conn.execute(
        select(lots.c.id, lots.c.account_id, lots.c.remaining, lots.c.expired,
               accounts.c.member_id)
        .join(accounts, accounts.c.id == lots.c.account_id)
        .where(lots.c.tenant_id == tenant_id, lots.c.account_id > after,
               lots.c.account_id <= upto, lots.c.is_open, lots.c.expires_at <= now,
               accounts.c.asset == asset.code)
        .order_by(lots.c.account_id, lots.c.id)).all()
    if not due:
        return 0, 0, 0
    by_account: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in due:
        by_account[(row.account_id, row.member_id)].append(row)
    items = list(by_account.items())
    totals = [sum(r.remaining for r in rows) for _, rows in items]
    ids = conn.execute(insert(entries).returning(entries.c.id, sort_by_parameter_order=True), [
        {"tenant_id": tenant_id, "code": code.value,
         "idempotency_key": expiry_key(account_id, rows[0].id,
                                       expired_before=rows[0].expired),
         "member_id": member_id, "points": -points, "asset": asset.code, "occurred_at": now,
         "recorded_at": now,
         "memo": expiry_memo([(r.id, r.remaining) for r in rows])}
        for ((account_id, member_id), rows), points in zip(items, totals, strict=True)]
    ).scalars().all()
    conn.execute(insert(postings), [
        {"tenant_id": tenant_id, "entry_id": entry_id, "account_id": account, "amount": amount}
        for entry_id, ((account_id, _), _), points in zip(ids, items, totals, strict=True)
        for account, amount in ((account_id, -points), (system_id, points))])
    # The write transaction excludes every other writer: the lots are the ones just read.
    conn.execute(update(lots).where(
        lots.c.tenant_id == tenant_id, lots.c.account_id > after, lots.c.account_id <= upto,
        lots.c.is_open, lots.c.expires_at <= now,
        lots.c.account_id.in_(select(accounts.c.id).where(
            accounts.c.tenant_id == tenant_id, accounts.c.id > after, accounts.c.id <= upto,
            accounts.c.asset == asset.code)),
    ).values(expired=lots.c.expired + lots.c.remaining, remaining=0))
    conn.execute(
        update(accounts).where(accounts.c.id == bindparam("acct"))
        .values(balance=accounts.c.balance - bindparam("pts")),
        [{"acct": account_id, "pts": points}
         for ((account_id, _), _), points in zip(items, totals, strict=True)])
    return len(due), sum(totals), len(ids)
