"""Members: identification by phone, card, QR token or id (following merges), and a member
as the API shows it, one or found by a search.

Registration, cards and profile changes are in :mod:`regulars.services.members.registration`;
manual adjustments, merges, the entry history and open lots in
:mod:`regulars.services.ledger.member_ledger`. Every balance change goes through the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger import spendable as ledger_spendable
from regulars.db.members import members
from regulars.db.members.members import MemberRow
from regulars.db.tenancy import tenancy
from regulars.domain.messaging.addresses import masked_phone
from regulars.errors import InvalidInput, InvalidPhone, NotFound
from regulars.services.program import programs
from regulars.services.results import absent_when_none
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant
from regulars.text.i18n import N_

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
    """The active member ``ref`` names (following merges), or ``None`` (also for an erased
    member)."""
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
    # An erased member is an anonymous shell: found by nothing, not even its id.
    return row if row is None or row.erased_at is None else None


def require(conn: Any, tenant_id: int, region: str, ref: MemberRef) -> MemberRow:
    row = find(conn, tenant_id, region, ref)
    if row is None:
        raise NotFound("member not found")
    return row


@dataclass(frozen=True, kw_only=True, slots=True)
class LevelProgress:
    """The member's level, the spend counted in the program's window, and the next level
    with what is still to spend for it (``None`` at the top)."""

    code: str
    name: str
    rate_bp: int
    window: str
    window_spend_minor: int
    next_code: str | None
    next_name: str | None
    to_next_minor: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReferralOutcome:
    """What a registration did with a referral code: the new member's own code and link, the
    referrer linked (or why not) and whether points were paid; ``trigger`` and the points
    only when a referrer was linked."""

    code: str | None
    link: str | None
    referrer_id: int | None
    linked: bool
    reason: str | None
    paid: bool
    trigger: str | None = absent_when_none()
    referrer_points: int | None = absent_when_none()
    referred_points: int | None = absent_when_none()


@dataclass(frozen=True, kw_only=True)
class MemberView:
    """A member as the API shows it: identifiers, profile, balance, spendable and held
    points, debt, level and progress; after a registration, what it did with a referral."""

    id: int
    phone: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    birthday: date | None
    consent: str
    profile: Mapping[str, Any] | None
    status: str
    qr_token: str
    cards: tuple[str, ...]
    created_at: datetime
    balance_points: int
    held_points: int
    debt_points: int
    spendable_points: int
    level: LevelProgress
    program_version: int
    referral: ReferralOutcome | None = absent_when_none()


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryEntry:
    """One ledger entry of a member, with its reasons in words."""

    id: int
    code: str
    points: int
    receipt_id: int | None
    store_id: int | None
    terminal_id: int | None
    program_version: int | None
    occurred_at: datetime
    recorded_at: datetime
    explanations: tuple[str, ...]
    reason_codes: tuple[str, ...] = ()
    """The codes of the reasons ``explanations`` words, in their order (a page may name an
    entry by them: a reward expired unused rather than any return)."""


def view(conn: Any, tenant_id: int, member_id: int, rt: Runtime) -> MemberView:
    """A member as the API shows it: identifiers, balance, spendable points, level, progress."""
    from regulars.services.program.levels import status_for

    row = members.get_member(conn, tenant_id, member_id)
    if row is None:
        raise NotFound("member not found")
    now = rt.now()
    version, program = programs.load_current(conn, tenant_id)
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    state = ledger_ops.AccountState(id=row.account_id, balance=row.balance, held=row.held,
                                debt=row.debt)
    level = status_for(conn, tenant, program, row, now)
    return MemberView(
        id=row.id, phone=row.phone, first_name=row.first_name, last_name=row.last_name,
        email=row.email, birthday=row.birthday, consent=row.consent, profile=row.profile,
        status=row.status, qr_token=row.qr_token,
        cards=tuple(i["value"] for i in members.identifiers_of(conn, tenant_id, member_id)
                    if i["kind"] == "card"),
        created_at=row.created_at, balance_points=row.balance,
        held_points=ledger_spendable.live_held(conn, tenant_id, state, now),
        debt_points=row.debt,
        spendable_points=ledger_spendable.spendable_points(conn, tenant_id, state, now),
        level=LevelProgress(
            code=level.level.code, name=level.level.name, rate_bp=level.level.rate_bp,
            window=program.level_window.value, window_spend_minor=level.window_spend_minor,
            next_code=level.next_level.code if level.next_level else None,
            next_name=level.next_level.name if level.next_level else None,
            to_next_minor=level.to_next_minor),
        program_version=version)


def words_for(first_name: str | None, last_name: str | None,
              phone: str | None) -> str | None:
    """A member as a page or a sentence names one without an id: the name, else the phone's
    last four digits after dots (``•••4567``); ``None`` when neither is left (erased)."""
    name = " ".join(part for part in (first_name, last_name) if part)
    if name:
        return name
    return masked_phone(phone) if phone else None


def named(conn: Any, tenant_id: int, member_id: int) -> str | None:
    """:func:`words_for` the member ``member_id`` (``None``: unknown, or nothing to name it)."""
    row = members.get_member(conn, tenant_id, member_id)
    return None if row is None else words_for(row.first_name, row.last_name, row.phone)


def names(rt: Runtime, tenant_id: int, member_ids: Iterable[int]) -> dict[int, str]:
    """:func:`words_for` each of ``member_ids`` that has words, by id."""
    with rt.db.read() as conn:
        return {i: name for i in sorted(set(member_ids))
                if (name := named(conn, tenant_id, i))}


def get(rt: Runtime, tenant_id: int, ref: MemberRef) -> MemberView:
    tenant = get_tenant(rt, tenant_id)
    with rt.db.read() as conn:
        row = require(conn, tenant_id, tenant.phone_region, ref)
        return view(conn, tenant_id, row.id, rt)


def search(rt: Runtime, tenant_id: int, *, text: str | None, limit: int,
           offset: int) -> list[MemberView]:
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
