"""Action rewards: referrals, birthdays, a completed profile, and events the business posts.

Every reward is one ledger entry from the tenant's ``issued`` account to the member, with an
explanation (``why``) and a lot that expires as the program says. Each is keyed, so it is
written at most once whoever asks and however often:

    referral:<referred id>:referrer     referral:<referred id>:referred
    birthday:<member id>:<local year>   profile:<member id>          event:<event id>

When each is paid:

- a referral with trigger ``registration``, and a profile complete at sign-up: in the
  registration's own transaction (:func:`plan_referral`, :func:`after_register`);
- a profile completed later: in the transaction that completes it (:func:`on_profile_changed`);
- a referral with trigger ``first_purchase``, and birthdays: by :func:`run`
  (``regulars rewards run``), a job to run every hour or so. It is idempotent: payments are
  keyed and a referral is marked settled in the paying transaction, so a second run (or two at
  once) pays nothing more. :func:`settle_first_purchase` is the same step for one member, safe
  to call right after a commit as well;
- an event: when posted (:func:`record_event`), once per ``event_id``.

Failure modes: :class:`NotFound` for an unknown member or referrer id, :class:`InvalidInput`
for an unknown event type or bad settings, :class:`IdempotencyMismatch` for an ``event_id``
reused with another body.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy import Connection

from regulars.db import ledger, ledger_lots, tenancy
from regulars.db import members as member_rows
from regulars.db import rewards as store
from regulars.db.engine import UniqueViolation
from regulars.db.ledger import EntryContext
from regulars.db.members import MemberRow
from regulars.domain.ledger import EntryCode, Posting, SystemAccount
from regulars.domain.rewards import (
    Refusal,
    RewardSettings,
    Trigger,
    birthday_in,
    chain_payouts,
    period_start,
    profile_complete,
    referral_refusal,
)
from regulars.errors import InvalidInput, NotFound
from regulars.services import idempotency, programs, referral_chain
from regulars.services.members import MemberRef
from regulars.services.members import find as find_member
from regulars.services.runtime import Runtime
from regulars.services.tenants import get_tenant

_SETTINGS: TypeAdapter[RewardSettings] = TypeAdapter(RewardSettings)
# No 0/O, 1/I/L: a code read aloud or copied from paper comes out right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
_CODE_TEXT = re.compile(r"[\s-]")


# Settings -------------------------------------------------------------------------------------

def settings_of(settings: RewardSettings) -> dict[str, Any]:
    dumped: dict[str, Any] = _SETTINGS.dump_python(settings, mode="json")
    return dumped


def load_settings(conn: Connection, tenant_id: int) -> RewardSettings:
    stored = store.get_settings(conn, tenant_id)
    return RewardSettings() if stored is None else _SETTINGS.validate_python(stored)


def get_settings(rt: Runtime, tenant_id: int) -> dict[str, Any]:
    with rt.db.read() as conn:
        return settings_of(load_settings(conn, tenant_id))


def put_settings(rt: Runtime, tenant_id: int, settings: RewardSettings) -> dict[str, Any]:
    """Replace the tenant's reward settings. Referrals already linked keep the terms they were
    linked with."""
    body = settings_of(settings)
    for attempt in (1, 2):
        try:
            with rt.db.write() as conn:
                store.put_settings(conn, tenant_id, body, rt.now())
            break
        except UniqueViolation:  # a concurrent first save inserted the row: update it
            if attempt == 2:
                raise
    return body


# Ledger ---------------------------------------------------------------------------------------

def _pay(conn: Connection, *, tenant_id: int, member: MemberRow, points: int, code: EntryCode,
         key: str, why: dict[str, Any], now: datetime, store_id: int | None = None,
         terminal_id: int | None = None) -> int:
    """Credit ``points`` to ``member`` from ``issued`` as one keyed entry; return its id.
    Raises the database's unique violation when ``key`` was paid before."""
    version, program = programs.load_current(conn, tenant_id)
    ctx = EntryContext(tenant_id=tenant_id, member_id=member.id, store_id=store_id,
                       terminal_id=terminal_id, program_version=version, occurred_at=now,
                       recorded_at=now)
    issued = ledger.system_account_id(conn, tenant_id, SystemAccount.ISSUED)
    entry_id = ledger.write_entry(
        conn, ctx, code=code, key=key,
        postings_=[Posting(issued, -points), Posting(member.account_id, points)],
        member_points=points, memo={"why": [why]})
    _, expires_at = program.lot_dates(now)
    ledger_lots.credit(conn, tenant_id, member.account_id, entry_id, points, available_at=now,
                       expires_at=expires_at)
    return entry_id


def _may_earn(member: MemberRow | None) -> bool:
    return member is not None and member.status == "active" and member.consent != "none"


# Referral codes -------------------------------------------------------------------------------

def normalize_code(raw: str) -> str | None:
    """A typed code in canonical form, or ``None`` when it cannot be a code at all."""
    code = _CODE_TEXT.sub("", raw).upper()
    if not 4 <= len(code) <= 16 or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def _new_code(conn: Connection, tenant_id: int) -> str:
    while True:  # 31^6 ≈ 900 million codes: a clash is rare, two in a row rarer still
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if store.code_owner(conn, tenant_id, code) is None:
            return code


def device_hash(tenant_id: int, token: str) -> str:
    return hashlib.sha256(f"{tenant_id}:{token}".encode()).hexdigest()


# Registration ---------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ReferralPlan:
    """What a registration does about a referral, decided before the member is written.

    ``referrer_id`` is the member named (``None`` for an unknown code); ``linked`` says whether
    the new member is credited to them; ``keep_card`` is false when the card given is the
    referrer's own; ``existing_member_id`` is set when the registration names the referrer
    themself (their card and no phone), which then answers with that member.
    """

    attempted: bool
    referrer_id: int | None = None
    refusal: Refusal | None = None
    keep_card: bool = True
    existing_member_id: int | None = None
    device_hash: str | None = None

    @property
    def linked_referrer_id(self) -> int | None:
        return self.referrer_id if self.attempted and self.refusal is None else None


def plan_referral(conn: Connection, tenant_id: int, region: str, *, referrer_id: int | None,
                  code: str | None, phone: str | None, card: str | None,
                  device_token: str | None) -> ReferralPlan:
    """Raises :class:`NotFound` for a ``referrer_id`` that is not this tenant's member (an
    unknown typed ``code`` is a refusal instead: the registration goes ahead)."""
    if referrer_id is not None and code is not None:
        raise InvalidInput("give referrer_id or referral_code, not both", field="referral_code")
    hashed = device_hash(tenant_id, device_token) if device_token else None
    if referrer_id is None and code is None:
        return ReferralPlan(attempted=False, device_hash=hashed)
    if referrer_id is None:
        normal = normalize_code(code or "")
        referrer_id = store.code_owner(conn, tenant_id, normal) if normal else None
        if referrer_id is None:
            return ReferralPlan(attempted=True, refusal=Refusal.UNKNOWN_CODE,
                                device_hash=hashed)
    referrer = find_member(conn, tenant_id, region, MemberRef(id=referrer_id))
    if referrer is None or referrer.status != "active":
        raise NotFound("referrer not found")
    card_owner = member_rows.identifier_owner(conn, tenant_id, "card", card) if card else None
    card_of_referrer = card_owner == referrer.id
    if card_of_referrer and phone is None:
        return ReferralPlan(attempted=True, referrer_id=referrer.id,
                            refusal=Refusal.SELF_REFERRAL, existing_member_id=referrer.id,
                            device_hash=hashed)
    extras = store.member_rewards_row(conn, tenant_id, referrer.id) or {}
    refusal = referral_refusal(
        new_phone=phone, referrer_phone=referrer.phone, card_of_referrer=card_of_referrer,
        device_hash=hashed, referrer_device_hash=extras.get("device_hash"),
        device_known=hashed is not None and store.device_known(conn, tenant_id, hashed))
    return ReferralPlan(attempted=True, referrer_id=referrer.id, refusal=refusal,
                        keep_card=not card_of_referrer, device_hash=hashed)


def answer_for_existing(conn: Connection, tenant_id: int, member_id: int, plan: ReferralPlan,
                        body: dict[str, Any]) -> dict[str, Any]:
    """The registration answer for a member who exists already: nothing is linked or paid."""
    if not plan.attempted:
        return body
    reason = Refusal.SELF_REFERRAL if member_id == plan.referrer_id else Refusal.ALREADY_MEMBER
    settings = load_settings(conn, tenant_id)
    own = (store.member_rewards_row(conn, tenant_id, member_id) or {}).get("referral_code")
    return {**body, "referral": {"code": own, "link": settings.referral.link(own),
                                 "referrer_id": None, "linked": False,
                                 "reason": reason.value, "paid": False}}


def after_register(conn: Connection, tenant_id: int, *, member_id: int, plan: ReferralPlan,
                   now: datetime, store_id: int | None,
                   terminal_id: int | None) -> dict[str, Any]:
    """In the registration's transaction: give the new member a referral code, keep the
    device hash, record the referral and pay what is due at registration (referral with
    trigger ``registration``, a complete profile). Returns the answer's ``referral`` part."""
    settings = load_settings(conn, tenant_id)
    code = _new_code(conn, tenant_id)
    store.set_member_rewards(conn, tenant_id, member_id, referral_code=code,
                             device_hash=plan.device_hash)
    rule = settings.referral
    answer: dict[str, Any] = {"code": code, "link": rule.link(code),
                              "referrer_id": plan.linked_referrer_id,
                              "linked": plan.linked_referrer_id is not None,
                              "reason": plan.refusal.value if plan.refusal else None,
                              "paid": False}
    if plan.attempted:
        linked = plan.linked_referrer_id is not None
        pays = linked and rule.enabled
        referral_id = store.insert_referral(
            conn, tenant_id=tenant_id, referred_id=member_id, referrer_id=plan.referrer_id,
            status="linked" if linked else "refused",
            reason=plan.refusal.value if plan.refusal else None, trigger=rule.trigger.value,
            referrer_points=rule.referrer_points if pays else 0,
            referred_points=rule.referred_points if pays else 0,
            chain_points=list(rule.upper_level_points) if pays else [], created_at=now)
        if linked:
            answer.update(trigger=rule.trigger.value,
                          referrer_points=rule.referrer_points if pays else 0,
                          referred_points=rule.referred_points if pays else 0)
            if rule.trigger is Trigger.REGISTRATION or not pays:
                row = store.referral_of(conn, tenant_id, member_id)
                assert row is not None and row["id"] == referral_id
                _settle(conn, tenant_id, row, now, store_id=store_id, terminal_id=terminal_id)
                answer["paid"] = pays
    on_profile_changed(conn, tenant_id, member_id, now)
    return answer


def _settle(conn: Connection, tenant_id: int, referral: dict[str, Any], now: datetime, *,
            store_id: int | None = None, terminal_id: int | None = None,
            receipt_id: int | None = None) -> bool:
    """Pay both sides of a linked referral once, and the levels above the referrer (see
    :mod:`regulars.services.referral_chain`); ``False`` if it was settled already."""
    if not store.settle_referral(conn, tenant_id, referral["id"], now, receipt_id=receipt_id):
        return False
    referred_id = int(referral["referred_id"])
    referrer = find_member(conn, tenant_id, "", MemberRef(id=referral["referrer_id"]))
    referred = find_member(conn, tenant_id, "", MemberRef(id=referred_id))
    for who, member, points, why in (
            ("referrer", referrer, int(referral["referrer_points"]), "referral_referrer"),
            ("referred", referred, int(referral["referred_points"]), "referral_referred")):
        if points > 0 and member is not None and _may_earn(member):
            _pay(conn, tenant_id=tenant_id, member=member, points=points,
                 code=EntryCode.REFERRAL, key=f"referral:{referred_id}:{who}",
                 why={"code": why, "params": {"points": points, "member_id": referred_id}},
                 now=now, store_id=store_id, terminal_id=terminal_id)
    level_points = tuple(int(p) for p in referral.get("chain_points") or ())
    if level_points and referral["referrer_id"] is not None:
        referrer_id = int(referral["referrer_id"])
        above = referral_chain.chain_above(conn, tenant_id, referrer_id, len(level_points))
        for level, member_id, points in chain_payouts(
                referred_id=referred_id, referrer_id=referrer_id, chain=above,
                level_points=level_points):
            upper = find_member(conn, tenant_id, "", MemberRef(id=member_id))
            if upper is not None and _may_earn(upper):
                _pay(conn, tenant_id=tenant_id, member=upper, points=points,
                     code=EntryCode.REFERRAL, key=f"referral:{referred_id}:level{level}",
                     why={"code": "referral_chain", "params": {
                         "points": points, "member_id": referred_id, "level": level}},
                     now=now, store_id=store_id, terminal_id=terminal_id)
    return True


def settle_first_purchase(rt: Runtime, tenant_id: int, member_id: int) -> bool:
    """Pay the referral of ``member_id`` if its trigger is the first purchase and the member
    has a standing receipt. Idempotent: ``True`` only for the call that paid it."""
    now = rt.now()
    try:
        with rt.db.write() as conn:
            referral = store.referral_of(conn, tenant_id, member_id)
            if (referral is None or referral["status"] != "linked"
                    or referral["trigger"] != Trigger.FIRST_PURCHASE.value
                    or referral["settled_at"] is not None
                    or referral["reversed_at"] is not None):
                return False
            first = store.first_purchase(conn, tenant_id, member_id)
            if first is None:
                return False
            return _settle(conn, tenant_id, referral, now, receipt_id=first)
    except UniqueViolation:  # a concurrent caller paid it a moment ago
        return False


def referral_info(rt: Runtime, tenant_id: int, member_id: int) -> dict[str, Any]:
    """A member's own code and link, who invited them and how many they invited. A member
    from before referrals gets a code on first ask."""
    with rt.db.read() as conn:
        extras = store.member_rewards_row(conn, tenant_id, member_id)
    if extras is None:
        raise NotFound("member not found")
    if extras["referral_code"] is None:
        with rt.db.write() as conn:
            extras = store.member_rewards_row(conn, tenant_id, member_id)
            assert extras is not None
            if extras["referral_code"] is None:
                extras["referral_code"] = _new_code(conn, tenant_id)
                store.set_member_rewards(conn, tenant_id, member_id,
                                         referral_code=extras["referral_code"])
    with rt.db.read() as conn:
        settings = load_settings(conn, tenant_id)
        own = store.referral_of(conn, tenant_id, member_id)
        invited = store.referred_count(conn, tenant_id, member_id)
    code = extras["referral_code"]
    return {
        "member_id": member_id, "code": code, "link": settings.referral.link(code),
        "referrer_id": extras["referrer_id"], "invited_members": invited,
        "referral": None if own is None else {
            "status": own["status"], "reason": own["reason"], "trigger": own["trigger"],
            "referrer_points": own["referrer_points"],
            "referred_points": own["referred_points"],
            "settled": own["settled_at"] is not None},
    }


# Profile --------------------------------------------------------------------------------------

def on_profile_changed(conn: Connection, tenant_id: int, member_id: int, now: datetime) -> bool:
    """Pay the completed-profile reward if it is due now and was never paid; in the caller's
    transaction. ``True`` when it paid."""
    member = member_rows.get_member(conn, tenant_id, member_id)
    if member is None or not _may_earn(member) or not profile_complete(
            first_name=member.first_name, last_name=member.last_name, email=member.email,
            birthday=member.birthday):
        return False
    rule = load_settings(conn, tenant_id).profile
    key = f"profile:{member_id}"
    if not rule.pays or store.entry_exists(conn, tenant_id, key):
        return False
    _pay(conn, tenant_id=tenant_id, member=member, points=rule.points, code=EntryCode.PROFILE,
         key=key, why={"code": "profile_reward", "params": {"points": rule.points}}, now=now)
    return True


# Birthdays ------------------------------------------------------------------------------------

def pay_birthday(rt: Runtime, tenant_id: int, member_id: int) -> bool:
    """Pay the birthday bonus if today, in the tenant's time zone, is the member's birthday
    and this year's is unpaid. ``True`` only for the call that paid it."""
    tenant = get_tenant(rt, tenant_id)
    now = rt.now()
    local_today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    key = f"birthday:{member_id}:{local_today.year}"
    try:
        with rt.db.write() as conn:
            member = member_rows.get_member(conn, tenant_id, member_id)
            rule = load_settings(conn, tenant_id).birthday
            if (member is None or member.birthday is None or not _may_earn(member)
                    or not rule.pays
                    or birthday_in(local_today.year, member.birthday) != local_today
                    or store.entry_exists(conn, tenant_id, key)):
                return False
            _pay(conn, tenant_id=tenant_id, member=member, points=rule.points,
                 code=EntryCode.BIRTHDAY, key=key,
                 why={"code": "birthday", "params": {"points": rule.points}}, now=now)
            return True
    except UniqueViolation:
        return False


def _birthdays_due(conn: Connection, tenant_id: int, local_today: date) -> list[int]:
    feb_28_only = (local_today.month, local_today.day) == (2, 28) and \
        birthday_in(local_today.year, date(2000, 2, 29)) == local_today
    return store.birthday_members(conn, tenant_id, month=local_today.month,
                                  day=local_today.day, also_feb_29=feb_28_only,
                                  year=local_today.year)


# Events ---------------------------------------------------------------------------------------

def record_event(rt: Runtime, tenant_id: int, *, event_id: str, member: MemberRef, type_: str,
                 data: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Reward an event the business reports, once per ``event_id``: the same id and body
    return the first answer; the id with another body raises :class:`IdempotencyMismatch`.

    An event over its type's limit for the period (in the tenant's time zone), or of a member
    who opted out of earning, is recorded with 0 points and a ``reason``.
    """
    tenant = get_tenant(rt, tenant_id)
    now = rt.now()
    with rt.db.write() as conn:
        return idempotency.once(
            conn, tenant_id=tenant_id, scope="event", key=event_id, payload=payload, now=now,
            work=lambda: _record(conn, tenant, event_id=event_id, ref=member, type_=type_,
                                 data=data, now=now))


def _record(conn: Connection, tenant: tenancy.TenantRow, *, event_id: str, ref: MemberRef,
            type_: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    rule = load_settings(conn, tenant.id).event(type_)
    member = find_member(conn, tenant.id, tenant.phone_region, ref)
    if member is None or member.status != "active":
        raise NotFound("member not found")
    if rule is None:
        raise InvalidInput(f"no event type {type_!r} is configured", field="type")
    store.lock_account(conn, member.account_id)
    since = period_start(rule.period, now.astimezone(ZoneInfo(tenant.timezone)))
    used = store.rewarded_events(conn, tenant.id, member.id, rule.type, since)
    reason = None
    if not _may_earn(member):
        reason = "no_consent"
    elif rule.limit is not None and used >= rule.limit:
        reason = "limit_reached"
    elif rule.points == 0:
        reason = "no_points"
    points = rule.points if reason is None else 0
    entry_id = None
    if points:
        entry_id = _pay(conn, tenant_id=tenant.id, member=member, points=points,
                        code=EntryCode.EVENT, key=f"event:{event_id}",
                        why={"code": "reward_event",
                             "params": {"points": points, "event_type": rule.type}}, now=now)
    store.insert_event(conn, tenant_id=tenant.id, event_id=event_id, member_id=member.id,
                       type=rule.type, points=points, entry_id=entry_id, data=data,
                       occurred_at=now)
    after = member_rows.get_member(conn, tenant.id, member.id)
    assert after is not None
    return {"event_id": event_id, "type": rule.type, "member_id": member.id,
            "points": points, "rewarded": points > 0, "reason": reason,
            "limit": rule.limit, "period": rule.period.value,
            "used_in_period": used + (1 if points else 0),
            "balance_points": after.balance}


# The job --------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class RunReport:
    codes_assigned: int
    referrals_paid: int
    birthdays_paid: int


def run(rt: Runtime, *, batch_size: int = 500) -> RunReport:
    """Give every member without one a referral code, pay first-purchase referrals whose
    member now has a standing receipt, and pay today's birthdays (each tenant's today, in its
    own time zone). Safe to run as often as wanted: a second run pays nothing more."""
    codes = referrals_paid = birthdays = 0
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        codes += _assign_codes(rt, tenant_id, batch_size)
        seen: set[int] = set()
        while True:
            with rt.db.read() as conn:
                due = [m for m in store.due_first_purchases(conn, tenant_id, batch_size)
                       if m not in seen]
            if not due:
                break
            seen.update(due)
            referrals_paid += sum(settle_first_purchase(rt, tenant_id, m) for m in due)
        tenant = get_tenant(rt, tenant_id)
        local_today = rt.now().astimezone(ZoneInfo(tenant.timezone)).date()
        with rt.db.read() as conn:
            if not load_settings(conn, tenant_id).birthday.pays:
                continue
            born = _birthdays_due(conn, tenant_id, local_today)
        birthdays += sum(pay_birthday(rt, tenant_id, m) for m in born)
    return RunReport(codes_assigned=codes, referrals_paid=referrals_paid,
                     birthdays_paid=birthdays)


def _assign_codes(rt: Runtime, tenant_id: int, batch_size: int) -> int:
    assigned = 0
    while True:
        with rt.db.write() as conn:
            ids = store.members_without_code(conn, tenant_id, batch_size)
            for member_id in ids:
                store.set_member_rewards(conn, tenant_id, member_id,
                                         referral_code=_new_code(conn, tenant_id))
        assigned += len(ids)
        if len(ids) < batch_size:
            return assigned
