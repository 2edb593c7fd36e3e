"""Journeys at the built-in till that a new business tries first: finding a member by the QR
code typed or scanned into the one box (no camera button where the browser cannot scan), a
friend's invitation code at registration (its link served where the customer page shows it),
and a coupon redeemed on a sale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from regulars.domain.promotions.effects import FixedDiscount
from regulars.services.audit import audit
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.promotions import coupons
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.rewards import referrals
from regulars.services.tenancy import tenants
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import Shop, make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.customer_flows import member_sign_in
from tests.e2e.browser.terminal_flows import pair_and_sign_in

OLGA = "+79161234567"


@pytest.fixture
def till(live_server: LiveServer, page: Any) -> Iterator[tuple[Shop, int]]:
    """A shop with a signed-in cashier at its first till and a member, Olga."""
    rt, url = live_server.runtime, live_server.url
    page.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])  # shop: ru_RU
    shop = make_shop(rt)
    staff = tenants.create_staff(rt, shop.tenant_id, name="Vera", email=None, role="cashier",
                                 store_id=shop.store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, shop.tenant_id, int(staff.id), "2468")
    olga, _ = member_registration.register(rt, shop.tenant_id,
                                           Registration(phone=OLGA, first_name="Olga"))
    pair_and_sign_in(page, url, shop.till_keys[0], "Vera", "2468")
    yield shop, olga.id


def test_the_qr_code_typed_into_the_box_finds_the_member_and_no_dead_camera_button(
        live_server: LiveServer, page: Any, till: tuple[Shop, int]) -> None:
    shop, olga = till
    qr = _qr(live_server, shop, olga)
    page.goto(live_server.url + "/terminal")
    expect(page.locator("#scan")).to_be_hidden()  # headless Chromium: no camera, no detector
    page.fill("#f-q", qr)  # what a USB scanner types
    page.keyboard.press("Enter")
    expect(page.locator("#member-card")).to_contain_text("Olga")
    page.goto(live_server.url + "/terminal")
    page.fill("#f-q", f"{live_server.url}/c/{shop.tenant_id}/card/{qr}")  # a link ending in it
    page.keyboard.press("Enter")
    expect(page.locator("#member-card")).to_contain_text("Olga")


def _qr(live_server: LiveServer, shop: Shop, member_id: int) -> str:
    return str(members.get(live_server.runtime, shop.tenant_id,
                           MemberRef(id=member_id)).qr_token)


def test_a_friends_invitation_code_at_the_till_and_its_link_served(
        live_server: LiveServer, page: Any, browser: Any, till: tuple[Shop, int]) -> None:
    shop, olga = till
    rt, url = live_server.runtime, live_server.url
    code = referrals.referral_info(rt, shop.tenant_id, olga).code

    # Olga's page shows one link, and it is served: the join page with her code.
    phone = browser.new_context(locale="en-GB").new_page()
    try:
        phone.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        member_sign_in(phone, url, shop.tenant_id, OLGA, live_server)
        phone.goto(f"{url}/c/{shop.tenant_id}/invite")
        link = phone.locator("#ref-link").inner_text().strip()
        assert link == f"{url}/c/{shop.tenant_id}/r/{code}"
        phone.goto(link)
        expect(phone.locator("#join-code")).to_have_text(code)
    finally:
        phone.context.close()

    # At the till: every wrong field at once, beside the field, and what was typed stays.
    page.goto(url + "/terminal")
    page.fill("#f-q", "8 916 555 44 33")
    page.keyboard.press("Enter")
    expect(page.locator("#register-form")).to_be_visible()
    page.fill("#f-first_name", "Ivan")
    page.fill("#f-referral_code", "ZZZZ-ZZZZ")
    page.click("#register-form button[type=submit]")
    expect(page.locator("#e-agree")).to_be_visible()
    expect(page.locator("#e-referral_code")).to_contain_text("invitation code")
    expect(page.locator("#f-referral_code")).to_have_value("ZZZZ-ZZZZ")
    expect(page.locator("#f-first_name")).to_have_value("Ivan")
    page.fill("#f-referral_code", code.lower())
    page.check("#f-agree")
    page.click("#register-form button[type=submit]")
    expect(page.locator("#registered")).to_be_visible()
    expect(page.locator("#referral-linked")).to_be_visible()
    assert referrals.referral_info(rt, shop.tenant_id, olga).invited_members == 1


def test_a_coupon_is_redeemed_on_a_sale_at_the_till(live_server: LiveServer, page: Any,
                                                    till: tuple[Shop, int]) -> None:
    shop, olga = till
    rt, url = live_server.runtime, live_server.url
    series = coupons.create_series(rt, shop.tenant_id, SeriesDraft(
        name="Spring", effect=FixedDiscount(amount_minor=15_000)), actor=audit.SYSTEM)
    code = coupons.generate_codes(rt, shop.tenant_id, int(series.id), count=1,
                                  actor=audit.SYSTEM).codes[0]

    page.goto(f"{url}/terminal/sale?member={olga}")
    page.fill("#f-price-0", "1000")
    expect(page.locator("#to-pay")).to_contain_text("1,000.00")
    page.fill("#f-coupon", "AAAA-BBBB-CCCC-DDDD")
    expect(page.locator("#q-coupon")).to_be_visible()
    page.click("#commit")
    expect(page.locator("#e-coupon")).to_be_visible()
    expect(page.locator("#f-coupon")).to_have_value("AAAA-BBBB-CCCC-DDDD")
    page.fill("#f-coupon", code)
    expect(page.locator("#to-pay")).to_contain_text("850.00")
    page.click("#commit")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#receipt")).to_contain_text("150.00")

    # Used once: the next sale with the same code is refused beside the field.
    page.goto(f"{url}/terminal/sale?member={olga}")
    page.fill("#f-price-0", "1000")
    page.fill("#f-coupon", code)
    expect(page.locator("#q-coupon")).to_be_visible()
