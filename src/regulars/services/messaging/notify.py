"""Messages to members, queued in the transaction of what causes them.

:func:`queue` is the one way a member gets a message from an event or a campaign. Inside the
caller's transaction it renders the tenant's wording (or the default) once per language, the
member's name and unsubscribe link left as marks, and leaves the rest to the database
(:mod:`regulars.db.messaging.member_queue`), a statement a few thousand members: for a
marketing message, one upsert counts it against the frequency cap of each member who may have
it (full consent, an address); then one ``INSERT … SELECT`` from the members writes the outbox
rows of those who may have it, in their language, with their sealed number copied as it is,
due at once or when the quiet hours end (in the tenant's time zone), keyed so that a retried
cause queues nothing more. On PostgreSQL the two, and the reasons the others got nothing, are
one statement. Nothing is sealed or opened per member but an e-mail address, which the member
keeps in the clear. The ``messages`` job sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from regulars.db.engine import forget, remembered
from regulars.db.messaging import member_messages as store
from regulars.db.messaging import member_queue, outbox
from regulars.domain.messaging.rules import (
    consents_allowed,
    period_start,
    release_at,
    unsubscribe_token,
    unsubscribe_tokens,
)
from regulars.domain.messaging.templates import (
    EVENTS,
    LANGUAGES,
    UNSUBSCRIBE_MARK,
    Kind,
    Wording,
    default,
    in_language,
    nameless,
    render_for_members,
)
from regulars.services.runtime import Runtime
from regulars.text.i18n import language_of


@dataclass(frozen=True, kw_only=True)
class Batch:
    """Messages of one event to some member_queue. ``key`` names each member's message once per
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


def customer_pages_url(rt: Runtime, tenant_id: int) -> str:
    """Where the links in the tenant's messages lead: its customer pages under the public
    address (``REGULARS_PUBLIC_URL``; a path alone without one)."""
    return f"{(rt.settings.public_url or '').rstrip('/')}/c/{tenant_id}"


def unsubscribe_url(rt: Runtime, secret: str, tenant_id: int, member_id: int) -> str:
    token = unsubscribe_token(secret, tenant_id=tenant_id, member_id=member_id)
    return f"{customer_pages_url(rt, tenant_id)}/unsubscribe/{token}"


def unsubscribe_urls(rt: Runtime, secret: str, tenant_id: int, member_ids: Sequence[int]
                     ) -> list[str]:
    """:func:`unsubscribe_url` of each member."""
    base = customer_pages_url(rt, tenant_id)
    return [f"{base}/unsubscribe/{token}" for token in unsubscribe_tokens(
        secret, tenant_id=tenant_id, member_ids=member_ids)]


def _wordings(conn: Connection, tenant_id: int, batch: Batch) -> dict[str, Wording]:
    """The wording in every language: the batch's texts (the first for a language they lack),
    else the tenant's template, else the default."""
    if batch.texts is not None:
        first = next(iter(batch.texts.values()))
        return {lang: batch.texts.get(lang) or first for lang in LANGUAGES}
    own = remembered(conn, ("message templates", tenant_id, batch.event),
                     SETTINGS_TTL_SECONDS,
                     lambda: store.event_templates(conn, tenant_id, batch.event))
    return {lang: Wording(subject=own[lang]["subject"], body=own[lang]["body"])
            if lang in own else default(batch.event, lang) for lang in LANGUAGES}


class _Texts:
    """The batch's texts rendered once per language and distinct member values, the member
    marks left for the database to fill (:func:`render_for_members`), each also
    :func:`nameless` for the members without a first name."""

    def __init__(self, wordings: dict[str, Wording], program: str) -> None:
        self.wordings, self.program = wordings, program
        self.groups: dict[tuple[tuple[str, str], ...], int] = {}
        self.rows: list[dict[str, Any]] = []

    def group(self, values: dict[str, str]) -> int:
        found = tuple(sorted(values.items()))
        number = self.groups.get(found)
        if number is None:
            number = self.groups[found] = len(self.groups)
            for lang, w in self.wordings.items():
                given = in_language({"program": self.program, **values}, lang)
                subject = render_for_members(w.subject, given)[:200]
                body = render_for_members(w.body, given)
                self.rows.append({"g": number, "l": lang, "s": subject, "b": body,
                                  "sn": nameless(subject), "bn": nameless(body)})
        return number


def queue(conn: Connection, rt: Runtime, tenant_id: int, batch: Batch, now: datetime
          ) -> Queued:
    """Queue ``batch`` in the caller's transaction (see the module's docstring). Raises
    ``KeyError`` for an event :data:`EVENTS` does not know."""
    spec = EVENTS[batch.event]
    cfg = settings(conn, tenant_id, now)
    who = member_queue.Who(channel=str(cfg["channel"]), consents=consents_allowed(spec.kind))
    cap = member_queue.Cap(
        period_start=period_start(now, timezone=cfg["timezone"],
                                  period_days=cfg["cap_period_days"]),
        messages=cfg["cap_messages"]) if spec.kind is Kind.MARKETING else None
    message = member_queue.Message(
        who=who, event=batch.event, kind=spec.kind.value, campaign_id=batch.campaign_id,
        now=now, fallback_language=language_of(cfg["tenant_language"]) or "en",
        send_at=_after_quiet_hours(cfg, now))
    texts = _Texts(_wordings(conn, tenant_id, batch), str(cfg["program"]))
    targets = list(dict.fromkeys(batch.member_ids))
    if member_queue.in_one_statement(conn):
        rows = _rows(rt, tenant_id, batch, targets, texts, str(cfg["link_secret"]))
        if who.channel == "email":
            _seal_emails(conn, tenant_id, rows)
        return Queued(outcomes=member_queue.queue_screened(conn, tenant_id, message, rows,
                                                           texts.rows, cap=cap))
    outcomes: dict[int, str] = {}
    # A cause queued before (a retried commit, the job's next run) counts nothing again: a
    # marketing message is looked for first (the cap must not count it twice); any other is
    # known by the insert that skips it.
    if cap is not None:
        done = store.queued_keys(conn, tenant_id, [batch.key(m) for m in targets])
        outcomes.update({m: "already" for m in targets if batch.key(m) in done})
        taken = member_queue.take_cap(conn, tenant_id, [m for m in targets if m not in outcomes],
                                      who=who, period_start=cap.period_start, cap=cap.messages)
        targets = [m for m in targets if m in taken]
    rows = _rows(rt, tenant_id, batch, targets, texts, str(cfg["link_secret"]))
    if who.channel == "email":
        _seal_emails(conn, tenant_id, rows)
    inserted = member_queue.queue(conn, tenant_id, message, rows, texts.rows)
    outcomes.update({m: "queued" for m in inserted})
    # Why the others got nothing: the screen, else under the cap for a marketing message
    # (capped), else queued before (already).
    missed = [m for m in batch.member_ids if m not in outcomes]
    for member_id, why in member_queue.screen(conn, tenant_id, missed, who).items():
        outcomes[member_id] = why or ("already" if member_id in targets else "capped")
    return Queued(outcomes=outcomes)


def _rows(rt: Runtime, tenant_id: int, batch: Batch, member_ids: list[int], texts: _Texts,
          secret: str) -> list[dict[str, Any]]:
    """Each member's row for :func:`member_queue.queue` (the link only when a text has it,
    the group only when there are several)."""
    rows = [{"m": m, "k": batch.key(m)} for m in member_ids]
    groups = [texts.group(batch.values(m)) for m in member_ids]
    # Each member's unsubscribe link is made only when a text has it.
    if any(UNSUBSCRIBE_MARK in t["s"] + t["b"] for t in texts.rows):
        for row, link in zip(rows, unsubscribe_urls(rt, secret, tenant_id, member_ids),
                             strict=True):
            row["u"] = link
    if len(texts.groups) > 1:
        for row, group in zip(rows, groups, strict=True):
            row["g"] = group
    return rows


def _seal_emails(conn: Connection, tenant_id: int, rows: list[dict[str, Any]]) -> None:
    """An e-mail's address is sealed here (the member's is kept in the clear)."""
    found = member_queue.emails(conn, tenant_id, [r["m"] for r in rows])
    for row in rows:
        address = found.get(row["m"])
        sealed = outbox.recipient_columns(tenant_id, "email", address) if address else {}
        row["a"], row["ai"] = sealed.get("recipient"), sealed.get("recipient_index")


def queue_one(conn: Connection, rt: Runtime, tenant_id: int, *, event: str, member_id: int,
              key: str, now: datetime, values: dict[str, str] | None = None) -> str:
    """Queue one member's message of ``event``; return its outcome (see :class:`Queued`)."""
    found = queue(conn, rt, tenant_id, Batch(
        event=event, member_ids=[member_id], key=lambda _m: key,
        values=lambda _m: values or {}), now)
    return found.outcomes.get(member_id, "no_consent")


# How long a process trusts what it read of the tenant's message settings (whether it texts
# members their points: a commit of a business that does not then reads nothing for it; the
# channel, cap and quiet hours; the link secret) and of its wording of an event. The process
# that changes them forgets at once (forget_settings, forget_templates); another sees the
# change within this time.
SETTINGS_TTL_SECONDS = 5.0


def settings(conn: Connection, tenant_id: int, now: datetime) -> dict[str, Any]:
    """The tenant's message settings (:func:`regulars.db.messaging.member_messages.settings`),
    remembered for a few seconds: a receipt that queues a message reads none of them."""
    return remembered(conn, ("message settings", tenant_id), SETTINGS_TTL_SECONDS,
                      lambda: store.settings(conn, tenant_id, now))


def _after_quiet_hours(cfg: dict[str, Any], at: datetime) -> datetime:
    return release_at(at, timezone=cfg["timezone"], quiet_from_minute=cfg["quiet_from_minute"],
                      quiet_until_minute=cfg["quiet_until_minute"])


def after_quiet_hours(conn: Connection, tenant_id: int, at: datetime, now: datetime
                      ) -> datetime:
    """``at``, or the end of the tenant's quiet hours when it falls in them (local time in
    the tenant's zone): when a member's message due at ``at`` may go."""
    return _after_quiet_hours(settings(conn, tenant_id, now), at)


def points_earned_enabled(conn: Connection, tenant_id: int, now: datetime) -> bool:
    """Whether the tenant tells members the points a receipt earned (remembered for a few
    seconds; the settings' row is made with the defaults on first use)."""
    return bool(settings(conn, tenant_id, now)["points_earned"])


def link_secret(conn: Connection, tenant_id: int, now: datetime) -> str:
    """The secret that signs the tenant's links in messages (made once, with the settings;
    remembered as the settings are)."""
    return str(settings(conn, tenant_id, now)["link_secret"])


def forget_settings(engine: Engine, tenant_id: int) -> None:
    """After a change to the tenant's message settings has committed: read them afresh."""
    forget(engine, ("message settings", tenant_id))


def forget_templates(engine: Engine, tenant_id: int, event: str) -> None:
    """After a change to the tenant's wording of ``event`` has committed: read it afresh."""
    forget(engine, ("message templates", tenant_id, event))


def swap_level(conn: Connection, tenant_id: int, member_id: int, level_code: str,
               now: datetime) -> str | None:
    """Record the member's level as told; return the level told before (None: first seen)."""
    return store.swap_level(conn, tenant_id, member_id, level_code, now)


def retire_history(rt: Runtime, tenant_id: int, *, before: datetime) -> int:
    """Skip the members' messages still queued from before ``before``: a replayed history
    (the demo's year) must not text its members a year of greetings when the server starts."""
    with rt.db.write() as conn:
        return store.retire_queued(conn, tenant_id, before=before, reason="history")
