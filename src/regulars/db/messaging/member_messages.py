"""Messages to members: templates, the tenant's message settings, the frequency cap's counts,
the level last told to each member (the messages of many members at once are queued by
:mod:`regulars.db.messaging.member_queue`). Every query is scoped by ``tenant_id``."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db import bulk, personal
from regulars.db.members.tables import members
from regulars.db.messaging.tables import (
    member_levels_seen,
    message_caps,
    message_settings,
    message_templates,
    outbox_messages,
)
from regulars.db.tenancy.tables import tenants

DEFAULT_SETTINGS: dict[str, Any] = {
    "channel": "sms", "quiet_from_minute": None, "quiet_until_minute": None,
    "cap_messages": 4, "cap_period_days": 7, "points_earned": False, "expiring_days": 7,
    "winback_days": 60,
}


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


# Templates -----------------------------------------------------------------------------------

def templates(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    t = message_templates
    return [dict(r._mapping) for r in conn.execute(
        select(t.c.event, t.c.language, t.c.subject, t.c.body, t.c.updated_at)
        .where(t.c.tenant_id == tenant_id).order_by(t.c.event, t.c.language))]


def template(conn: Connection, tenant_id: int, event: str, language: str
             ) -> dict[str, Any] | None:
    t = message_templates
    row = conn.execute(select(t.c.subject, t.c.body).where(
        t.c.tenant_id == tenant_id, t.c.event == event, t.c.language == language)
    ).one_or_none()
    return dict(row._mapping) if row else None


def event_templates(conn: Connection, tenant_id: int, event: str) -> dict[str, dict[str, Any]]:
    """The tenant's own wording of ``event`` by language (subject and body)."""
    t = message_templates
    return {str(r.language): {"subject": r.subject, "body": r.body} for r in conn.execute(
        select(t.c.language, t.c.subject, t.c.body).where(
            t.c.tenant_id == tenant_id, t.c.event == event))}


def save_template(conn: Connection, tenant_id: int, *, event: str, language: str,
                  subject: str, body: str, now: datetime) -> None:
    t = message_templates
    stmt = _insert(conn)(t).values(tenant_id=tenant_id, event=event, language=language,
                                   subject=subject, body=body, updated_at=now)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["tenant_id", "event", "language"],
        set_={"subject": subject, "body": body, "updated_at": now}))


def delete_template(conn: Connection, tenant_id: int, event: str, language: str) -> bool:
    t = message_templates
    return conn.execute(t.delete().where(t.c.tenant_id == tenant_id, t.c.event == event,
                                         t.c.language == language)).rowcount > 0


# Settings ------------------------------------------------------------------------------------

def settings(conn: Connection, tenant_id: int, now: datetime) -> dict[str, Any]:
    """The tenant's message settings, created with the defaults (and fresh secrets) on first
    use."""
    s = message_settings
    query = (select(s, tenants.c.timezone, tenants.c.name.label("program"),
                    tenants.c.locale.label("tenant_language"))
             .join(tenants, tenants.c.id == s.c.tenant_id).where(s.c.tenant_id == tenant_id))
    row = conn.execute(query).one_or_none()
    if row is None:
        conn.execute(_insert(conn)(s).values(
            tenant_id=tenant_id, **DEFAULT_SETTINGS, link_secret=secrets.token_hex(32),
            updated_at=now
        ).on_conflict_do_nothing(index_elements=["tenant_id"]))
        row = conn.execute(query).one()
    return dict(row._mapping)


def change_settings(conn: Connection, tenant_id: int, changes: dict[str, Any],
                    now: datetime) -> None:
    s = message_settings
    conn.execute(update(s).where(s.c.tenant_id == tenant_id).values(**changes, updated_at=now))


# Members -------------------------------------------------------------------------------------

RECIPIENT_COLUMNS = (members.c.id, members.c.first_name, members.c.phone_sealed,
                     members.c.email,
                     members.c.consent, members.c.locale, members.c.status)


def recipients(conn: Connection, tenant_id: int, member_ids: Sequence[int]
               ) -> list[dict[str, Any]]:
    """What a message needs of each member (address, name, consent, language); the phone
    number opened."""
    if not member_ids:
        return []
    return [personal.opened(dict(r._mapping), "phone_sealed", "phone")
            for r in conn.execute(select(*RECIPIENT_COLUMNS).where(
        # A plain IN: the ids are primary keys (a JSON list here made SQLite scan the
        # tenant's members instead).
        members.c.tenant_id == tenant_id, members.c.id.in_(list(member_ids)))
        .order_by(members.c.id))]


def set_consent(conn: Connection, tenant_id: int, member_id: int, consent: str) -> bool:
    return conn.execute(update(members).where(
        members.c.tenant_id == tenant_id, members.c.id == member_id
    ).values(consent=consent)).rowcount > 0


def members_by_phone(conn: Connection, tenant_id: int, phone: str) -> list[int]:
    return [int(i) for i in conn.execute(select(members.c.id).where(
        members.c.tenant_id == tenant_id,
        members.c.phone_index == personal.blind_index(tenant_id, "phone", phone))).scalars()]


def skip_marketing(conn: Connection, tenant_id: int, member_id: int) -> int:
    """Withdraw the member's queued marketing messages (an unsubscribe takes effect at once)."""
    o = outbox_messages
    return conn.execute(update(o).where(
        o.c.tenant_id == tenant_id, o.c.member_id == member_id, o.c.status == "queued",
        o.c.kind == "marketing").values(status="skipped", last_error="unsubscribed")).rowcount


def retire_queued(conn: Connection, tenant_id: int, *, before: datetime, reason: str) -> int:
    """Mark the members' messages still queued from before ``before`` as skipped (one
    statement)."""
    o = outbox_messages
    return conn.execute(update(o).where(
        o.c.tenant_id == tenant_id, o.c.status == "queued", o.c.member_id.is_not(None),
        o.c.created_at < before).values(status="skipped", last_error=reason[:300])).rowcount


# The frequency cap ---------------------------------------------------------------------------

def cap_count(conn: Connection, tenant_id: int, member_id: int, period_start: date) -> int:
    c = message_caps
    found = conn.execute(select(c.c.sent).where(
        c.c.tenant_id == tenant_id, c.c.member_id == member_id,
        c.c.period_start == period_start)).scalar_one_or_none()
    return int(found or 0)


# Levels told ---------------------------------------------------------------------------------

def swap_level(conn: Connection, tenant_id: int, member_id: int, level_code: str,
               now: datetime) -> str | None:
    """Record ``level_code`` as the member's level and return the one recorded before (None
    the first time). A concurrent swap to the same level returns that level: told once."""
    s = member_levels_seen
    inserted = conn.execute(_insert(conn)(s).values(
        tenant_id=tenant_id, member_id=member_id, level_code=level_code, changed_at=now)
        .on_conflict_do_nothing(index_elements=["tenant_id", "member_id"])
        .returning(s.c.member_id)).scalar_one_or_none()
    if inserted is not None:
        return None
    before = conn.execute(select(s.c.level_code).where(
        s.c.tenant_id == tenant_id, s.c.member_id == member_id)).scalar_one()
    if before != level_code:
        moved = conn.execute(update(s).where(
            s.c.tenant_id == tenant_id, s.c.member_id == member_id, s.c.level_code == before)
            .values(level_code=level_code, changed_at=now)).rowcount
        if not moved:  # a concurrent commit told the member first
            return level_code
    return str(before)


# Many messages at once -----------------------------------------------------------------------

def queued_keys(conn: Connection, tenant_id: int, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the outbox already holds."""
    o = outbox_messages
    if not keys:
        return set()
    return set(conn.execute(select(o.c.key).where(
        o.c.tenant_id == tenant_id, bulk.one_of(conn, o.c.key, keys))).scalars())


def campaign_counts(conn: Connection, tenant_id: int, campaign_ids: Sequence[int]
                    ) -> dict[int, dict[str, int]]:
    """Per campaign, how many of its messages are queued, sent, failed or skipped."""
    o = outbox_messages
    found: dict[int, dict[str, int]] = {}
    if not campaign_ids:
        return found
    for campaign_id, status, n in conn.execute(
            select(o.c.campaign_id, o.c.status, func.count()).where(
                o.c.tenant_id == tenant_id, o.c.campaign_id.in_(list(campaign_ids)))
            .group_by(o.c.campaign_id, o.c.status)):
        found.setdefault(int(campaign_id), {})[str(status)] = int(n)
    return found

