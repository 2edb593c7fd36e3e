"""Messages to members, queued in the transaction of what causes them.

:func:`queue` is the one way a member gets a message from an event or a campaign: inside the
caller's transaction it renders the tenant's wording (or the default) in each member's
language, obeys consent (marketing only with full consent), holds a message due in quiet
hours until they end (in the tenant's time zone), counts marketing messages against the
frequency cap with one conditional update, and inserts the outbox rows in one executemany,
keyed so that a retried cause queues nothing more. The ``messages`` job sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from regulars.db.engine import forget, remembered
from regulars.db.messaging import member_messages as store
from regulars.domain.messaging.rules import allowed, period_start, release_at, unsubscribe_token
from regulars.domain.messaging.templates import EVENTS, Kind, Wording, default, render
from regulars.services.runtime import Runtime
from regulars.text.i18n import language_of

ADDRESS = {"sms": "phone", "email": "email"}


@dataclass(frozen=True, kw_only=True)
class Batch:
    """Messages of one event to some members. ``key`` names each member's message once per
    cause (the outbox's key); ``values`` adds each member's own placeholders; ``texts``
    replaces the templates (a campaign's wording, per language)."""

    event: str
    member_ids: Sequence[int]
    key: Callable[[int], str]
    values: Callable[[int], dict[str, str]] = lambda _member_id: {}
    texts: dict[str, Wording] | None = None
    campaign_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class Queued:
    """What became of each member: ``queued``, ``already`` (queued before, by the same
    cause), ``no_consent``, ``capped`` or ``no_address``."""

    outcomes: dict[int, str] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)


def unsubscribe_url(rt: Runtime, secret: str, tenant_id: int, member_id: int) -> str:
    base = (rt.settings.public_url or "").rstrip("/")
    token = unsubscribe_token(secret, tenant_id=tenant_id, member_id=member_id)
    return f"{base}/c/{tenant_id}/unsubscribe/{token}"


class _Wordings:
    """The wording per language: the batch's texts, else the tenant's template, else the
    default (read once per language)."""

    def __init__(self, conn: Connection, tenant_id: int, batch: Batch) -> None:
        self.conn, self.tenant_id, self.batch = conn, tenant_id, batch
        self.found: dict[str, Wording] = {}

    def of(self, language: str) -> Wording:
        if language not in self.found:
            self.found[language] = self._load(language)
        return self.found[language]

    def _load(self, language: str) -> Wording:
        if self.batch.texts is not None:
            own = self.batch.texts.get(language)
            return own or next(iter(self.batch.texts.values()))
        row = store.template(self.conn, self.tenant_id, self.batch.event, language)
        if row is not None:
            return Wording(subject=row["subject"], body=row["body"])
        return default(self.batch.event, language)


def _screen(rows: list[dict[str, Any]], kind: Kind, channel: str,
            outcomes: dict[int, str]) -> list[dict[str, Any]]:
    """The members who may get the message; the others' outcomes are set."""
    ready = []
    for row in rows:
        if row["status"] != "active" or not allowed(kind, row["consent"]):
            outcomes[row["id"]] = "no_consent"
        elif channel in ADDRESS and not row[ADDRESS[channel]]:
            outcomes[row["id"]] = "no_address"
        else:
            ready.append(row)
    return ready


def queue(conn: Connection, rt: Runtime, tenant_id: int, batch: Batch, now: datetime
          ) -> Queued:
    """Queue ``batch`` in the caller's transaction (see the module's docstring). Raises
    ``KeyError`` for an event :data:`EVENTS` does not know."""
    spec = EVENTS[batch.event]
    cfg = store.settings(conn, tenant_id, now)
    outcomes: dict[int, str] = {}
    channel = str(cfg["channel"])
    # A cause queued before (a retried commit, the job's next run) counts nothing again: a
    # marketing message is looked for first (the cap must not count it twice); any other is
    # known by the insert that skips it.
    marketing = spec.kind is Kind.MARKETING
    done = store.queued_keys(conn, tenant_id, [batch.key(m) for m in batch.member_ids]) \
        if marketing else set()
    fresh = [m for m in batch.member_ids if batch.key(m) not in done]
    outcomes.update({m: "already" for m in batch.member_ids if batch.key(m) in done})
    ready = _screen(store.recipients(conn, tenant_id, fresh), spec.kind, channel, outcomes)
    if marketing and ready:
        start = period_start(now, timezone=cfg["timezone"], period_days=cfg["cap_period_days"])
        taken = store.take_cap(conn, tenant_id, [r["id"] for r in ready], period_start=start,
                               cap=cfg["cap_messages"])
        for row in ready:
            if row["id"] not in taken:
                outcomes[row["id"]] = "capped"
        ready = [r for r in ready if r["id"] in taken]
    send_at = release_at(now, timezone=cfg["timezone"],
                         quiet_from_minute=cfg["quiet_from_minute"],
                         quiet_until_minute=cfg["quiet_until_minute"])
    wordings = _Wordings(conn, tenant_id, batch)
    rows = []
    for member in ready:
        language = (language_of(member["locale"]) or language_of(cfg["tenant_language"])
                    or "en")
        wording = wordings.of(language)
        values = {"first_name": member["first_name"] or "", "program": cfg["program"],
                  "unsubscribe_url": unsubscribe_url(rt, cfg["link_secret"], tenant_id,
                                                     member["id"]),
                  **batch.values(member["id"])}
        address = member[ADDRESS[channel]] if channel in ADDRESS else f"member:{member['id']}"
        rows.append({
            "tenant_id": tenant_id, "key": batch.key(member["id"]), "channel": channel,
            "recipient": address, "subject": render(wording.subject, values)[:200],
            "body": render(wording.body, values), "erase_after_send": False,
            "status": "queued", "attempts": 0, "next_attempt_at": send_at, "created_at": now,
            "member_id": member["id"], "event": batch.event, "kind": spec.kind.value,
            "campaign_id": batch.campaign_id})
        outcomes[member["id"]] = "queued"
    inserted = store.queue_many(conn, rows)
    for row in rows:
        if row["key"] not in inserted:
            outcomes[row["member_id"]] = "already"
    return Queued(outcomes=outcomes)


def queue_one(conn: Connection, rt: Runtime, tenant_id: int, *, event: str, member_id: int,
              key: str, now: datetime, values: dict[str, str] | None = None) -> str:
    """Queue one member's message of ``event``; return its outcome (see :class:`Queued`)."""
    found = queue(conn, rt, tenant_id, Batch(
        event=event, member_ids=[member_id], key=lambda _m: key,
        values=lambda _m: values or {}), now)
    return found.outcomes.get(member_id, "no_consent")


# How long a process trusts what it read of whether a tenant texts members their points: a
# commit of a business that does not then reads nothing for it. The process that changes the
# settings forgets at once (forget_settings); another sees the change within this time.
SETTINGS_TTL_SECONDS = 5.0


def points_earned_enabled(conn: Connection, tenant_id: int, now: datetime) -> bool:
    """Whether the tenant tells members the points a receipt earned (remembered for a few
    seconds; the settings' row is made with the defaults on first use)."""
    return remembered(conn, ("points earned message", tenant_id), SETTINGS_TTL_SECONDS,
                      lambda: bool(store.settings(conn, tenant_id, now)["points_earned"]))


def forget_settings(engine: Engine, tenant_id: int) -> None:
    """After a change to the tenant's message settings has committed: read them afresh."""
    forget(engine, ("points earned message", tenant_id))


def swap_level(conn: Connection, tenant_id: int, member_id: int, level_code: str,
               now: datetime) -> str | None:
    """Record the member's level as told; return the level told before (None: first seen)."""
    return store.swap_level(conn, tenant_id, member_id, level_code, now)


def retire_history(rt: Runtime, tenant_id: int, *, before: datetime) -> int:
    """Skip the members' messages still queued from before ``before``: a replayed history
    (the demo's year) must not text its members a year of greetings when the server starts."""
    with rt.db.write() as conn:
        return store.retire_queued(conn, tenant_id, before=before, reason="history")
