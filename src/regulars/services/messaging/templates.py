"""The tenant's wording of each message, per event and language; the message settings
(channel, quiet hours, frequency cap, which optional messages go); a preview with a sample
member and a test send through the real channel."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.messaging import member_messages as store
from regulars.db.tenancy import tenancy
from regulars.domain.messaging.addresses import EMAIL
from regulars.domain.messaging.templates import (
    EVENTS,
    LANGUAGES,
    MAX_BODY,
    MAX_SUBJECT,
    default,
    in_language,
    problems,
    render,
    sample,
)
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.members.members import normalize_phone
from regulars.services.messaging import notify, outbox
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class Template:
    event: str
    language: str
    kind: str
    """``transactional`` (any consent) or ``marketing`` (full consent, capped)."""
    subject: str
    body: str
    custom: bool
    """False while the built-in wording is used."""
    placeholders: list[str]
    updated_at: datetime | None


def _check_names(event: str, language: str) -> None:
    if event not in EVENTS:
        raise NotFound("no such message event", field="event")
    if language not in LANGUAGES:
        raise NotFound("no such language", field="language")


def _check_text(event: str, *, subject: str, body: str) -> None:
    if not body.strip():
        raise InvalidInput("the text is empty", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the text is longer than {MAX_BODY} characters", field="body")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"the subject is longer than {MAX_SUBJECT} characters",
                           field="subject")
    for name, text in (("subject", subject), ("body", body)):
        found = "; ".join(problems(event, text))
        if found:
            raise InvalidInput(found, field=name)


def _template(event: str, language: str, row: dict[str, Any] | None) -> Template:
    wording = default(event, language)
    return Template(event=event, language=language, kind=EVENTS[event].kind.value,
                    subject=row["subject"] if row else wording.subject,
                    body=row["body"] if row else wording.body, custom=row is not None,
                    placeholders=list(EVENTS[event].placeholders),
                    updated_at=row["updated_at"] if row else None)


def list_templates(rt: Runtime, tenant_id: int) -> list[Template]:
    """Every event in every language: the tenant's wording, or the built-in one."""
    with rt.db.read() as conn:
        own = {(r["event"], r["language"]): r for r in store.templates(conn, tenant_id)}
    return [_template(e, lang, own.get((e, lang))) for e in EVENTS for lang in LANGUAGES]


def get(rt: Runtime, tenant_id: int, event: str, language: str) -> Template:
    _check_names(event, language)
    with rt.db.read() as conn:
        own = {(r["event"], r["language"]): r for r in store.templates(conn, tenant_id)}
    return _template(event, language, own.get((event, language)))


def save(rt: Runtime, tenant_id: int, event: str, language: str, *, subject: str,
         body: str, actor: audit.Actor) -> Template:
    """Keep the tenant's wording (on the audit trail). Raises :class:`InvalidInput` naming an
    unknown placeholder (field ``subject`` or ``body``); :class:`NotFound` for an unknown event
    or language."""
    _check_names(event, language)
    _check_text(event, subject=subject, body=body)
    now = rt.now()
    with rt.db.write() as conn:
        store.save_template(conn, tenant_id, event=event, language=language, subject=subject,
                            body=body, now=now)
        audit.record(conn, tenant_id, actor, "template.save", f"template {event} {language}",
                     at=now, subject_chars=len(subject), body_chars=len(body))
    notify.forget_templates(rt.db.engine, tenant_id, event)
    return get(rt, tenant_id, event, language)


def reset(rt: Runtime, tenant_id: int, event: str, language: str, *,
          actor: audit.Actor) -> Template:
    """Go back to the built-in wording (on the audit trail when there was wording of the
    tenant's)."""
    _check_names(event, language)
    with rt.db.write() as conn:
        if store.delete_template(conn, tenant_id, event, language):
            audit.record(conn, tenant_id, actor, "template.reset",
                         f"template {event} {language}", at=rt.now())
    notify.forget_templates(rt.db.engine, tenant_id, event)
    return get(rt, tenant_id, event, language)


@dataclass(frozen=True, kw_only=True)
class Preview:
    subject: str
    body: str


def preview(rt: Runtime, tenant_id: int, event: str, language: str, *,
            subject: str | None = None, body: str | None = None) -> Preview:
    """The message a sample member would get: of the given text (checked as on save), or of
    the saved wording; its links lead where real messages' do."""
    current = get(rt, tenant_id, event, language)
    subject = current.subject if subject is None else subject
    body = current.body if body is None else body
    _check_text(event, subject=subject, body=body)
    with rt.db.write() as conn:
        program = store.settings(conn, tenant_id, rt.now())["program"]
    values = in_language({**sample(customer_pages_url=notify.customer_pages_url(rt, tenant_id)),
                          "program": program}, language)
    return Preview(subject=render(subject, values), body=render(body, values))


@dataclass(frozen=True, kw_only=True)
class TestSend:
    message_id: int
    status: str
    """``sent``, ``queued`` (to be tried again) or ``failed``."""


def test_send(rt: Runtime, tenant_id: int, event: str, language: str, *, channel: str,
              recipient: str) -> TestSend:
    """Send the sample member's message to ``recipient`` now, through ``channel`` (a
    built-in one or a loaded plug-in's)."""
    _check_channel(rt, channel)
    shown = preview(rt, tenant_id, event, language)
    with rt.db.write() as conn:
        recipient = _recipient(conn, tenant_id, channel, recipient)
        message_id = outbox.queue(conn, tenant_id, key=f"test:{secrets.token_hex(12)}",
                                  channel=channel, recipient=recipient, body=shown.body,
                                  subject=shown.subject, now=rt.now())
    return TestSend(message_id=message_id, status=outbox.deliver(rt, tenant_id, message_id))


def _check_channel(rt: Runtime, channel: str) -> None:
    """Raises :class:`InvalidInput` (field ``channel``) for a channel this process cannot
    send through (neither built in nor a loaded plug-in's)."""
    if channel not in rt.channel_names():
        raise InvalidInput("channel must be one of %(channels)s", field="channel",
                           params={"channels": ", ".join(rt.channel_names())})


def _recipient(conn: Connection, tenant_id: int, channel: str, recipient: str) -> str:
    """``recipient`` as the channel takes it (a phone number in E.164); raises
    :class:`InvalidInput` (field ``recipient``) for an address the channel cannot reach."""
    recipient = recipient.strip()
    if channel == "sms":
        tenant = tenancy.get_tenant(conn, tenant_id)
        assert tenant is not None
        return normalize_phone(recipient, tenant.phone_region, field="recipient")
    if channel == "email" and not EMAIL.fullmatch(recipient):
        raise InvalidInput("enter an e-mail address like name@example.com", field="recipient")
    return recipient


@dataclass(frozen=True, kw_only=True)
class MessageSettings:
    channel: str
    quiet_from_minute: int | None
    quiet_until_minute: int | None
    cap_messages: int
    cap_period_days: int
    points_earned: bool
    expiring_days: int
    winback_days: int
    timezone: str


SETTING_FIELDS = ("channel", "quiet_from_minute", "quiet_until_minute", "cap_messages",
                  "cap_period_days", "points_earned", "expiring_days", "winback_days")
SETTING_LIMITS = {"cap_messages": (0, 100), "cap_period_days": (1, 365),
                  "expiring_days": (1, 365), "winback_days": (1, 3650)}
"""The lowest and highest value of each whole-number setting."""


def _view(row: dict[str, Any]) -> MessageSettings:
    return MessageSettings(timezone=row["timezone"], **{k: row[k] for k in SETTING_FIELDS})


def get_settings(rt: Runtime, tenant_id: int) -> MessageSettings:
    with rt.db.write() as conn:
        return _view(store.settings(conn, tenant_id, rt.now()))


def _check_settings(changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if value is None and name not in ("quiet_from_minute", "quiet_until_minute"):
            raise InvalidInput(f"{name} may not be null", field=name)
    for name in ("quiet_from_minute", "quiet_until_minute"):
        value = changes.get(name)
        if value is not None and not 0 <= value < 1440:
            raise InvalidInput("a minute of the day lies between 0 and 1439", field=name)
    for name, (low, high) in SETTING_LIMITS.items():
        if name in changes and not low <= changes[name] <= high:
            raise InvalidInput(f"{name} must lie between {low} and {high}", field=name)


def _check_quiet_hours(settings: dict[str, Any]) -> None:
    """Quiet hours have both ends or none: one end alone would silently mean none."""
    ends = ("quiet_from_minute", "quiet_until_minute")
    missing = [name for name in ends if settings[name] is None]
    if len(missing) == 1:
        raise InvalidInput("give both ends of the quiet hours, or leave both empty",
                           field=missing[0])


def update_settings(rt: Runtime, tenant_id: int, changes: dict[str, Any], *,
                    actor: audit.Actor) -> MessageSettings:
    """Change some settings (the others stay; the change is on the audit trail, with the
    values before). Raises :class:`InvalidInput` naming the field, also when the quiet hours
    would be left with one end only."""
    unknown = sorted(set(changes) - set(SETTING_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown setting {unknown[0]}", field=unknown[0])
    _check_settings(changes)
    now = rt.now()
    with rt.db.write() as conn:
        before = store.settings(conn, tenant_id, now)
        if changes.get("channel", before["channel"]) != before["channel"]:
            _check_channel(rt, changes["channel"])  # a plug-in since unloaded may be kept
        _check_quiet_hours({**before, **changes})
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if changed:
            store.change_settings(conn, tenant_id, changed, now)
            audit.record(conn, tenant_id, actor, "settings.messages", "message settings",
                         at=now, **changed, was={k: before[k] for k in changed})
        answer = _view(store.settings(conn, tenant_id, now))
    notify.forget_settings(rt.db.engine, tenant_id)
    return answer
