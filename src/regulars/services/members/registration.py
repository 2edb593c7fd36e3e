"""Joining and changing a member: registration (with its welcome bonus and referral), a card
added later, and profile changes (which may pay the completed-profile reward).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.engine import UniqueViolation
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.members import members
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.ledger import EntryCode
from regulars.errors import DuplicateIdentifier, InvalidInput, NotFound
from regulars.services.members.members import (
    CONSENTS,
    MemberView,
    normalize_card,
    normalize_phone,
    view,
)
from regulars.services.messaging import events, notify
from regulars.services.passes import passes
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant


@dataclass(frozen=True, kw_only=True)
class Registration:
    phone: str | None = None
    card: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    birthday: date | None = None
    consent: str = "full"
    profile: dict[str, Any] | None = None
    referrer_id: int | None = None
    referral_code: str | None = None
    device_token: str | None = None


EARLIEST_BIRTHDAY = date(1900, 1, 1)


def check_birthday(rt: Runtime, tenant_id: int, birthday: date | None) -> None:
    """Refuse a birthday after today in the business's time zone, or before 1900
    (:class:`InvalidInput` on ``birthday``)."""
    if birthday is None:
        return
    today = rt.now().astimezone(ZoneInfo(get_tenant(rt, tenant_id).timezone)).date()
    if not EARLIEST_BIRTHDAY <= birthday <= today:
        raise InvalidInput("enter a date between 1900 and today", field="birthday")


def register(rt: Runtime, tenant_id: int, reg: Registration, *, store_id: int | None = None,
             terminal_id: int | None = None, staff_id: int | None = None
             ) -> tuple[MemberView, bool]:
    """Register a member (phone alone is enough) and credit the welcome bonus; ``staff_id``:
    who enrolled them (:class:`NotFound` when not the tenant's), for enrolments per cashier.

    Returns (member view, created). A phone that already belongs to a member returns that
    member with ``created`` false, so a till that registers twice makes no duplicate and pays
    no second bonus. A card that belongs to someone else raises :class:`DuplicateIdentifier`.

    A new member's answer has a ``referral`` part: its own referral code and link, and, when
    ``referrer_id`` or ``referral_code`` named a referrer, whether it was linked (or why not:
    see :mod:`regulars.services.rewards.referrals`) and what was paid. A refused referral never
    refuses
    the registration; the referrer's own card is then left with the referrer.
    """
    from regulars.services.rewards import referrals

    if reg.consent not in CONSENTS:
        raise InvalidInput(f"consent must be one of {', '.join(CONSENTS)}", field="consent")
    if reg.phone is None and reg.card is None:
        raise InvalidInput("a phone number or a card number is required", field="phone")
    check_birthday(rt, tenant_id, reg.birthday)
    tenant = get_tenant(rt, tenant_id)
    phone = normalize_phone(reg.phone, tenant.phone_region) if reg.phone else None
    card = normalize_card(reg.card) if reg.card else None
    now = rt.now()
    try:
        with rt.db.write() as conn:
            plan = referrals.plan_referral(
                conn, tenant_id, tenant.phone_region, referrer_id=reg.referrer_id,
                code=reg.referral_code, phone=phone, card=card, device_token=reg.device_token)
            if phone and (existing := members.identifier_owner(conn, tenant_id, "phone", phone)):
                return referrals.answer_for_existing(conn, tenant_id, existing, plan,
                                                     view(conn, tenant_id, existing, rt)), False
            if plan.existing_member_id is not None:
                found = plan.existing_member_id
                return referrals.answer_for_existing(conn, tenant_id, found, plan,
                                                     view(conn, tenant_id, found, rt)), False
            if not plan.keep_card:
                card = None
            if card and members.identifier_owner(conn, tenant_id, "card", card):
                raise DuplicateIdentifier("this card belongs to another member", field="card")
            member_id, account_id = _new_member(conn, tenant_id, reg, phone=phone, card=card,
                                    referrer_id=plan.linked_referrer_id, store_id=store_id,
                                    staff_id=staff_id, now=now)
            _welcome(conn, tenant_id, member_id, account_id, store_id=store_id,
                     terminal_id=terminal_id, now=now)
            referral = referrals.after_register(conn, tenant_id, member_id=member_id, plan=plan,
                                                now=now, store_id=store_id,
                                                terminal_id=terminal_id)
            _announce(conn, rt, tenant_id, member_id, store_id=store_id,
                      referrer_id=plan.linked_referrer_id, now=now)
            return replace(view(conn, tenant_id, member_id, rt), referral=referral), True
    except UniqueViolation as exc:
        # Another request registered the same phone a moment ago: answer with that member.
        with rt.db.read() as conn:
            if phone and (existing := members.identifier_owner(conn, tenant_id, "phone", phone)):
                return view(conn, tenant_id, existing, rt), False
        raise DuplicateIdentifier("an identifier belongs to another member") from exc


def _announce(conn: Connection, rt: Runtime, tenant_id: int, member_id: int, *,
              store_id: int | None, referrer_id: int | None, now: datetime) -> None:
    """The ``member.created`` event and the member's welcome, in the registration's
    transaction."""
    events.emit(conn, tenant_id, [events.Pending(
        key=f"member:{member_id}:created", type="member.created",
        data={"member_id": member_id, "store_id": store_id, "referrer_id": referrer_id})],
        now)
    notify.queue_one(conn, rt, tenant_id, event="welcome", member_id=member_id,
                     key=f"member:{member_id}:welcome", now=now,
                     values={"wallet_pass_url": passes.offer_url(conn, rt, tenant_id)})


def _new_member(conn: Connection, tenant_id: int, reg: Registration, *, phone: str | None,
                card: str | None, referrer_id: int | None, store_id: int | None,
                staff_id: int | None, now: datetime) -> tuple[int, int]:
    """The member row, its points account and its identifiers (phone, card, a new QR
    token); the member's and the account's ids. Raises :class:`NotFound` for a staff
    member not the tenant's, the database's unique violation for an identifier taken
    meanwhile."""
    if staff_id is not None and tenancy.get_staff(conn, tenant_id, staff_id) is None:
        raise NotFound("staff member not found")
    qr = "Q" + secrets.token_urlsafe(15)
    member_id = members.insert_member(
        conn, tenant_id=tenant_id, phone=phone, first_name=reg.first_name,
        last_name=reg.last_name, email=reg.email, birthday=reg.birthday,
        consent=reg.consent, profile=reg.profile or {}, referrer_id=referrer_id,
        qr_token=qr, store_id=store_id, staff_id=staff_id, now=now)
    account_id = ledger_ops.open_account(conn, tenant_id, member_id)
    for kind, value in (("phone", phone), ("card", card), ("qr", qr)):
        if value:
            members.add_identifier(conn, tenant_id=tenant_id, member_id=member_id,
                                   kind=kind, value=value, now=now)
    return member_id, account_id


def _welcome(conn: Connection, tenant_id: int, member_id: int, account_id: int, *,
             store_id: int | None, terminal_id: int | None, now: datetime) -> None:
    """Credit the program's welcome bonus, if any, keyed ``welcome:<member id>``."""
    version, program = programs.load_current(conn, tenant_id)
    points = program.welcome_bonus_points
    if points <= 0:
        return
    ctx = EntryContext(tenant_id=tenant_id, member_id=member_id, terminal_id=terminal_id,
                       store_id=store_id, program_version=version, occurred_at=now,
                       recorded_at=now)
    ledger_ops.earn(conn, ctx, key=f"welcome:{member_id}", account_id=account_id,
                    amount=points, available_at=now, expires_at=program.lot_dates(now)[1],
                    code=EntryCode.WELCOME,
                    memo={"why": [{"code": "welcome", "params": {"points": points}}]})


def add_card(rt: Runtime, tenant_id: int, member_id: int, card: str) -> MemberView:
    value = normalize_card(card)
    try:
        with rt.db.write() as conn:
            if members.live_member(conn, tenant_id, member_id) is None:
                raise NotFound("member not found")
            owner = members.identifier_owner(conn, tenant_id, "card", value)
            if owner == member_id:
                return view(conn, tenant_id, member_id, rt)
            if owner is not None:
                raise DuplicateIdentifier("this card belongs to another member", field="card")
            members.add_identifier(conn, tenant_id=tenant_id, member_id=member_id, kind="card",
                                   value=value, now=rt.now())
            return view(conn, tenant_id, member_id, rt)
    except UniqueViolation as exc:
        raise DuplicateIdentifier("this card belongs to another member", field="card") from exc


def update_profile(rt: Runtime, tenant_id: int, member_id: int, changes: dict[str, Any]
                   ) -> MemberView:
    allowed = {"first_name", "last_name", "email", "birthday", "consent", "profile"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    if "consent" in changes and changes["consent"] not in CONSENTS:
        raise InvalidInput(f"consent must be one of {', '.join(CONSENTS)}", field="consent")
    check_birthday(rt, tenant_id, changes.get("birthday"))
    with rt.db.write() as conn:
        if members.live_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        current = view(conn, tenant_id, member_id, rt)
        # What differs from the member as they are: a form sent back unchanged changes nothing.
        changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if changes:
            members.update_member(conn, tenant_id, member_id, **changes)
            from regulars.services.rewards.rewards import on_profile_changed

            on_profile_changed(conn, tenant_id, member_id, rt.now())
            # The names of the fields, not their values: no personal data in an event.
            events.emit(conn, tenant_id, [events.Pending(
                key=f"member:{member_id}:changed:{secrets.token_hex(8)}", type="member.changed",
                data={"member_id": member_id, "fields": sorted(changes)})], rt.now())
            return view(conn, tenant_id, member_id, rt)
        return current
