"""Members: registration, identification by phone, card or QR token, profile, history,
manual adjustments and merges. Every balance change goes through the ledger."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from regulars.db import ledger, ledger_lots, ledger_spendable, members, receipts, tenancy
from regulars.db.engine import UniqueViolation
from regulars.db.ledger import EntryContext, Shortfall
from regulars.db.members import MemberRow
from regulars.domain.ledger import EntryCode, Posting, SystemAccount
from regulars.errors import (
    Conflict,
    DuplicateIdentifier,
    InsufficientPoints,
    InvalidInput,
    InvalidPhone,
    NotFound,
)
from regulars.i18n import N_
from regulars.services import idempotency, programs
from regulars.services.runtime import Runtime
from regulars.services.tenants import get_tenant

CONSENTS = ("full", "earn_only", "none")
_CARD = re.compile(r"^[A-Z0-9]{4,32}$")
_REASONS = {
    ValidationResult.TOO_SHORT: N_("%(raw)s is not a valid phone number: it is too short"),
    ValidationResult.TOO_LONG: N_("%(raw)s is not a valid phone number: it is too long"),
    ValidationResult.INVALID_COUNTRY_CODE: N_(
        "%(raw)s is not a valid phone number: its country code is unknown"),
    ValidationResult.INVALID_LENGTH: N_(
        "%(raw)s is not a valid phone number: it has the wrong number of digits"),
}


def normalize_phone(raw: str, region: str, *, field: str = "phone") -> str:
    """E.164 form of ``raw`` read in ``region`` (``8 (800) 775 0111`` in RU →
    ``+78007750111``). Raises :class:`InvalidPhone` saying why the number is not valid."""
    text = raw.strip()
    if not text:
        raise InvalidPhone("the phone number is empty", field=field)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhone("%(raw)s is not a phone number", field=field,
                           params={"raw": repr(raw)}) from exc
    if not phonenumbers.is_valid_number(number):
        template = _REASONS.get(
            phonenumbers.is_possible_number_with_reason(number),
            N_("%(raw)s is not a valid phone number: no such number exists in its numbering "
               "plan"))
        raise InvalidPhone(template, field=field, params={"raw": repr(raw)})
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalize_card(raw: str, *, field: str = "card") -> str:
    value = re.sub(r"[\s-]", "", raw).upper()
    if not _CARD.match(value):
        raise InvalidInput("a card number is 4 to 32 letters or digits", field=field)
    return value


@dataclass(frozen=True, kw_only=True)
class MemberRef:
    """How a caller names a member: exactly one of phone, card, QR token or id."""

    phone: str | None = None
    card: str | None = None
    qr: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.phone, self.card, self.qr, self.id) if v is not None]
        if len(given) != 1:
            raise InvalidInput("name the member by exactly one of phone, card, qr or id",
                               field="member")


def identifier_of(ref: MemberRef, region: str) -> tuple[str, str] | None:
    """The (kind, normalised value) ``ref`` names a member by, or ``None`` for an id. Raises
    :class:`InvalidPhone` or :class:`InvalidInput` for a malformed phone or card."""
    if ref.id is not None:
        return None
    if ref.phone is not None:
        return "phone", _normalized_phone(ref.phone, region)
    if ref.card is not None:
        return "card", normalize_card(ref.card, field="member.card")
    return "qr", (ref.qr or "").strip()


@lru_cache(maxsize=16384)
def _normalized_phone(raw: str, region: str) -> str:
    """:func:`normalize_phone` of a member reference, remembered (parsing a number was a
    tenth of a quote's Python; a refusal raises again and is not remembered)."""
    return normalize_phone(raw, region, field="member.phone")


def find(conn: Any, tenant_id: int, region: str, ref: MemberRef) -> MemberRow | None:
    """The active member ``ref`` names (following merges), or ``None``."""
    identifier = identifier_of(ref, region)
    if identifier is None:
        assert ref.id is not None
        row = members.get_member(conn, tenant_id, ref.id)
    else:
        row = members.find_member(conn, tenant_id, *identifier)
    hops = 0
    while row is not None and row.status == "merged" and row.merged_into_id and hops < 10:
        row = members.get_member(conn, tenant_id, row.merged_into_id)
        hops += 1
    return row


def require(conn: Any, tenant_id: int, region: str, ref: MemberRef) -> MemberRow:
    row = find(conn, tenant_id, region, ref)
    if row is None:
        raise NotFound("member not found")
    return row


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
             terminal_id: int | None = None) -> tuple[dict[str, Any], bool]:
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
            return {**view(conn, tenant_id, member_id, rt), "referral": referral}, True
    except UniqueViolation as exc:
        # Another request registered the same phone a moment ago: answer with that member.
        with rt.db.read() as conn:
            if phone and (existing := members.identifier_owner(conn, tenant_id, "phone", phone)):
                return view(conn, tenant_id, existing, rt), False
        raise DuplicateIdentifier("an identifier belongs to another member") from exc


def add_card(rt: Runtime, tenant_id: int, member_id: int, card: str) -> dict[str, Any]:
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
                   ) -> dict[str, Any]:
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


def adjust(rt: Runtime, tenant_id: int, member_id: int, *, points: int, reason: str,
           key: str, staff_id: int | None = None) -> dict[str, Any]:
    """Add (``points`` > 0) or take away (< 0) points by hand, with a required reason.

    Idempotent by ``key``: a repeat returns the first answer, the key with other values
    raises :class:`IdempotencyMismatch`. Raises :class:`InsufficientPoints` when taking more
    than the member holds, :class:`InvalidInput` for zero points or an empty reason.
    """
    if points == 0:
        raise InvalidInput("points must not be zero", field="points")
    if not reason.strip():
        raise InvalidInput("a reason is required", field="reason")
    now = rt.now()
    payload = {"member_id": member_id, "points": points, "reason": reason.strip()}
    with rt.db.write() as conn:
        return idempotency.once(conn, tenant_id=tenant_id, scope="adjust", key=key,
                                payload=payload, now=now,
                                work=lambda: _adjust(conn, rt, tenant_id, member_id,
                                                     points=points, reason=reason.strip(),
                                                     key=key, staff_id=staff_id))


def _adjust(conn: Any, rt: Runtime, tenant_id: int, member_id: int, *, points: int,
            reason: str, key: str, staff_id: int | None) -> dict[str, Any]:
    now = rt.now()
    row = members.get_member(conn, tenant_id, member_id)
    if row is None or row.status != "active":
        raise NotFound("member not found")
    version, program = programs.load_current(conn, tenant_id)
    ctx = EntryContext(tenant_id=tenant_id, member_id=member_id, staff_id=staff_id,
                       program_version=version, occurred_at=now, recorded_at=now)
    system = ledger.system_account_id(conn, tenant_id, SystemAccount.ADJUSTED)
    entry_id = ledger.write_entry(
        conn, ctx, code=EntryCode.ADJUST, key=f"adjust:{key}",
        postings_=[Posting(system, -points), Posting(row.account_id, points)],
        member_points=points,
        memo={"reason": reason,
              "why": [{"code": "adjust", "params": {"points": points, "reason": reason}}]})
    if points > 0:
        _, expires_at = program.lot_dates(now)
        ledger_lots.credit(conn, tenant_id, row.account_id, entry_id, points,
                           available_at=now, expires_at=expires_at)
    else:
        try:
            ledger_lots.take_back(conn, tenant_id, row.account_id, entry_id, -points, None,
                                  now, allow_debt=False)
        except Shortfall as exc:
            raise InsufficientPoints("the member holds fewer points than that",
                                     field="points") from exc
    return view(conn, tenant_id, member_id, rt)


def merge(rt: Runtime, tenant_id: int, *, source_id: int, target_id: int,
          key: str) -> dict[str, Any]:
    """Merge ``source`` into ``target``: identifiers, receipts, open lots (with their expiry),
    debt and the balance move to the target through one ``merge`` entry; the source remains
    as a tombstone that resolves to the target. Idempotent by ``key``."""
    if source_id == target_id:
        raise InvalidInput("a member cannot be merged into itself", field="source_id")
    now = rt.now()
    payload = {"source_id": source_id, "target_id": target_id}
    with rt.db.write() as conn:
        return idempotency.once(conn, tenant_id=tenant_id, scope="merge", key=key,
                                payload=payload, now=now,
                                work=lambda: _merge(conn, rt, tenant_id, source_id, target_id,
                                                    key=key, now=now))


def _merge(conn: Any, rt: Runtime, tenant_id: int, source_id: int, target_id: int, *,
           key: str, now: datetime) -> dict[str, Any]:
    source = members.get_member(conn, tenant_id, source_id)
    target = members.get_member(conn, tenant_id, target_id)
    if source is None or target is None:
        raise NotFound("member not found")
    if source.status != "active" or target.status != "active":
        raise Conflict("only active members can be merged")
    # Receipts and their spend first: a commit or refund writes spend before the account row.
    receipts.move_receipts(conn, tenant_id, source_id, target_id)
    moved = ledger_lots.merge_accounts(conn, tenant_id, source.account_id, target.account_id, now)
    if moved:
        ctx = EntryContext(tenant_id=tenant_id, member_id=target_id, occurred_at=now,
                           recorded_at=now)
        ledger.write_entry(
            conn, ctx, code=EntryCode.MERGE, key=f"merge:{key}",
            postings_=[Posting(source.account_id, -moved), Posting(target.account_id, moved)],
            member_points=moved,
            memo={"source_id": source_id,
                  "why": [{"code": "merge", "params": {"points": moved,
                                                       "source_id": source_id}}]})
    members.move_identifiers(conn, tenant_id, source_id, target_id)
    members.update_member(conn, tenant_id, source_id, status="merged",
                          merged_into_id=target_id, phone=None)
    if target.phone is None and source.phone is not None:
        members.update_member(conn, tenant_id, target_id, phone=source.phone)
    return view(conn, tenant_id, target_id, rt)


def view(conn: Any, tenant_id: int, member_id: int, rt: Runtime) -> dict[str, Any]:
    """A member as the API shows it: identifiers, balance, spendable points, level, progress."""
    from regulars.services.levels import status_for

    row = members.get_member(conn, tenant_id, member_id)
    if row is None:
        raise NotFound("member not found")
    now = rt.now()
    version, program = programs.load_current(conn, tenant_id)
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    state = ledger.AccountState(id=row.account_id, balance=row.balance, held=row.held,
                                debt=row.debt)
    level = status_for(conn, tenant, program, row, now)
    return {
        "id": row.id,
        "phone": row.phone,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "birthday": row.birthday.isoformat() if row.birthday else None,
        "consent": row.consent,
        "profile": row.profile,
        "status": row.status,
        "qr_token": row.qr_token,
        "cards": [i["value"] for i in members.identifiers_of(conn, tenant_id, member_id)
                  if i["kind"] == "card"],
        "created_at": row.created_at.isoformat(),
        "balance_points": row.balance,
        "held_points": ledger_spendable.live_held(conn, tenant_id, state, now),
        "debt_points": row.debt,
        "spendable_points": ledger_spendable.spendable_points(conn, tenant_id, state, now),
        "level": {"code": level.level.code, "name": level.level.name,
                  "rate_bp": level.level.rate_bp,
                  "window": program.level_window.value,
                  "window_spend_minor": level.window_spend_minor,
                  "next_code": level.next_level.code if level.next_level else None,
                  "next_name": level.next_level.name if level.next_level else None,
                  "to_next_minor": level.to_next_minor},
        "program_version": version,
    }


def get(rt: Runtime, tenant_id: int, ref: MemberRef) -> dict[str, Any]:
    tenant = get_tenant(rt, tenant_id)
    with rt.db.read() as conn:
        row = require(conn, tenant_id, tenant.phone_region, ref)
        return view(conn, tenant_id, row.id, rt)


def search(rt: Runtime, tenant_id: int, *, text: str | None, limit: int,
           offset: int) -> list[dict[str, Any]]:
    tenant = get_tenant(rt, tenant_id)
    with rt.db.read() as conn:
        if text:
            try:
                phone = normalize_phone(text, tenant.phone_region)
            except InvalidPhone:
                phone = None
            if phone:
                row = members.find_member(conn, tenant_id, "phone", phone)
                return [view(conn, tenant_id, row.id, rt)] if row else []
        rows = members.search_members(conn, tenant_id, text=text, limit=limit, offset=offset)
        return [view(conn, tenant_id, r.id, rt) for r in rows]



def history(rt: Runtime, tenant_id: int, member_id: int, *, limit: int = 50,
            before_id: int | None = None, locale: str | None = None) -> list[dict[str, Any]]:
    """The member's ledger entries, newest first, each with the reasons in words (in
    ``locale``, the tenant's by default)."""
    from regulars.wording import render_code

    if not 1 <= limit <= 500:
        raise InvalidInput("limit must lie between 1 and 500", field="limit")
    tenant = get_tenant(rt, tenant_id)
    with rt.db.read() as conn:
        if members.get_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        rows = members.history(conn, tenant_id, member_id, limit=limit, before_id=before_id)
    return [{
        "id": r["id"], "code": r["code"], "points": r["points"],
        "receipt_id": r["receipt_id"], "store_id": r["store_id"],
        "terminal_id": r["terminal_id"], "program_version": r["program_version"],
        "occurred_at": r["occurred_at"].isoformat(),
        "recorded_at": r["recorded_at"].isoformat(),
        "explanations": [render_code(w["code"], w.get("params", {}),
                                     locale=locale or tenant.locale,
                                     currency=tenant.currency)
                         for w in r["memo"].get("why", [])],
    } for r in rows]


def lots(rt: Runtime, tenant_id: int, member_id: int) -> list[dict[str, Any]]:
    """Open lots, soonest to expire first: how many points, spendable from, expiring when."""
    with rt.db.read() as conn:
        row = members.get_member(conn, tenant_id, member_id)
        if row is None:
            raise NotFound("member not found")
        found = ledger_spendable.open_lots(conn, tenant_id, row.account_id)
    found.sort(key=lambda lot: (lot.expires_at is None, lot.expires_at or lot.available_at))
    return [{"id": lot.id, "points": lot.remaining,
             "available_at": lot.available_at.isoformat(),
             "expires_at": lot.expires_at.isoformat() if lot.expires_at else None}
            for lot in found]
