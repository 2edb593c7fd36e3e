"""Opting out of marketing messages at once: a signed link in each marketing message (its
page asks for a confirmation; e-mail clients may POST to it in one click, RFC 8058), and a
STOP reply the SMS provider forwards (with an API key of the tenant's, of the ``events``
scope: revocable, and never stored in the clear). Either sets the member's consent to
``earn_only`` and withdraws the marketing messages still queued for them, in one transaction;
transactional messages still go."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from regulars.db.messaging import member_messages as store
from regulars.db.tenancy import tenancy
from regulars.domain.messaging.rules import is_stop, parse_unsubscribe, signature_holds
from regulars.errors import NotFound
from regulars.services.members.members import normalize_phone
from regulars.services.messaging import events
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class Unsubscribed:
    tenant_id: int
    program: str


def _opt_out(conn: Connection, rt: Runtime, tenant_id: int, member_id: int) -> None:
    recipient = store.recipients(conn, tenant_id, [member_id])
    if recipient and recipient[0]["consent"] == "full":
        store.set_consent(conn, tenant_id, member_id, "earn_only")
        events.emit(conn, tenant_id, [events.Pending(
            key=f"member:{member_id}:changed:{secrets.token_hex(8)}", type="member.changed",
            data={"member_id": member_id, "fields": ["consent"]})], rt.now())
    store.skip_marketing(conn, tenant_id, member_id)


def _checked(conn: Connection, rt: Runtime, token: str) -> tuple[Unsubscribed, int]:
    named = parse_unsubscribe(token[:100])
    if named is None:
        raise NotFound("this link is not valid")
    tenant_id, member_id = named
    if tenancy.get_tenant(conn, tenant_id) is None:
        raise NotFound("this link is not valid")
    cfg = store.settings(conn, tenant_id, rt.now())
    if not signature_holds(cfg["link_secret"], token) or not store.recipients(
            conn, tenant_id, [member_id]):
        raise NotFound("this link is not valid")
    return Unsubscribed(tenant_id=tenant_id, program=cfg["program"]), member_id


def confirm(rt: Runtime, token: str) -> Unsubscribed:
    """What an unsubscribe link would do, changing nothing (the page a GET shows: a mail
    scanner that opens every link must not unsubscribe anyone). Raises :class:`NotFound` as
    :func:`unsubscribe` does."""
    with rt.db.write() as conn:  # the settings may be created on first use
        return _checked(conn, rt, token)[0]


def unsubscribe(rt: Runtime, token: str) -> Unsubscribed:
    """Follow an unsubscribe link (the confirmation's POST, or a mail client's one-click
    POST, RFC 8058). Raises :class:`NotFound` for a token that is not one (whatever is wrong
    with it: nothing tells a guesser which part)."""
    with rt.db.write() as conn:
        found, member_id = _checked(conn, rt, token)
        _opt_out(conn, rt, found.tenant_id, member_id)
        return found


@dataclass(frozen=True, kw_only=True)
class InboundResult:
    stopped: int
    """How many members (with that phone number) were unsubscribed."""


def inbound_sms(rt: Runtime, tenant_id: int, *, phone: str, text: str) -> InboundResult:
    """A text message a member sent the tenant's number (``phone`` in E.164), forwarded by
    the SMS provider: a STOP word unsubscribes every member with that number. Raises
    :class:`InvalidInput` (field ``phone``) for a number that is none."""
    with rt.db.write() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        assert tenant is not None
        e164 = normalize_phone(phone, tenant.phone_region, field="phone")
        if not is_stop(text):
            return InboundResult(stopped=0)
        found = store.members_by_phone(conn, tenant_id, e164)
        for member_id in found:
            _opt_out(conn, rt, tenant_id, member_id)
        return InboundResult(stopped=len(found))
