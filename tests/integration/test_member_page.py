"""The customer page's service: sign-in codes that do not reveal membership, home figures,
history pages and coupon states, called directly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from regulars.domain.promotions.promotions import FixedDiscount
from regulars.errors import CodeRefused, NotFound, TooManyAttempts
from regulars.services.audit import audit
from regulars.services.members import customer_page as member_page
from regulars.services.messaging.messaging import MemorySender
from regulars.services.promotions import coupons
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line, phone


def test_a_stranger_is_limited_and_refused_like_a_member(rt: Runtime, shop: Shop,
                                                         clock: FakeClock) -> None:
    rt.sender = sender = MemorySender()
    assert member_page.request_code(rt, shop.tenant_id, "8 916 000 00 99") == phone(99)
    with pytest.raises(CodeRefused, match=r"the code is wrong \(4 attempts left\)"):
        member_page.sign_in(rt, shop.tenant_id, phone=phone(99), code="123456")
    member_page.request_code(rt, shop.tenant_id, phone(99))
    member_page.request_code(rt, shop.tenant_id, phone(99))
    with pytest.raises(TooManyAttempts) as limited:
        member_page.request_code(rt, shop.tenant_id, phone(99))
    assert limited.value.retry_after_seconds == 600
    assert member_page.retry_at(rt, limited.value) == clock.now + timedelta(minutes=10)
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(CodeRefused, match="expired"):
        member_page.sign_in(rt, shop.tenant_id, phone=phone(99), code="123456")
    assert sender.sent == []


def test_home_history_pages_and_coupon_states(rt: Runtime, shop: Shop,
                                              clock: FakeClock) -> None:
    pos = Pos(rt, shop)
    member = pos.register(1)["id"]
    other = pos.register(2)["id"]
    pos.commit(member, (line("tea", 10_000),), receipt="r1")
    for _ in range(25):
        pos.grant(member, 1)
    home = member_page.home(rt, shop.tenant_id, member)
    assert home["balance_points"] == 3 + 25 and home["card"] == home["qr_token"]
    assert home["progress_percent"] == 100  # one level only: nothing further to reach
    assert home["expiring"] == []
    first = member_page.history_page(rt, shop.tenant_id, member, before_id=None,
                                     locale="en_GB")
    assert len(first["entries"]) == member_page.HISTORY_PAGE
    second = member_page.history_page(rt, shop.tenant_id, member,
                                      before_id=first["next_before_id"], locale="en_GB")
    assert [e.code for e in second["entries"]][-1] == "earn"
    assert second["next_before_id"] is None
    receipt_id = pos.commit(other, (line("tea", 10_000),), receipt="r2")["receipt"]["id"]
    with pytest.raises(NotFound):
        member_page.receipt(rt, shop.tenant_id, member, receipt_id)
    later = coupons.create_series(rt, shop.tenant_id, SeriesDraft(
        name="Summer", effect=FixedDiscount(amount_minor=100),
        starts_on=clock.now.date() + timedelta(days=10)), actor=audit.SYSTEM)
    coupons.generate_codes(rt, shop.tenant_id, later.id, count=1, member_id=member,
                           actor=audit.SYSTEM)
    listed = coupons.member_coupons(rt, shop.tenant_id, member)
    assert [c["state"] for c in listed] == ["upcoming"]
    assert member_page.member_coupons(rt, shop.tenant_id, member)["active"] == listed
    assert coupons.member_coupons(rt, shop.tenant_id, other) == []
