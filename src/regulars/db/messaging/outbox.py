"""The outbox of messages: queued in the transaction of their cause (one insert, one row per
cause), claimed before sending so that two senders never send the same message at once,
marked sent or given another attempt after. Every query is scoped by ``tenant_id``.

A text message's or e-mail's recipient (a phone number, an address) is stored sealed, with its
blind index, and opened only when the message is claimed for sending
(:mod:`regulars.db.personal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db import personal
from regulars.db.messaging.tables import outbox_messages as t

SEALED_CHANNELS = ("sms", "email")
INDEX_KINDS = {"sms": "phone", "email": "email"}
"""The kind of blind index of each sealed channel's recipient: a text message's is the
member's phone index itself, so that a message to a member copies the member's sealed number
and its index (:mod:`regulars.db.messaging.member_messages`) without opening it."""
_OLD_INDEX_KINDS = ("sms",)
"""Kinds recipients were indexed under before: still looked for when a member is erased."""


def queue(conn: Connection, tenant_id: int, *, key: str, channel: str, recipient: str,
          body: str, subject: str | None, erase_after_send: bool, now: datetime) -> int:
    """Queue a message, once per ``key``: a second call with the key returns the first id."""
    values = dict(tenant_id=tenant_id, key=key, channel=channel,
                  **recipient_columns(tenant_id, channel, recipient), subject=subject,
                  body=body, erase_after_send=erase_after_send,
                  status="queued", attempts=0, next_attempt_at=now, created_at=now)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    found = conn.execute(dialect.insert(t).values(**values)
                         .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
                         .returning(t.c.id)).scalar_one_or_none()
    if found is not None:
        return int(found)
    return int(conn.execute(select(t.c.id).where(t.c.tenant_id == tenant_id, t.c.key == key))
               .scalar_one())


def recipient_columns(tenant_id: int, channel: str, recipient: str) -> dict[str, str | None]:
    """The outbox columns that hold ``recipient``: sealed and indexed for a text message or an
    e-mail, as itself for a webhook."""
    if channel not in SEALED_CHANNELS:
        return {"recipient": recipient, "recipient_index": None}
    return {"recipient": personal.seal(recipient),
            "recipient_index": personal.blind_index(tenant_id, INDEX_KINDS[channel], recipient)}


def due_ids(conn: Connection, tenant_id: int, now: datetime, limit: int) -> list[int]:
    return [int(i) for i in conn.execute(
        select(t.c.id).where(t.c.tenant_id == tenant_id, t.c.status == "queued",
                             t.c.next_attempt_at <= now)
        .order_by(t.c.next_attempt_at, t.c.id).limit(limit)).scalars()]


def claim(conn: Connection, tenant_id: int, message_id: int, *, now: datetime,
          until: datetime) -> dict[str, Any] | None:
    """Take a queued, due message for sending until ``until`` (one conditional update: of two
    senders one gets it), its recipient opened; None when it is not there to take."""
    taken = conn.execute(update(t).where(
        t.c.tenant_id == tenant_id, t.c.id == message_id, t.c.status == "queued",
        t.c.next_attempt_at <= now).values(next_attempt_at=until, attempts=t.c.attempts + 1)
        .returning(*t.c)).one_or_none()
    if taken is None:
        return None
    return _opened(dict(taken._mapping))


def claim_due(conn: Connection, tenant_id: int, *, now: datetime, until: datetime,
              limit: int) -> list[dict[str, Any]]:
    """Take up to ``limit`` queued, due messages for sending until ``until``, oldest due
    first, in one statement. On PostgreSQL the rows another sender is claiming are skipped
    (``FOR UPDATE SKIP LOCKED``), on SQLite the write lock orders the senders; either way a
    message goes to one sender, and back to the queue when ``until`` passes unmarked (a sender
    that died mid-batch)."""
    # Ordered by the index alone (tenant, status, due time): the scan stops at ``limit``
    # instead of sorting every due message.
    due = (select(t.c.id).where(t.c.tenant_id == tenant_id, t.c.status == "queued",
                                t.c.next_attempt_at <= now)
           .order_by(t.c.next_attempt_at).limit(limit))
    claim = update(t).values(next_attempt_at=until, attempts=t.c.attempts + 1)
    if conn.dialect.name == "postgresql":
        # Materialized and joined: the due rows are found and locked once (as a plain IN
        # subquery the planner may run it again for each row updated, each run taking more),
        # then each is updated through its primary key. The lock re-checks that a row is
        # still queued and due, so the update needs no second test.
        found = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        claim = claim.where(t.c.tenant_id == tenant_id, t.c.id == found.c.id)
    else:
        claim = claim.where(t.c.tenant_id == tenant_id, t.c.id.in_(due.scalar_subquery()),
                            t.c.status == "queued", t.c.next_attempt_at <= now)
    taken = conn.execute(claim.returning(*t.c))
    return sorted((_opened(dict(r._mapping)) for r in taken), key=lambda r: r["id"])


def _opened(message: dict[str, Any]) -> dict[str, Any]:
    """A claimed message with its recipient in the clear, to send to."""
    if message["channel"] in SEALED_CHANNELS and message["recipient"]:
        message["recipient"] = personal.unseal(message["recipient"])
    return message


def mark_sent_many(conn: Connection, tenant_id: int, message_ids: Sequence[int], *,
                   now: datetime) -> None:
    """Mark messages sent (one statement); a one-time code's text and number are blanked."""
    if not message_ids:
        return
    conn.execute(update(t).where(t.c.tenant_id == tenant_id, t.c.id.in_(list(message_ids)))
                 .values(status="sent", sent_at=now, last_error=None,
                         body=case((t.c.erase_after_send.is_(True), ""), else_=t.c.body),
                         recipient=case((t.c.erase_after_send.is_(True), ""),
                                        else_=t.c.recipient),
                         recipient_index=case((t.c.erase_after_send.is_(True), None),
                                              else_=t.c.recipient_index)))


def mark_failed(conn: Connection, tenant_id: int, message_id: int, *, error: str,
                retry_at: datetime | None) -> None:
    """Another attempt at ``retry_at``, or none (``failed``) when it is None."""
    values: dict[str, Any] = {"last_error": error[:300]}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    conn.execute(update(t).where(t.c.tenant_id == tenant_id, t.c.id == message_id)
                 .values(**values))


def log(conn: Connection, tenant_id: int, *, limit: int, before_id: int | None
        ) -> list[dict[str, Any]]:
    """The delivery log, newest first (without the messages' text)."""
    query = select(t.c.id, t.c.channel, t.c.status, t.c.attempts, t.c.last_error,
                   t.c.created_at, t.c.sent_at, t.c.next_attempt_at).where(
        t.c.tenant_id == tenant_id)
    if before_id is not None:
        query = query.where(t.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(query.order_by(t.c.id.desc()).limit(limit))]


def forget_recipients(conn: Connection, tenant_id: int, recipients: list[str]) -> int:
    """Delete every message to these addresses (an erased member's phone and e-mail), sent or
    not, found by their blind index; how many."""
    if not recipients:
        return 0
    kinds = (*INDEX_KINDS.values(), *_OLD_INDEX_KINDS)
    indexes = [personal.blind_index(tenant_id, kind, r) for r in recipients for kind in kinds]
    return int(conn.execute(delete(t).where(t.c.tenant_id == tenant_id,
                                            t.c.channel.in_(SEALED_CHANNELS),
                                            t.c.recipient_index.in_(indexes))).rowcount)


def purge_sent_codes(conn: Connection, tenant_id: int, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` one-time-code messages (sent or given up) queued before
    ``before``; how many."""
    ids = select(t.c.id).where(
        t.c.tenant_id == tenant_id, t.c.erase_after_send.is_(True), t.c.status != "queued",
        t.c.created_at < before).order_by(t.c.created_at).limit(limit).scalar_subquery()
    return int(conn.execute(delete(t).where(t.c.tenant_id == tenant_id,
                                            t.c.id.in_(ids))).rowcount)
