"""Expiry writes: due lots set to zero, one ``expire`` entry per member account, in the
caller's transaction.

A run walks the member accounts that hold due lots in account-id order, a batch of accounts at
a time (:func:`next_accounts`). Each batch locks its accounts in id order (:func:`lock_accounts`)
before it touches their lots, the order every other writer follows (the account row first,
then its lots), so expiry and a concurrent spend wait for each other instead of deadlocking.
:func:`expire_accounts` then writes, per account, one balanced entry for all of its due lots.

No function here commits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Connection,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from regulars.db.tables import accounts, entries, lots, postings
from regulars.domain.ledger import EntryCode, expiry_key, expiry_memo


def _among(conn: Connection, column: ColumnElement[Any], ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL ``column = ANY(:ids)``, one array parameter instead of
    one placeholder per id."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(BigInteger())))
    return column.in_(ids)


def count_due_lots(conn: Connection, now: datetime) -> int:
    return int(conn.execute(select(func.count()).select_from(lots).where(
        lots.c.remaining > 0, lots.c.expires_at <= now)).scalar_one())


def any_due(conn: Connection, tenant_id: int, now: datetime) -> bool:
    """Whether the tenant holds any lot due at ``now`` (through the due-lots index: a run that
    finds nothing skips the walk over every open lot)."""
    return conn.execute(select(lots.c.id).where(
        lots.c.tenant_id == tenant_id, lots.c.remaining > 0, lots.c.expires_at <= now
    ).limit(1)).first() is not None


def next_accounts(conn: Connection, tenant_id: int, now: datetime, limit: int, *,
                  after_id: int) -> list[int]:
    """Ids of the next ``limit`` accounts after ``after_id`` (in id order) that hold a lot
    due at ``now``. Reads the open-lots index only and takes no lock: the batch may have
    changed by the time it is locked, which :func:`expire_accounts` allows for."""
    return [int(account_id) for account_id in conn.execute(
        select(lots.c.account_id).distinct()
        .where(lots.c.tenant_id == tenant_id, lots.c.account_id > after_id,
               lots.c.remaining > 0, lots.c.expires_at <= now)
        .order_by(lots.c.account_id).limit(limit)).scalars()]


def lock_accounts(conn: Connection, account_ids: list[int]) -> None:
    """Lock the accounts in id order (``FOR NO KEY UPDATE``, the lock an ``UPDATE`` takes, so
    that the postings' foreign-key checks of other writers do not wait on it). On SQLite the
    write transaction already excludes every other writer."""
    conn.execute(select(accounts.c.id).where(_among(conn, accounts.c.id, account_ids))
                 .order_by(accounts.c.id).with_for_update(key_share=True)).all()


# One statement per batch on PostgreSQL. The due lots of the (locked) accounts are set to zero;
# ``due`` reads them account by account through the open-lots index and the UPDATE finds them by
# id (given ``account_id = ANY(:ids)`` the planner chose a sequential scan of every lot per
# batch, whose cost grows with the table). What the UPDATE returns (only lots that still held
# what the snapshot saw) is what the entries post, grouped per account. Entry ids are drawn from
# the sequence in account order up front, so postings need no join back to the entries. The key
# and the memo text are the ones ``expiry_key`` and ``expiry_memo`` give (the memo as
# ``json.dumps`` writes it).
_EXPIRE_PG = text("""
WITH due AS (
    SELECT l.id, l.remaining, l.expired
    FROM unnest(CAST(:account_ids AS bigint[])) AS a(id)
    JOIN lots l ON l.tenant_id = :tenant_id AND l.account_id = a.id
                   AND l.remaining > 0 AND l.expires_at <= :now
), zeroed AS (
    UPDATE lots SET expired = lots.expired + d.remaining, remaining = 0
    FROM due d
    WHERE lots.id = d.id AND lots.remaining = d.remaining AND lots.expired = d.expired
    RETURNING lots.id, lots.account_id, d.remaining, d.expired
), per_account AS (
    SELECT account_id, sum(remaining) AS points, min(id) AS first_lot,
           (array_agg(expired ORDER BY id))[1] AS first_expired,
           string_agg('[' || id || ', ' || remaining || ']', ', ' ORDER BY id) AS lot_list,
           count(*) AS lots
    FROM zeroed GROUP BY account_id
), input AS (
    SELECT nextval(pg_get_serial_sequence('entries', 'id')) AS entry_id, p.*
    FROM (SELECT pa.*, a.member_id FROM per_account pa
          JOIN accounts a ON a.id = pa.account_id
          ORDER BY pa.account_id) p
), new_entries AS (
    INSERT INTO entries (id, tenant_id, code, idempotency_key, member_id, points, memo,
                         occurred_at, recorded_at)
    SELECT entry_id, :tenant_id, :code,
           'expire:' || account_id || ':lot:' || first_lot
               || CASE WHEN first_expired > 0 THEN ':after:' || first_expired ELSE '' END,
           member_id, -points,
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


def expire_accounts(conn: Connection, tenant_id: int, system_id: int, account_ids: list[int],
                    *, now: datetime, code: EntryCode) -> tuple[int, int, int]:
    """Expire every lot of these accounts that is due at ``now``; return (lots, points,
    entries written).

    The accounts must be locked (:func:`lock_accounts`). Per account that has due lots: one
    balanced entry (the member account less the points, the ``system_id`` account more), keyed
    by :func:`~regulars.domain.ledger.expiry_key`, listing each lot and its points in the
    memo; the lots are set to zero (their ``expired`` grows by what they held); the cached
    balance falls by the same points. An account with nothing due any more writes nothing.

    Raises the database's unique violation if an entry's key exists already (a lot expired
    twice in the same state, which the account locks rule out), and ``RuntimeError`` if
    PostgreSQL wrote other counts than it planned; the caller's transaction then rolls back.
    """
    if not account_ids:
        return 0, 0, 0
    if conn.dialect.name == "postgresql":
        row = conn.execute(_EXPIRE_PG, {
            "account_ids": account_ids, "tenant_id": tenant_id, "code": code.value,
            "system_id": system_id, "now": now}).one()
        if (row.entries_written, row.postings_written, row.balances_written) != (
                row.entries, 2 * row.entries, row.entries):
            raise RuntimeError(f"expiry wrote {tuple(row)}, planned {row.entries} entries")
        return int(row.lots), int(row.points), int(row.entries)
    return _expire_rows(conn, tenant_id, system_id, account_ids, now=now, code=code)


def _expire_rows(conn: Connection, tenant_id: int, system_id: int, account_ids: list[int], *,
                 now: datetime, code: EntryCode) -> tuple[int, int, int]:
    """:func:`expire_accounts` statement by statement (SQLite)."""
    due = conn.execute(
        select(lots.c.id, lots.c.account_id, lots.c.remaining, lots.c.expired,
               accounts.c.member_id)
        .join(accounts, accounts.c.id == lots.c.account_id)
        .where(lots.c.tenant_id == tenant_id, _among(conn, lots.c.account_id, account_ids),
               lots.c.remaining > 0, lots.c.expires_at <= now)
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
         "member_id": member_id, "points": -points, "occurred_at": now, "recorded_at": now,
         "memo": expiry_memo([(r.id, r.remaining) for r in rows])}
        for ((account_id, member_id), rows), points in zip(items, totals, strict=True)]
    ).scalars().all()
    conn.execute(insert(postings), [
        {"tenant_id": tenant_id, "entry_id": entry_id, "account_id": account, "amount": amount}
        for entry_id, ((account_id, _), _), points in zip(ids, items, totals, strict=True)
        for account, amount in ((account_id, -points), (system_id, points))])
    conn.execute(update(lots).where(_among(conn, lots.c.id, [r.id for r in due]))
                 .values(expired=lots.c.expired + lots.c.remaining, remaining=0))
    conn.execute(
        update(accounts).where(accounts.c.id == bindparam("acct"))
        .values(balance=accounts.c.balance - bindparam("pts")),
        [{"acct": account_id, "pts": points}
         for ((account_id, _), _), points in zip(items, totals, strict=True)])
    return len(due), sum(totals), len(ids)
