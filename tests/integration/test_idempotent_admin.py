"""Manual adjustments and merges are keyed writes: a retry gets the first answer back."""

from __future__ import annotations

import pytest

from regulars.domain.checkout.quote import BasketLine
from regulars.errors import IdempotencyMismatch, NotFound
from regulars.services.checkout import checkout
from regulars.services.checkout import pricing as checkout_pricing
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import authenticate
from tests.conftest import Shop


def _member(rt: Runtime, shop: Shop, phone: str) -> int:
    view, _ = member_registration.register(rt, shop.tenant_id, Registration(phone=phone))
    return int(view.id)


def test_adjust_retry_returns_the_first_answer_and_posts_once(rt: Runtime, shop: Shop) -> None:
    member_id = _member(rt, shop, "+79161234567")
    first = member_ledger.adjust(rt, shop.tenant_id, member_id, points=120, reason="goodwill",
                                 key="adj-1")
    again = member_ledger.adjust(rt, shop.tenant_id, member_id, points=120, reason="goodwill",
                                 key="adj-1")
    assert again == first
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points == 120
    with pytest.raises(IdempotencyMismatch):
        member_ledger.adjust(rt, shop.tenant_id, member_id, points=121, reason="goodwill",
                             key="adj-1")
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points == 120


def test_merge_retry_returns_the_first_answer(rt: Runtime, shop: Shop) -> None:
    keep = _member(rt, shop, "+79161234567")
    dup = _member(rt, shop, "+79161234568")
    member_ledger.adjust(rt, shop.tenant_id, dup, points=70, reason="old card", key="a")
    first = member_ledger.merge(rt, shop.tenant_id, source_id=dup, target_id=keep, key="m-1")
    again = member_ledger.merge(rt, shop.tenant_id, source_id=dup, target_id=keep, key="m-1")
    assert again == first and first.balance_points == 70
    found = members.get(rt, shop.tenant_id, MemberRef(phone="+79161234568"))
    assert found.id == keep


def test_a_till_cannot_release_another_tills_hold(rt: Runtime, shop: Shop) -> None:
    member_id = _member(rt, shop, "+79161234567")
    member_ledger.adjust(rt, shop.tenant_id, member_id, points=500, reason="gift", key="a")
    till_1, till_2 = (authenticate(rt, key) for key in shop.till_keys)
    sale = checkout_pricing.Sale(member=MemberRef(id=member_id), points_to_spend=100,
                                 lines=(BasketLine(sku="x", quantity_milli=1000,
                                                   unit_price_minor=100_000),))
    hold = checkout.quote(rt, till_1, sale, hold=True).hold
    assert hold is not None
    with pytest.raises(NotFound):
        checkout.release_hold(rt, till_2, hold.id)
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).held_points == 100
    checkout.release_hold(rt, till_1, hold.id)
    checkout.release_hold(rt, till_1, hold.id)  # releasing twice is harmless
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).held_points == 0
