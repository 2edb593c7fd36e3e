"""Idempotency keys: claiming one (the first request wins, later ones get its answer), the
commit's claim together with the till's earlier receipt of the same number, and a key stored
with its answer once the work is done.

A key belongs to its sender: the tenant, the scope and the till (``terminal_id``, :data:`NO_TILL`
for a caller that is no till). Two tills sending the same key are two requests.

No row is updated in the transaction that inserted it: PostgreSQL checks a row's foreign keys
again when a row inserted by the same transaction is updated, and writes the whole row to the
log once more. A keyed write (:func:`held_key`, :func:`store_key`) is inserted once, answer and
all, at the end; a commit's key holds no answer (``response`` is null), the receipt does
(:func:`claim_commit`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.checkout.receipts import receipt_by_number, set_receipt_response
from regulars.db.checkout.tables import idempotency, receipts
from regulars.db.locks import lock_key, sole_lock
from regulars.db.messaging import events as events_store

NO_TILL = 0  # the terminal_id of keys sent by an owner key or the console


@dataclass(frozen=True, kw_only=True)
class Claim:
    """The outcome of claiming an idempotency key: ``fresh`` for the first request, otherwise
    the stored hash and response of the first one."""

    fresh: bool
    request_hash: str | None = None
    response: dict[str, Any] | None = None


def claim_key(conn: Connection, *, tenant_id: int, scope: str, terminal_id: int, key: str,
              request_hash: str, now: datetime) -> bool:
    """Insert the key without an answer; whether it was new (False: another request holds it).

    On PostgreSQL a concurrent holder makes this wait for its transaction; on SQLite writers
    are serialised by ``BEGIN IMMEDIATE``. Either way the answer is final when it returns.
    """
    values = {"tenant_id": tenant_id, "scope": scope, "terminal_id": terminal_id, "key": key,
              "request_hash": request_hash, "created_at": now}
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(idempotency).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(idempotency).values(**values).on_conflict_do_nothing()
    return conn.execute(stmt.returning(idempotency.c.id)).first() is not None


def _where_key(tenant_id: int, scope: str, terminal_id: int, key: str) -> Any:
    return and_(idempotency.c.tenant_id == tenant_id, idempotency.c.scope == scope,
                idempotency.c.terminal_id == terminal_id, idempotency.c.key == key)


def held_key(conn: Connection, *, tenant_id: int, scope: str, terminal_id: int,
             key: str) -> Claim | None:
    """The request that holds the key (``fresh`` False), or None when none does yet; then
    the caller holds the key until its transaction ends and stores it with its answer
    (:func:`store_key`).

    On PostgreSQL a named lock of the key is taken first, in a statement of its own: a
    concurrent request with the key makes this wait until its transaction ends, and the read
    that follows sees its key. On SQLite writers are serialised by ``BEGIN IMMEDIATE``."""
    sole_lock(conn, f"idempotency:{tenant_id}:{scope}:{terminal_id}:{key}")
    row = conn.execute(select(idempotency.c.request_hash, idempotency.c.response).where(
        _where_key(tenant_id, scope, terminal_id, key))).first()
    if row is None:
        return None
    return Claim(fresh=False, request_hash=row.request_hash, response=row.response)


def store_key(conn: Connection, *, tenant_id: int, scope: str, terminal_id: int, key: str,
              request_hash: str, now: datetime, response: dict[str, Any]) -> None:
    """Insert the key :func:`held_key` found free, with its answer."""
    conn.execute(insert(idempotency).values(
        tenant_id=tenant_id, scope=scope, terminal_id=terminal_id, key=key,
        request_hash=request_hash, created_at=now, response=response))


def _commit_held(conn: Connection, *, tenant_id: int, terminal_id: int, key: str,
                 receipt_no: str) -> Claim:
    """The commit that holds the key: its hash, and its answer, stored on its receipt (the
    till's receipt ``receipt_no`` committed with the same hash: a commit's hashed body names
    its receipt number), else on the key (where commits stored a copy until 2026-12).
    Read by a statement of its own: the claim's snapshot predates a concurrent holder."""
    answer = func.coalesce(receipts.c.response, idempotency.c.response, type_=JSON)
    row = conn.execute(select(idempotency.c.request_hash, answer.label("response")).select_from(
        idempotency.outerjoin(receipts, and_(
            receipts.c.tenant_id == tenant_id, receipts.c.terminal_id == terminal_id,
            receipts.c.receipt_no == receipt_no,
            receipts.c.request_hash == idempotency.c.request_hash))).where(
        _where_key(tenant_id, "commit", terminal_id, key))).one()
    return Claim(fresh=False, request_hash=row.request_hash, response=row.response)


_CLAIM_COMMIT_PG = text("""
WITH claimed AS (
    INSERT INTO idempotency (tenant_id, scope, terminal_id, key, request_hash, created_at)
    VALUES (:tenant_id, 'commit', :terminal_id, :key, :request_hash, :created_at)
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM claimed) AS fresh, r.request_hash, r.response,
       pg_advisory_xact_lock_shared(:lock) IS NULL AS locked
FROM (SELECT 1) AS one
LEFT JOIN receipts r
       ON r.tenant_id = :tenant_id AND r.terminal_id = :terminal_id AND r.receipt_no = :receipt_no
""").bindparams(bindparam("created_at", type_=idempotency.c.created_at.type)).columns(
    fresh=Integer(), request_hash=receipts.c.request_hash.type,
    response=receipts.c.response.type, locked=Boolean())


@dataclass(frozen=True, kw_only=True)
class EarlierReceipt:
    """A receipt the till already sent under the same receipt number."""

    request_hash: str
    response: Any


def claim_commit(conn: Connection, *, tenant_id: int, key: str, request_hash: str,
                 now: datetime, terminal_id: int, receipt_no: str, lock: str
                 ) -> tuple[Claim, EarlierReceipt | None]:
    """:func:`claim_key` in scope ``commit`` for the till and, for a fresh claim, its receipt with
    this number if one exists (one round trip on PostgreSQL), or else the claim holding the
    key with the answer of its receipt (the key itself keeps none); the same statement takes the
    named ``lock`` shared until the transaction ends (:func:`regulars.db.locks.share_locks`;
    nothing on SQLite), so every later statement of the transaction reads what was committed
    before it was granted.

    The receipt is read from the statement's snapshot: one committed by a concurrent request
    after it began is not seen, and the receipt's insert then fails on the unique receipt
    number, which the caller answers as a replay.
    """
    if conn.dialect.name != "postgresql":
        if not claim_key(conn, tenant_id=tenant_id, scope="commit", terminal_id=terminal_id,
                         key=key, request_hash=request_hash, now=now):
            return _commit_held(conn, tenant_id=tenant_id, terminal_id=terminal_id, key=key,
                                receipt_no=receipt_no), None
        found = receipt_by_number(conn, tenant_id, terminal_id, receipt_no)
        return Claim(fresh=True), (EarlierReceipt(request_hash=found["request_hash"],
                                                  response=found["response"])
                                   if found else None)
    row = conn.execute(_CLAIM_COMMIT_PG, {
        "tenant_id": tenant_id, "key": key, "request_hash": request_hash, "created_at": now,
        "terminal_id": terminal_id, "receipt_no": receipt_no, "lock": lock_key(lock)}).one()
    if not row.fresh:
        return _commit_held(conn, tenant_id=tenant_id, terminal_id=terminal_id, key=key,
                            receipt_no=receipt_no), None
    earlier = (EarlierReceipt(request_hash=row.request_hash, response=row.response)
               if row.request_hash is not None else None)
    return Claim(fresh=True), earlier


_RECEIPT_ANSWERED_PG = """
UPDATE receipts SET response = CAST(:response AS json)
WHERE tenant_id = :tenant_id AND id = :receipt_id
"""
_ANSWER_PG = text(_RECEIPT_ANSWERED_PG)
# The events of the change first, in the same round trip (ids in the order given).
_EVENTS_AND_ANSWER_PG = text(
    f"WITH recorded AS ({events_store.INSERT_NEW_PG}) {_RECEIPT_ANSWERED_PG}")


def store_receipt_answer(conn: Connection, *, tenant_id: int, receipt_id: int,
                         response: dict[str, Any], events: list[dict[str, Any]] | None = None,
                         events_at: datetime | None = None) -> None:
    """:func:`set_receipt_response` after recording ``events`` (rows as
    :func:`regulars.db.messaging.events.record` takes them) at ``events_at``; one round trip
    on PostgreSQL. The commit's key keeps no copy: its replays read the receipt's
    (:func:`claim_commit`). The events are the receipt's, new in this transaction, with
    distinct keys: none can be recorded already, so PostgreSQL inserts them without a
    conflict check (:data:`regulars.db.messaging.events.INSERT_NEW_PG`)."""
    if conn.dialect.name != "postgresql":
        if events:
            assert events_at is not None
            events_store.record(conn, tenant_id, events, events_at)
        set_receipt_response(conn, tenant_id, receipt_id, response)
        return
    params = {"tenant_id": tenant_id, "receipt_id": receipt_id,
              "response": json.dumps(response)}
    if not events:
        conn.execute(_ANSWER_PG, params)
        return
    assert events_at is not None
    conn.execute(_EVENTS_AND_ANSWER_PG, {**params, "occurred_at": events_at,
                                         "rows": events_store.rows_param(events)})


def purge_keys(conn: Connection, tenant_id: int, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the tenant's stored keys and answers claimed before
    ``before`` (oldest first); how many. A commit sent again after its key is gone is still
    answered from its receipt (:func:`claim_commit`)."""
    ids = select(idempotency.c.id).where(
        idempotency.c.tenant_id == tenant_id, idempotency.c.created_at < before
    ).order_by(idempotency.c.created_at).limit(limit).scalar_subquery()
    return int(conn.execute(delete(idempotency).where(idempotency.c.tenant_id == tenant_id,
                                                      idempotency.c.id.in_(ids))).rowcount)
