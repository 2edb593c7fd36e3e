"""What a member sees on the customer page: signing in with a one-time code, the home
figures (balance, level and progress, points expiring soon, the card's QR content), history
a page at a time, one receipt, the profile, the referral join page and the data export.

Every function takes the signed-in member's ``tenant_id`` and ``member_id`` and reads only
their rows; another member's receipt answers :class:`NotFound`, like an unknown one.

Signing in never tells whether a number belongs to a member: for a number that is not a
member nothing is sent, but a decoy code is stored (a random digest no code matches) so that
rate limits and wrong-code answers are the same as for a member.

Failure modes: :class:`InvalidPhone` and :class:`InvalidInput` naming the field,
:class:`TooManyAttempts` (codes asked too often), :class:`CodeRefused` (wrong, expired, used
up), :class:`NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from regulars.db.checkout import receipts
from regulars.db.members import members as member_rows
from regulars.db.rewards import rewards as reward_rows
from regulars.domain.messaging import addresses
from regulars.errors import InvalidInput, NotFound, TooManyAttempts
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.messaging import otp
from regulars.services.program import programs
from regulars.services.promotions import coupons
from regulars.services.results import to_json
from regulars.services.rewards import referrals, rewards
from regulars.services.runtime import Runtime
from regulars.services.stored_value import on_receipt
from regulars.services.tenancy.tenants import get_tenant
from regulars.services.web_sessions import sessions as web_auth

HISTORY_PAGE = 20
EXPIRING_DAYS = 30
_NAME_MAX = 100


# Signing in -----------------------------------------------------------------------------------

def request_code(rt: Runtime, tenant_id: int, phone: str, *, client: str | None = None) -> str:
    """Send a sign-in code to ``phone`` if it is a member's; return the number (E.164).

    Raises :class:`InvalidPhone` (field ``phone``) and :class:`TooManyAttempts`, the latter
    for members and other numbers alike."""
    tenant = get_tenant(rt, tenant_id)
    e164 = members.normalize_phone(phone, tenant.phone_region)
    with rt.db.read() as conn:
        member = members.find(conn, tenant_id, tenant.phone_region, MemberRef(phone=e164))
    if member is not None and member.phone is not None:
        return otp.send_code(rt, tenant_id, MemberRef(phone=e164), purpose="sign_in",
                             client=client)
    otp.send_decoy(rt, tenant_id, e164, client=client)
    return e164


def sign_in(rt: Runtime, tenant_id: int, *, phone: str, code: str) -> web_auth.NewSession:
    """A member session for the right code sent to ``phone``."""
    return web_auth.member_sign_in(rt, tenant_id, phone=phone, code=code)


def retry_at(rt: Runtime, exc: TooManyAttempts) -> datetime:
    return rt.now() + timedelta(seconds=exc.retry_after_seconds)


# Home -----------------------------------------------------------------------------------------

def card_content(rt: Runtime, tenant_id: int, member_id: int) -> str:
    """The text the member's QR card encodes: its QR token, which a till names the member by
    (``MemberRef(qr=...)``, as ``/v1/pos/members/lookup`` with ``qr`` does)."""
    with rt.db.read() as conn:
        row = member_rows.live_member(conn, tenant_id, member_id)
    if row is None:
        raise NotFound("member not found")
    return row.qr_token


def home(rt: Runtime, tenant_id: int, member_id: int) -> dict[str, Any]:
    """The member's figures: the member view (balance, spendable, held, level), the level's
    progress in percent from the current threshold to the next, the points expiring in the
    next :data:`EXPIRING_DAYS` days (per lot, soonest first), the card's QR content and the
    least balance the program lets points be spent from (``spend_from_points``)."""
    view: dict[str, Any] = to_json(members.get(rt, tenant_id, MemberRef(id=member_id)))
    if view["id"] != member_id:
        raise NotFound("member not found")
    with rt.db.read() as conn:
        _, program = programs.load_current(conn, tenant_id)
    level = view["level"]
    current = program.level_by_code(level["code"])
    upcoming = program.level_by_code(level["next_code"])
    progress = 100
    if current is not None and upcoming is not None:
        span = upcoming.threshold_minor - current.threshold_minor
        done = level["window_spend_minor"] - current.threshold_minor
        progress = max(0, min(100, done * 100 // span)) if span > 0 else 100
    now = rt.now()
    horizon = now + timedelta(days=EXPIRING_DAYS)
    expiring = [lot for lot in member_ledger.lots(rt, tenant_id, member_id)
                if lot.expires_at is not None and lot.expires_at <= horizon]
    return {**view, "progress_percent": progress, "expiring": expiring,
            "expiring_points": sum(lot.points for lot in expiring),
            "expiring_days": EXPIRING_DAYS, "card": view["qr_token"],
            "spend_from_points": program.redeem_min_balance_points}


# History and receipts ---------------------------------------------------------------------

def history_page(rt: Runtime, tenant_id: int, member_id: int, *, before_id: int | None,
                 locale: str) -> dict[str, Any]:
    """One page of the member's entries, newest first, with explanations in ``locale``;
    ``next_before_id`` names the next page (``None`` on the last)."""
    rows = member_ledger.history(rt, tenant_id, member_id, limit=HISTORY_PAGE + 1,
                                 before_id=before_id, locale=locale, for_member=True)
    more = len(rows) > HISTORY_PAGE
    rows = rows[:HISTORY_PAGE]
    return {"entries": rows, "next_before_id": rows[-1].id if more else None}


def receipt(rt: Runtime, tenant_id: int, member_id: int, receipt_id: int) -> dict[str, Any]:
    """One of the member's receipts with its lines, the catalogue reward it used (``None``:
    none) and the stored value it moved (gift cards and goods sold, tenders, cashback; absent
    when none); another member's is not found."""
    with rt.db.read() as conn:
        found = receipts.get_receipt(conn, tenant_id, receipt_id)
        if found is None or found["member_id"] != member_id:
            raise NotFound("receipt not found")
        lines = receipts.lines_of(conn, tenant_id, receipt_id)
        stored_value = on_receipt.of_receipt(conn, tenant_id, found)
    view = _receipt_view(found, lines)
    return view if stored_value is None else {**view, "stored_value": to_json(stored_value)}


def _receipt_view(row: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    keep = ("id", "receipt_no", "store_id", "status", "gross_minor", "discount_minor",
            "points_spent", "points_discount_minor", "paid_minor", "points_earned",
            "refunded_paid_minor")
    answer = row["response"] if isinstance(row["response"], dict) else {}
    return {**{k: row[k] for k in keep}, "occurred_at": row["occurred_at"].isoformat(),
            "reward": answer.get("reward"),
            "lines": [{k: ln[k] for k in ("line_no", "sku", "name", "quantity_milli",
                                          "unit_price_minor", "gross_minor", "discount_minor",
                                          "paid_minor", "points_earned",
                                          "refunded_quantity_milli")} for ln in lines]}


def member_coupons(rt: Runtime, tenant_id: int, member_id: int) -> dict[str, list[Any]]:
    """The member's coupons grouped by state: active (and upcoming), used, expired."""
    groups: dict[str, list[Any]] = {"active": [], "used": [], "expired": []}
    for coupon in coupons.member_coupons(rt, tenant_id, member_id):
        groups["active" if coupon["state"] == "upcoming" else coupon["state"]].append(coupon)
    return groups


# Referral -----------------------------------------------------------------------------------

def referral(rt: Runtime, tenant_id: int, member_id: int) -> dict[str, Any]:
    """The member's referral code, how many they invited, and the program's referral rule."""
    info: dict[str, Any] = to_json(referrals.referral_info(rt, tenant_id, member_id))
    return {**info, "rule": rewards.get_settings(rt, tenant_id).referral}


def join_info(rt: Runtime, tenant_id: int, code: str | None) -> dict[str, Any]:
    """What the join page says: the business, the referral rule, and whether ``code`` is a
    member's referral code (``code`` is ``None`` when it is not)."""
    tenant = get_tenant(rt, tenant_id)
    normal = referrals.normalize_code(code or "")
    with rt.db.read() as conn:
        known = normal is not None and reward_rows.code_owner(conn, tenant_id, normal) is not None
    return {"business": tenant.name, "code": normal if known else None,
            "rule": rewards.get_settings(rt, tenant_id).referral}


# Profile ------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ProfileForm:
    """The profile form as typed: empty strings mean "not given"."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    birthday: str = ""
    consent: str = ""


def _text(value: str, field: str) -> str | None:
    cleaned = value.strip()
    if len(cleaned) > _NAME_MAX:
        raise InvalidInput("at most %(count)s characters", field=field,
                           params={"count": _NAME_MAX})
    return cleaned or None


def _birthday(value: str, today: date) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput("enter the date as YYYY-MM-DD", field="birthday") from exc
    if not date(1900, 1, 1) <= day <= today:
        raise InvalidInput("enter a date between 1900 and today", field="birthday")
    return day


def save_profile(rt: Runtime, tenant_id: int, member_id: int,
                 form: ProfileForm) -> members.MemberView:
    """Save what the member typed. The birthday is set once: a member whose birthday is known
    cannot change it (the business can). Nothing is saved when any field is refused."""
    current = members.get(rt, tenant_id, MemberRef(id=member_id))
    changes: dict[str, Any] = {"first_name": _text(form.first_name, "first_name"),
                               "last_name": _text(form.last_name, "last_name")}
    email = _text(form.email, "email")
    if email is not None and not addresses.EMAIL.fullmatch(email):
        raise InvalidInput("enter an e-mail address like name@example.com", field="email")
    changes["email"] = email
    if form.birthday.strip():
        day = _birthday(form.birthday, rt.now().date())
        if current.birthday is None:
            changes["birthday"] = day
        elif current.birthday != day:
            raise InvalidInput("the birthday is set already; ask the business to correct it",
                               field="birthday")
    if form.consent:
        if form.consent not in members.CONSENTS:
            raise InvalidInput("choose one of the options", field="consent")
        changes["consent"] = form.consent
    return member_registration.update_profile(rt, tenant_id, member_id, changes)


# Download -----------------------------------------------------------------------------------

def export(rt: Runtime, tenant_id: int, member_id: int) -> dict[str, Any]:
    """Everything kept about the member, as JSON-ready data: profile, identifiers, balance,
    open lots, full history with explanations, receipts with lines, and coupons."""
    tenant = get_tenant(rt, tenant_id)
    view: dict[str, Any] = to_json(members.get(rt, tenant_id, MemberRef(id=member_id)))
    history: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        chunk = member_ledger.history(rt, tenant_id, member_id, limit=500, before_id=before)
        history.extend(to_json(chunk))
        if len(chunk) < 500:
            break
        before = chunk[-1].id
    with rt.db.read() as conn:
        identifiers = [{"kind": i["kind"], "value": i["value"],
                        "created_at": i["created_at"].isoformat()}
                       for i in member_rows.identifiers_of(conn, tenant_id, member_id)]
        receipt_list = []
        for row in receipts.list_receipts(conn, tenant_id, member_id=member_id, limit=10**6,
                                          before_id=None):
            full = receipts.get_receipt(conn, tenant_id, row["id"])
            assert full is not None
            receipt_list.append(_receipt_view(full, receipts.lines_of(conn, tenant_id,
                                                                      row["id"])))
    return {
        "business": {"id": tenant_id, "name": tenant.name, "currency": tenant.currency},
        "exported_at": rt.now().isoformat(),
        "profile": {k: view[k] for k in ("id", "phone", "first_name", "last_name", "email",
                                         "birthday", "consent", "profile", "status",
                                         "created_at")},
        "identifiers": identifiers,
        "balance": {k: view[k] for k in ("balance_points", "spendable_points", "held_points",
                                         "debt_points")},
        "level": view["level"],
        "lots": to_json(member_ledger.lots(rt, tenant_id, member_id)),
        "history": history,
        "receipts": receipt_list,
        "coupons": coupons.member_coupons(rt, tenant_id, member_id),
    }


def erase_self(rt: Runtime, tenant_id: int, member_id: int, *, typed_phone: str) -> None:
    """The signed-in member erases their own personal data (see
    :mod:`regulars.services.members.privacy`), confirming by typing their phone number
    again. Raises :class:`InvalidInput` (``confirm``) when it is not their number."""
    from regulars.services.audit.audit import Actor
    from regulars.services.members import privacy

    region = get_tenant(rt, tenant_id).phone_region
    with rt.db.read() as conn:
        row = member_rows.live_member(conn, tenant_id, member_id)
    if row is None:
        raise NotFound("member not found")
    try:
        typed = members.normalize_phone(typed_phone, region, field="confirm")
    except InvalidInput:
        typed = None
    if row.phone is None or typed != row.phone:
        raise InvalidInput("type your phone number to confirm", field="confirm")
    privacy.erase(rt, tenant_id, member_id, actor=Actor(kind="member", id=member_id))
