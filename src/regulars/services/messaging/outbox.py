"""The outbox of messages to members: queued in the transaction of their cause, sent
afterwards (at once by :func:`deliver`, or by the ``messages`` job) with retries and
exponential backoff; each row is the message's delivery log.

No provider is called inside a till's (or any) transaction: :func:`queue` is one insert in
the caller's transaction, and :func:`deliver` (one message) or :func:`send_batch` (the due
messages, a batch at a time) claims in one statement, sends outside any transaction, and
records the outcomes in another. A sender that dies between sending and recording sends the
messages again once the claim lapses: at least once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from regulars.db.messaging import member_messages
from regulars.db.messaging import outbox as store
from regulars.db.tenancy import tenancy
from regulars.domain.messaging.delivery import MESSAGES
from regulars.errors import InvalidInput, RegularsError
from regulars.services.messaging import notify
from regulars.services.messaging.messaging import (
    BUILT_IN_CHANNELS,
    PLUGINS,
    OutgoingMessage,
    deliver_each,
)
from regulars.services.runtime import Runtime

log = logging.getLogger("regulars.outbox")

CLAIM = timedelta(minutes=2)
"""How long a sender holds a message it is sending before another may try it."""
BATCH = 200
"""Messages claimed, sent and marked together."""


def queue(conn: Connection, tenant_id: int, *, key: str, channel: str, recipient: str,
          body: str, now: datetime, subject: str | None = None,
          erase_after_send: bool = False) -> int:
    """Queue a message in the caller's transaction, once per ``key`` (the same key returns
    the first message's id)."""
    if channel not in BUILT_IN_CHANNELS and channel not in PLUGINS:
        raise InvalidInput(f"unknown channel {channel!r}", field="channel")
    return store.queue(conn, tenant_id, key=key, channel=channel, recipient=recipient,
                       body=body, subject=subject, erase_after_send=erase_after_send,
                       now=now)


def deliver(rt: Runtime, tenant_id: int, message_id: int) -> str:
    """Send one queued message now if it is due and nobody else is sending it; return its
    status after (``sent``, ``queued`` for another attempt later, ``failed`` given up, or
    ``busy`` when it was not there to take). Never raises for a failed delivery."""
    now = rt.now()
    with rt.db.write() as conn:
        row = store.claim(conn, tenant_id, message_id, now=now, until=now + CLAIM)
    if row is None:
        return "busy"
    return _send(rt, tenant_id, [row])[0]


def send_batch(rt: Runtime, tenant_id: int, *, limit: int = BATCH) -> list[str]:
    """Claim up to ``limit`` of the tenant's due messages in one statement, send them (a
    channel's batch at once where it can), and record the outcomes in one transaction; the
    status of each (``sent``, ``queued`` to be tried again, ``failed``). A sender that dies
    between the claim and the record loses nothing: the claim lapses after :data:`CLAIM`
    and the messages are sent again (at least once)."""
    now = rt.now()
    with rt.db.write() as conn:
        rows = store.claim_due(conn, tenant_id, now=now, until=now + CLAIM, limit=limit)
    return _send(rt, tenant_id, rows) if rows else []


def _message(rt: Runtime, row: dict[str, Any], link_secret: str | None) -> OutgoingMessage:
    member_id = row["member_id"]
    return OutgoingMessage(
        tenant_id=row["tenant_id"], channel=row["channel"], recipient=row["recipient"],
        subject=row["subject"], body=row["body"], key=row["key"], event=row["event"],
        queued_at=row["created_at"],
        unsubscribe_url=None if member_id is None or link_secret is None else
        notify.unsubscribe_url(rt, link_secret, int(row["tenant_id"]), int(member_id)))


def _link_secret(rt: Runtime, tenant_id: int, rows: list[dict[str, Any]]) -> str | None:
    """The secret that signs unsubscribe links, when an e-mail to a member is among ``rows``
    (its ``List-Unsubscribe`` header)."""
    if not any(r["channel"] == "email" and r["member_id"] is not None for r in rows):
        return None
    with rt.db.write() as conn:  # created with the defaults on first use
        return str(member_messages.settings(conn, tenant_id, rt.now())["link_secret"])


def _send(rt: Runtime, tenant_id: int, rows: list[dict[str, Any]]) -> list[str]:
    """Deliver claimed rows, channel by channel, then record what became of each."""
    secret = _link_secret(rt, tenant_id, rows)
    errors: dict[int, str | None] = {}
    for channel in dict.fromkeys(row["channel"] for row in rows):
        mine = [row for row in rows if row["channel"] == channel]
        try:
            sender = rt.channel(channel)
        except RegularsError as exc:  # a channel the settings no longer configure
            errors.update({row["id"]: exc.detail for row in mine})
            continue
        found = deliver_each(sender, [_message(rt, row, secret if channel == "email" else None)
                                      for row in mine])
        errors.update({row["id"]: error for row, error in zip(mine, found, strict=True)})
    return _record(rt, tenant_id, rows, errors)


def _record(rt: Runtime, tenant_id: int, rows: list[dict[str, Any]],
            errors: dict[int, str | None]) -> list[str]:
    now = rt.now()
    statuses: list[str] = []
    with rt.db.write() as conn:
        store.mark_sent_many(conn, tenant_id, [r["id"] for r in rows if errors[r["id"]] is None],
                             now=now)
        for row in rows:
            error = errors[row["id"]]
            if error is None:
                statuses.append("sent")
                continue
            retry_at = MESSAGES.retry_at(attempts=row["attempts"], first_at=row["created_at"],
                                         now=now)
            if retry_at is not None and row["member_id"] is not None:
                # A member's message waits out quiet hours on each attempt, not only the
                # first; one-time codes and test sends (no member) do not.
                retry_at = notify.after_quiet_hours(conn, tenant_id, retry_at, now)
            # The log names the message, never its recipient or text (personal data).
            log.warning("message %s not delivered (attempt %s): %s", row["id"],
                        row["attempts"], error)
            store.mark_failed(conn, tenant_id, row["id"], error=error, retry_at=retry_at)
            statuses.append("queued" if retry_at is not None else "failed")
    return statuses


@dataclass(frozen=True, kw_only=True)
class SendReport:
    sent: int
    retrying: int
    failed: int


def send_due(rt: Runtime, *, batch_size: int = BATCH) -> SendReport:
    """Send every due message of every tenant, a batch at a time (the ``messages`` job)."""
    counts = {"sent": 0, "queued": 0, "failed": 0}
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        while True:
            statuses = send_batch(rt, tenant_id, limit=batch_size)
            for status in statuses:
                counts[status] += 1
            if len(statuses) < batch_size:
                break
    return SendReport(sent=counts["sent"], retrying=counts["queued"], failed=counts["failed"])


@dataclass(frozen=True, kw_only=True)
class DeliveryLogLine:
    id: int
    channel: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


def delivery_log(rt: Runtime, tenant_id: int, *, limit: int = 50,
                 before_id: int | None = None) -> list[DeliveryLogLine]:
    """The tenant's messages, newest first, with their status (not their text)."""
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must lie between 1 and 500", field="limit")
    with rt.db.read() as conn:
        rows = store.log(conn, tenant_id, limit=limit, before_id=before_id)
    return [DeliveryLogLine(**{**row, "next_attempt_at": row["next_attempt_at"]
                               if row["status"] == "queued" else None}) for row in rows]



