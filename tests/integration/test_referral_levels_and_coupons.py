"""Against a real database (SQLite and PostgreSQL): the reversal of referral rewards when the
first purchase is returned whole (the debt policy, partial refunds, voids), and the coupons
promotions issue at commit (once per receipt under replay, voided by a full refund)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from regulars.db.promotions.tables import issued_coupons
from regulars.domain.promotions.promotions import IssueCoupon, PercentDiscount
from regulars.domain.rewards.rewards import ReferralRule, RewardSettings, Trigger
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.promotions import coupons, promotions
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.promotions.promotions import Draft
from regulars.services.results import to_json
from regulars.services.rewards import job as rewards_job
from regulars.services.rewards import rewards
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.integration.support import Pos, line, set_program

RULE = ReferralRule(enabled=True, referrer_points=300, referred_points=100,
                    trigger=Trigger.FIRST_PURCHASE, upper_level_points=(40,))


def _chain(rt: Runtime, shop: Shop) -> tuple[int, int, int]:
    """Top invites referrer, referrer invites friend; returns their ids."""
    rewards.put_settings(rt, shop.tenant_id, RewardSettings(referral=RULE), actor=audit.SYSTEM)
    ids: list[int] = []
    code = None
    for phone in ("+79161234501", "+79161234502", "+79161234503"):
        view, _ = member_registration.register(rt, shop.tenant_id,
                                               Registration(phone=phone, referral_code=code))
        ids.append(int(view.id))
        code = to_json(view)["referral"]["code"]
    return ids[0], ids[1], ids[2]


def _first_purchase(rt: Runtime, pos: Pos, friend: int) -> dict[str, Any]:
    body = pos.commit(friend, (line("beans", 10_000), line("cup", 5_000)), receipt="F-1")
    assert rewards_job.run(rt).referrals_paid == 1
    return body


def test_refuse_policy_takes_back_what_is_left_and_forgives_the_rest(
        rt: Runtime, shop: Shop) -> None:
    set_program(rt, shop.tenant_id, debt_policy="refuse")
    pos = Pos(rt, shop)
    top, referrer, friend = _chain(rt, shop)
    first = _first_purchase(rt, pos, friend)
    assert [pos.balance(m) for m in (top, referrer)] == [40, 300]
    pos.commit(referrer, (line("beans", 100_000),), receipt="R-1", spend=250)
    left = pos.balance(referrer)  # 50 referral points plus what that purchase earned
    assert 50 <= left < 300
    refund = pos.refund(first["receipt"]["id"], key="rf-1")
    assert refund["refund"]["status"] == "refunded"
    assert pos.balance(referrer) == 0 and pos.balance(top) == 0
    assert pos.balance(friend) == 0
    history = to_json(member_ledger.history(rt, shop.tenant_id, referrer))
    assert history[0]["code"] == "referral_reversal" and history[0]["points"] == -left
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_allow_negative_policy_leaves_debt(rt: Runtime, shop: Shop) -> None:
    set_program(rt, shop.tenant_id, debt_policy="allow_negative")
    pos = Pos(rt, shop)
    _, referrer, friend = _chain(rt, shop)
    first = _first_purchase(rt, pos, friend)
    pos.commit(referrer, (line("beans", 100_000),), receipt="R-1", spend=250)
    left = pos.balance(referrer)
    pos.void(first["receipt"]["id"], key="void-1")
    assert pos.balance(referrer) == left - 300 < 0
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_only_a_refund_that_leaves_nothing_reverses(rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    top, referrer, friend = _chain(rt, shop)
    first = _first_purchase(rt, pos, friend)
    pos.refund(first["receipt"]["id"], [(1, 1000)], key="rf-1")
    assert [pos.balance(m) for m in (top, referrer)] == [40, 300]
    pos.refund(first["receipt"]["id"], key="rf-2")
    assert [pos.balance(m) for m in (top, referrer)] == [0, 0]
    # Another full refund elsewhere reverses nothing more.
    second = pos.commit(friend, (line("beans", 10_000),), receipt="F-2")
    pos.refund(second["receipt"]["id"], key="rf-3")
    assert [pos.balance(m) for m in (top, referrer)] == [0, 0]
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_issued_coupon_once_per_receipt_and_voided_by_a_full_refund(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    series = coupons.create_series(rt, shop.tenant_id, SeriesDraft(
        name="Next", effect=PercentDiscount(rate_bp=1000)), actor=audit.SYSTEM)
    promotions.create(rt, shop.tenant_id, Draft(
        name="Come back", effects=(IssueCoupon(series_id=series.id),)), actor=audit.SYSTEM)
    member = pos.register(1)["id"]
    prepared = pos.prepare(member, (line("beans", 10_000),), receipt="C-1")
    first = pos.send(prepared).body
    again = pos.send(prepared, key="another-key")  # the same receipt under a new key
    assert again.replayed and again.body["issued_coupons"] == first["issued_coupons"]
    anonymous = pos.commit(None, (line("beans", 10_000),), receipt="C-2")
    assert "issued_coupons" not in anonymous
    with rt.db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(issued_coupons)).scalar_one()
    assert rows == 1
    refund = pos.refund(first["receipt"]["id"], key="rf-1")
    assert refund["issued_coupons_voided"] == 1
    again_refund = pos.refund_outcome(first["receipt"]["id"], key="rf-1")
    assert again_refund.replayed
    with rt.db.read() as conn:
        voided = conn.execute(select(issued_coupons.c.voided_at)).scalar_one()
    assert voided is not None
