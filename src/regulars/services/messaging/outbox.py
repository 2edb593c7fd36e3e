"""The outbox of messages to members: queued in the transaction of their cause, sent
afterwards (at once by :func:`deliver`, or by the ``messages`` job) with retries and
exponential backoff; each row is the message's delivery log.

No provider is called inside a till's (or any) transaction: :func:`queue` is one insert in
the caller's transaction, and :func:`deliver` claims the message in one transaction, sends it
outside any, and records the outcome in another. A sender that dies between sending and
recording sends the message again once the claim lapses: at least once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from regulars.db.messaging import outbox as store
from regulars.db.tenancy import tenancy
from regulars.domain.messaging.delivery import MESSAGES
from regulars.errors import InvalidInput, RegularsError
from regulars.services.messaging.messaging import PLUGINS, OutgoingMessage
from regulars.services.runtime import Runtime

log = logging.getLogger("regulars.outbox")

CHANNELS = ("sms", "email", "webhook")
CLAIM = timedelta(minutes=2)
"""How long a sender holds a message it is sending before another may try it."""


def queue(conn: Connection, tenant_id: int, *, key: str, channel: str, recipient: str,
          body: str, now: datetime, subject: str | None = None,
          erase_after_send: bool = False) -> int:
    """Queue a message in the caller's transaction, once per ``key`` (the same key returns
    the first message's id)."""
    if channel not in CHANNELS and channel not in PLUGINS:
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
    message = OutgoingMessage(tenant_id=tenant_id, channel=row["channel"],
                              recipient=row["recipient"], subject=row["subject"],
                              body=row["body"], key=row["key"], event=row["event"],
                              queued_at=row["created_at"])
    try:
        rt.channel(message.channel).deliver(message)
    except RegularsError as exc:
        return _failed(rt, row, exc.detail)
    except Exception as exc:  # a sender's own bug must not lose the message
        log.exception("message %s: the %s sender failed", message_id, message.channel)
        return _failed(rt, row, type(exc).__name__)
    with rt.db.write() as conn:
        store.mark_sent(conn, tenant_id, message_id, erase=bool(row["erase_after_send"]),
                        now=rt.now())
    return "sent"


def _failed(rt: Runtime, row: dict[str, object], error: str) -> str:
    first_at, attempts = row["created_at"], row["attempts"]
    assert isinstance(first_at, datetime) and isinstance(attempts, int)
    retry_at = MESSAGES.retry_at(attempts=attempts, first_at=first_at, now=rt.now())
    # The log names the message, never its recipient or text (personal data).
    log.warning("message %s not delivered (attempt %s): %s", row["id"], attempts, error)
    with rt.db.write() as conn:
        store.mark_failed(conn, int(str(row["tenant_id"])), int(str(row["id"])), error=error,
                          retry_at=retry_at)
    return "queued" if retry_at is not None else "failed"


@dataclass(frozen=True, kw_only=True)
class SendReport:
    sent: int
    retrying: int
    failed: int


def send_due(rt: Runtime, *, batch_size: int = 500) -> SendReport:
    """Send every due message of every tenant (the ``messages`` job)."""
    counts = {"sent": 0, "queued": 0, "failed": 0, "busy": 0}
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        while True:
            with rt.db.read() as conn:
                due = store.due_ids(conn, tenant_id, rt.now(), batch_size)
            for message_id in due:
                counts[deliver(rt, tenant_id, message_id)] += 1
            if len(due) < batch_size:
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



