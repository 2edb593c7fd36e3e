"""Action rewards against a real database: referrals (both triggers, refusals), birthdays in the
tenant's time zone, a completed profile, and the business's events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from regulars.domain.rewards.rewards import (
    EventRule,
    FixedReward,
    Period,
    ReferralRule,
    RewardSettings,
    Trigger,
)
from regulars.errors import IdempotencyMismatch
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.results import to_json
from regulars.services.rewards import job as rewards_job
from regulars.services.rewards import referrals, rewards
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop, make_shop
from tests.integration.support import Pos, line

REFERRER_PHONE, FRIEND_PHONE, OTHER_PHONE = "+79161234567", "+79161234568", "+79161234569"


def _settings(rt: Runtime, shop: Shop, **parts: Any) -> None:
    rewards.put_settings(rt, shop.tenant_id, RewardSettings(**parts), actor=audit.SYSTEM)


def _referral(trigger: Trigger) -> ReferralRule:
    return ReferralRule(enabled=True, referrer_points=300, referred_points=100, trigger=trigger,
                        link_base="https://join.example.com")


def _register(rt: Runtime, shop: Shop, **fields: Any) -> tuple[dict[str, Any], bool]:
    """The new (or known) member as JSON, the way the API sends it, and whether it is new."""
    view, created = member_registration.register(rt, shop.tenant_id, Registration(**fields))
    return to_json(view), created


def _balance(rt: Runtime, shop: Shop, member_id: int) -> int:
    return int(members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points)


def _codes(rt: Runtime, shop: Shop, member_id: int) -> list[str]:
    return [e["code"] for e in to_json(member_ledger.history(rt, shop.tenant_id, member_id))]


def test_referral_pays_both_sides_at_registration(rt: Runtime, shop: Shop) -> None:
    _settings(rt, shop, referral=_referral(Trigger.REGISTRATION))
    referrer, _ = _register(rt, shop, phone=REFERRER_PHONE)
    code = referrer["referral"]["code"]
    assert referrer["referral"]["link"] == f"https://join.example.com/r/{code}"
    friend, created = _register(rt, shop, phone=FRIEND_PHONE,
                                referral_code=code.lower()[:3] + "-" + code.lower()[3:])
    assert created and friend["referral"]["linked"] is True
    assert friend["referral"]["paid"] is True and friend["referral"]["reason"] is None
    assert friend["referral"]["referrer_id"] == referrer["id"]
    assert friend["balance_points"] == 100
    assert _balance(rt, shop, referrer["id"]) == 300
    told = to_json(member_ledger.history(rt, shop.tenant_id, referrer["id"]))[0]["explanations"]
    # The friend by the phone's last digits (no name given), not by id.
    assert told == [f"Бонус за приглашение участника \u2022\u2022\u2022{friend['phone'][-4:]}: "
                    "300 баллов."]
    info = to_json(referrals.referral_info(rt, shop.tenant_id, referrer["id"]))
    assert info["invited_members"] == 1 and info["code"] == code
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_first_purchase_referral_is_paid_once_by_the_job(rt: Runtime, shop: Shop) -> None:
    _settings(rt, shop, referral=_referral(Trigger.FIRST_PURCHASE))
    referrer, _ = _register(rt, shop, phone=REFERRER_PHONE)
    friend, _ = _register(rt, shop, phone=FRIEND_PHONE,
                          referral_code=referrer["referral"]["code"])
    assert friend["referral"]["linked"] is True and friend["referral"]["paid"] is False
    assert rewards_job.run(rt).referrals_paid == 0  # no purchase yet
    Pos(rt, shop).commit(friend["id"], (line("beans", 10_000),), receipt="R-1")
    assert rewards_job.run(rt).referrals_paid == 1
    assert rewards_job.run(rt).referrals_paid == 0
    assert referrals.settle_first_purchase(rt, shop.tenant_id, friend["id"]) is False
    assert _codes(rt, shop, referrer["id"]).count("referral") == 1
    assert _codes(rt, shop, friend["id"]).count("referral") == 1
    assert _balance(rt, shop, referrer["id"]) == 300
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_self_referral_and_farming_are_refused_but_registration_succeeds(
        rt: Runtime, shop: Shop) -> None:
    _settings(rt, shop, referral=_referral(Trigger.REGISTRATION))
    referrer, _ = _register(rt, shop, phone=REFERRER_PHONE, card="CARD0001",
                            device_token="device-of-referrer")
    code = referrer["referral"]["code"]

    again, created = _register(rt, shop, phone=REFERRER_PHONE, referral_code=code)
    assert not created and again["id"] == referrer["id"]
    assert again["referral"]["reason"] == "self_referral"

    by_card, created = _register(rt, shop, card="CARD0001", referral_code=code)
    assert not created and by_card["id"] == referrer["id"]
    assert by_card["referral"]["reason"] == "self_referral"

    with_card, created = _register(rt, shop, phone=FRIEND_PHONE, card="CARD0001",
                                   referral_code=code)
    assert created and with_card["referral"] == {**with_card["referral"], "linked": False,
                                                 "reason": "referrer_card"}
    assert with_card["cards"] == [] and members.get(
        rt, shop.tenant_id, MemberRef(card="CARD0001")).id == referrer["id"]

    same_device, created = _register(rt, shop, phone=OTHER_PHONE, referral_code=code,
                                     device_token="device-of-referrer")
    assert created and same_device["referral"]["reason"] == "same_device"
    farmed, created = _register(rt, shop, phone="+79161234570", referral_code=code,
                                device_token="device-of-referrer")
    assert created and farmed["referral"]["reason"] == "same_device"
    _register(rt, shop, phone="+79161234571", device_token="shared-tablet")
    known, _ = _register(rt, shop, phone="+79161234572", referral_code=code,
                         device_token="shared-tablet")
    assert known["referral"]["reason"] == "known_device"
    unknown, created = _register(rt, shop, phone="+79161234573", referral_code="ZZZZZZ")
    assert created and unknown["referral"]["reason"] == "unknown_code"

    assert _balance(rt, shop, referrer["id"]) == 0
    for member in (with_card, same_device, farmed, known, unknown):
        assert _balance(rt, shop, member["id"]) == 0
    info = to_json(referrals.referral_info(rt, shop.tenant_id, referrer["id"]))
    assert info["invited_members"] == 0


def test_birthday_is_paid_once_on_the_local_day(rt: Runtime, clock: FakeClock) -> None:
    moscow = make_shop(rt, "Moscow")  # UTC+3 all year
    utc = make_shop(rt, "London", region="GB", currency="GBP", locale="en_GB",
                    timezone="UTC")
    for shop in (moscow, utc):
        _settings(rt, shop, birthday=FixedReward(enabled=True, points=500))
    born = date(1990, 3, 3)
    in_moscow, _ = _register(rt, moscow, phone=REFERRER_PHONE, birthday=born)
    in_utc, _ = _register(rt, utc, phone="+447911123456", birthday=born)

    clock.now = datetime(2026, 3, 2, 20, 59, tzinfo=UTC)  # 23:59 on 2 March in Moscow
    assert rewards_job.run(rt).birthdays_paid == 0
    clock.now = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # 00:30 on 3 March in Moscow
    assert rewards_job.run(rt).birthdays_paid == 1  # Moscow's member only: still 2 March in UTC
    assert rewards_job.run(rt).birthdays_paid == 0
    assert _balance(rt, moscow, in_moscow["id"]) == 500
    assert _balance(rt, utc, in_utc["id"]) == 0
    clock.now = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)  # 4 March in Moscow, 3rd in UTC
    assert rewards_job.run(rt).birthdays_paid == 1
    assert _balance(rt, utc, in_utc["id"]) == 500
    assert rewards_job.run(rt).birthdays_paid == 0
    clock.now = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # a year on: once more each
    assert rewards_job.run(rt).birthdays_paid == 2
    assert _codes(rt, moscow, in_moscow["id"]).count("birthday") == 2
    told = to_json(member_ledger.history(rt, moscow.tenant_id, in_moscow["id"]))
    assert told[0]["explanations"] == [
        "С днём рождения! 500 бонусных баллов."]


def test_profile_completion_is_rewarded_once(rt: Runtime, shop: Shop) -> None:
    _settings(rt, shop, profile=FixedReward(enabled=True, points=50))
    member, _ = _register(rt, shop, phone=REFERRER_PHONE, first_name="Anna")
    assert member["balance_points"] == 0
    member_registration.update_profile(rt, shop.tenant_id, member["id"], {"last_name": "Petrova",
                                                               "email": "anna@example.com"})
    assert _balance(rt, shop, member["id"]) == 0
    done = member_registration.update_profile(rt, shop.tenant_id, member["id"],
                                              {"birthday": date(1990, 5, 1)})
    assert done.balance_points == 50
    member_registration.update_profile(rt, shop.tenant_id, member["id"], {"email": "a@example.com"})
    assert _codes(rt, shop, member["id"]).count("profile") == 1
    complete, _ = _register(rt, shop, phone=FRIEND_PHONE, first_name="Ivan",
                            last_name="Petrov", email="ivan@example.com",
                            birthday=date(1985, 1, 2))
    assert complete["balance_points"] == 50
    assert ledger_admin.check(rt, shop.tenant_id) == []


def _event(rt: Runtime, shop: Shop, event_id: str, member_id: int, type_: str = "review",
           **data: Any) -> rewards.EventOutcome:
    payload = {"event_id": event_id, "member": {"id": member_id}, "type": type_, "data": data}
    return rewards.record_event(rt, shop.tenant_id, event_id=event_id,
                                member=MemberRef(id=member_id), type_=type_, data=data,
                                payload=payload)


def test_events_are_idempotent_and_limited_per_period(rt: Runtime, shop: Shop,
                                                      clock: FakeClock) -> None:
    _settings(rt, shop, events=(EventRule(type="review", points=20, limit=2,
                                          period=Period.DAY),))
    member, _ = _register(rt, shop, phone=REFERRER_PHONE)
    first = _event(rt, shop, "e-1", member["id"], stars=5)
    assert first.rewarded and first.points == 20
    assert _event(rt, shop, "e-1", member["id"], stars=5) == first
    with pytest.raises(IdempotencyMismatch):
        _event(rt, shop, "e-1", member["id"], stars=4)
    assert _event(rt, shop, "e-2", member["id"]).used_in_period == 2
    third = _event(rt, shop, "e-3", member["id"])
    assert (third.rewarded, third.points, third.reason) == (False, 0, "limit_reached")
    assert _balance(rt, shop, member["id"]) == 40
    clock.now = datetime(2026, 3, 2, 21, 1, tzinfo=UTC)  # past midnight in Moscow: a new day
    assert _event(rt, shop, "e-4", member["id"]).points == 20
    assert _balance(rt, shop, member["id"]) == 60
    assert _codes(rt, shop, member["id"]).count("event") == 3
    assert ledger_admin.check(rt, shop.tenant_id) == []
