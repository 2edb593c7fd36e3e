"""Referrals: members' referral codes, what a registration does about the referrer it
names, paying both sides (and the levels above the referrer) once, and a member's own
referral details.

A referral is decided before the new member is written (:func:`plan_referral`) and recorded
in the registration's transaction (:func:`after_register`); it is paid there when its trigger
is ``registration``, otherwise on the member's first standing receipt
(:func:`settle_first_purchase`, also run by :func:`regulars.services.rewards.job.run`). A
refused referral never refuses the registration. Payments go through
:func:`regulars.services.rewards.rewards.pay`, keyed, so each side is paid at most once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.engine import UniqueViolation
from regulars.db.members import members as member_rows
from regulars.db.rewards import rewards as store
from regulars.domain.ledger.ledger import EntryCode
from regulars.domain.rewards.rewards import Refusal, Trigger, chain_payouts, referral_refusal
from regulars.errors import InvalidInput, NotFound
from regulars.services.members.members import MemberRef, MemberView, ReferralOutcome
from regulars.services.members.members import find as find_member
from regulars.services.rewards import referral_chain
from regulars.services.rewards.rewards import load_settings, may_earn, on_profile_changed, pay
from regulars.services.runtime import Runtime

# No 0/O, 1/I/L: a code read aloud or copied from paper comes out right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
_CODE_TEXT = re.compile(r"[\s-]")


def normalize_code(raw: str) -> str | None:
    """A typed code in canonical form, or ``None`` when it cannot be a code at all."""
    code = _CODE_TEXT.sub("", raw).upper()
    if not 4 <= len(code) <= 16 or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def new_code(conn: Connection, tenant_id: int) -> str:
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
                        member: MemberView) -> MemberView:
    """The registration answer for a member who exists already: nothing is linked or paid."""
    if not plan.attempted:
        return member
    reason = Refusal.SELF_REFERRAL if member_id == plan.referrer_id else Refusal.ALREADY_MEMBER
    settings = load_settings(conn, tenant_id)
    own = (store.member_rewards_row(conn, tenant_id, member_id) or {}).get("referral_code")
    return replace(member, referral=ReferralOutcome(
        code=own, link=settings.referral.link(own), referrer_id=None, linked=False,
        reason=reason.value, paid=False))


def after_register(conn: Connection, tenant_id: int, *, member_id: int, plan: ReferralPlan,
                   now: datetime, store_id: int | None,
                   terminal_id: int | None) -> ReferralOutcome:
    """In the registration's transaction: give the new member a referral code, keep the
    device hash, record the referral and pay what is due at registration (referral with
    trigger ``registration``, a complete profile). Returns the answer's ``referral`` part."""
    settings = load_settings(conn, tenant_id)
    code = new_code(conn, tenant_id)
    store.set_member_rewards(conn, tenant_id, member_id, referral_code=code,
                             device_hash=plan.device_hash)
    rule = settings.referral
    answer = ReferralOutcome(code=code, link=rule.link(code), referrer_id=plan.linked_referrer_id,
                             linked=plan.linked_referrer_id is not None,
                             reason=plan.refusal.value if plan.refusal else None, paid=False)
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
            answer = replace(answer, trigger=rule.trigger.value,
                             referrer_points=rule.referrer_points if pays else 0,
                             referred_points=rule.referred_points if pays else 0)
            if rule.trigger is Trigger.REGISTRATION or not pays:
                row = store.referral_of(conn, tenant_id, member_id)
                assert row is not None and row["id"] == referral_id
                _settle(conn, tenant_id, row, now, store_id=store_id, terminal_id=terminal_id)
                answer = replace(answer, paid=pays)
    on_profile_changed(conn, tenant_id, member_id, now)
    return answer


def _settle(conn: Connection, tenant_id: int, referral: dict[str, Any], now: datetime, *,
            store_id: int | None = None, terminal_id: int | None = None,
            receipt_id: int | None = None) -> bool:
    """Pay both sides of a linked referral once, and the levels above the referrer (see
    :mod:`regulars.services.rewards.referral_chain`); ``False`` if it was settled already."""
    if not store.settle_referral(conn, tenant_id, referral["id"], now, receipt_id=receipt_id):
        return False
    referred_id = int(referral["referred_id"])
    referrer = find_member(conn, tenant_id, "", MemberRef(id=referral["referrer_id"]))
    referred = find_member(conn, tenant_id, "", MemberRef(id=referred_id))
    for who, member, points, why in (
            ("referrer", referrer, int(referral["referrer_points"]), "referral_referrer"),
            ("referred", referred, int(referral["referred_points"]), "referral_referred")):
        if points > 0 and member is not None and may_earn(member):
            pay(conn, tenant_id=tenant_id, member=member, points=points,
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
            if upper is not None and may_earn(upper):
                pay(conn, tenant_id=tenant_id, member=upper, points=points,
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


@dataclass(frozen=True, kw_only=True, slots=True)
class ReferralStatus:
    """How the member's own referral went: linked or refused (and why), the trigger, the
    points for each side and whether they were paid."""

    status: str
    reason: str | None
    trigger: str
    referrer_points: int
    referred_points: int
    settled: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class ReferralInfo:
    """A member's own referral code and link, who invited them and how many they invited."""

    member_id: int
    code: str
    link: str | None
    referrer_id: int | None
    invited_members: int
    referral: ReferralStatus | None


def referral_info(rt: Runtime, tenant_id: int, member_id: int) -> ReferralInfo:
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
                extras["referral_code"] = new_code(conn, tenant_id)
                store.set_member_rewards(conn, tenant_id, member_id,
                                         referral_code=extras["referral_code"])
    with rt.db.read() as conn:
        settings = load_settings(conn, tenant_id)
        own = store.referral_of(conn, tenant_id, member_id)
        invited = store.referred_count(conn, tenant_id, member_id)
    code = extras["referral_code"]
    return ReferralInfo(
        member_id=member_id, code=code, link=settings.referral.link(code),
        referrer_id=extras["referrer_id"], invited_members=invited,
        referral=None if own is None else ReferralStatus(
            status=own["status"], reason=own["reason"], trigger=own["trigger"],
            referrer_points=own["referrer_points"], referred_points=own["referred_points"],
            settled=own["settled_at"] is not None))
