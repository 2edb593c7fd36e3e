"""Joining and changing a member: registration (with its welcome bonus and referral), a card
added later, and profile changes (which may pay the completed-profile reward).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from regulars.db import ledger, ledger_lots, members
from regulars.db.engine import UniqueViolation
from regulars.db.ledger import EntryContext
from regulars.domain.ledger import EntryCode, Posting, SystemAccount
from regulars.errors import DuplicateIdentifier, InvalidInput, NotFound
from regulars.services import programs
from regulars.services.members import (
    CONSENTS,
    MemberView,
    normalize_card,
    normalize_phone,
    view,
)
from regulars.services.runtime import Runtime
from regulars.services.tenants import get_tenant


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


def register(rt: Runtime, tenant_id: int, reg: Registration, *, store_id: int | None = None,
             terminal_id: int | None = None) -> tuple[MemberView, bool]:
    """Register a member (phone alone is enough) and credit the welcome bonus.

    Returns (member view, created). A phone that already belongs to a member returns that
    member with ``created`` false, so a till that registers twice makes no duplicate and pays
    no second bonus. A card that belongs to someone else raises :class:`DuplicateIdentifier`.

    A new member's answer has a ``referral`` part: its own referral code and link, and, when
    ``referrer_id`` or ``referral_code`` named a referrer, whether it was linked (or why not:
    see :mod:`regulars.services.referrals`) and what was paid. A refused referral never refuses
    the registration; the referrer's own card is then left with the referrer.
    """
    from regulars.services import referrals

    if reg.consent not in CONSENTS:
        raise InvalidInput(f"consent must be one of {', '.join(CONSENTS)}", field="consent")
    if reg.phone is None and reg.card is None:
        raise InvalidInput("a phone number or a card number is required", field="phone")
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
            qr = "Q" + secrets.token_urlsafe(15)
            member_id = members.insert_member(
                conn, tenant_id=tenant_id, phone=phone, first_name=reg.first_name,
                last_name=reg.last_name, email=reg.email, birthday=reg.birthday,
                consent=reg.consent, profile=reg.profile or {},
                referrer_id=plan.linked_referrer_id, qr_token=qr, store_id=store_id, now=now)
            account_id = ledger.create_member_account(conn, tenant_id, member_id)
            for kind, value in (("phone", phone), ("card", card), ("qr", qr)):
                if value:
                    members.add_identifier(conn, tenant_id=tenant_id, member_id=member_id,
                                           kind=kind, value=value, now=now)
            version, program = programs.load_current(conn, tenant_id)
            if program.welcome_bonus_points > 0:
                ctx = EntryContext(tenant_id=tenant_id, member_id=member_id,
                                   terminal_id=terminal_id, store_id=store_id,
                                   program_version=version, occurred_at=now, recorded_at=now)
                points = program.welcome_bonus_points
                entry_id = ledger.write_entry(
                    conn, ctx, code=EntryCode.WELCOME, key=f"welcome:{member_id}",
                    postings_=[Posting(ledger.system_account_id(conn, tenant_id,
                                                                SystemAccount.ISSUED), -points),
                               Posting(account_id, points)],
                    member_points=points,
                    memo={"why": [{"code": "welcome", "params": {"points": points}}]})
                _, expires_at = program.lot_dates(now)
                ledger_lots.credit(conn, tenant_id, account_id, entry_id, points,
                                   available_at=now, expires_at=expires_at)
            referral = referrals.after_register(conn, tenant_id, member_id=member_id, plan=plan,
                                                now=now, store_id=store_id,
                                                terminal_id=terminal_id)
            return replace(view(conn, tenant_id, member_id, rt), referral=referral), True
    except UniqueViolation as exc:
        # Another request registered the same phone a moment ago: answer with that member.
        with rt.db.read() as conn:
            if phone and (existing := members.identifier_owner(conn, tenant_id, "phone", phone)):
                return view(conn, tenant_id, existing, rt), False
        raise DuplicateIdentifier("an identifier belongs to another member") from exc


def add_card(rt: Runtime, tenant_id: int, member_id: int, card: str) -> MemberView:
    value = normalize_card(card)
    try:
        with rt.db.write() as conn:
            if members.get_member(conn, tenant_id, member_id) is None:
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
    with rt.db.write() as conn:
        if members.get_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        if changes:
            members.update_member(conn, tenant_id, member_id, **changes)
            from regulars.services.rewards import on_profile_changed

            on_profile_changed(conn, tenant_id, member_id, rt.now())
        return view(conn, tenant_id, member_id, rt)
