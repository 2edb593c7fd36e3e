"""The cashier terminal in a phone-sized browser: pair, PIN, find, register, sell with points
and a one-time code, refund."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.audit import audit
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.program import programs
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.tenancy import tenants
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.browser.terminal_flows import (
    find_member,
    pair_and_sign_in,
    refund,
    register_member,
    sell,
)

PHONE = "+79161234567"


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                                  has_touch=True, is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_a_cashier_sells_and_refunds_on_a_phone(live_server: LiveServer,
                                                phone_page: Any) -> None:
    rt, page, url = live_server.runtime, phone_page, live_server.url
    page.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])  # shop: ru_RU
    shop = make_shop(rt)
    programs.save(rt, shop.tenant_id, programs.parse_rules(
        {"otp_above_points": 100, "welcome_bonus_points": 50}), actor=audit.SYSTEM)
    staff = tenants.create_staff(rt, shop.tenant_id, name="Vera", email=None, role="cashier",
                                 store_id=shop.store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, shop.tenant_id, int(staff.id), "2468")
    view, _ = member_registration.register(rt, shop.tenant_id,
                                           Registration(phone=PHONE, first_name="Olga"))
    member_ledger.adjust(rt, shop.tenant_id, int(view.id), points=1_000, reason="test",
                         key="grant-1")

    page.goto(url + "/terminal")
    page.fill("#f-key", "rgt_wrong")
    page.click("button[type=submit]")
    expect(page.locator("#e-key")).to_contain_text("unknown or revoked till key")
    page.fill("#f-key", shop.till_keys[0])
    page.click("button[type=submit]")
    page.get_by_role("link", name="Vera", exact=True).click()
    expect(page.locator(".keypad")).to_be_visible()
    screenshot(page, "terminal-signin")
    pair_and_sign_in(page, url, shop.till_keys[0], "Vera", "2468")

    find_member(page, url, "8 916 123-45-67")
    expect(page.locator("#member-card")).to_contain_text("Olga")
    screenshot(page, "terminal-member")

    register_member(page, url, "8 916 555 44 33", "Ivan")
    expect(page.locator("#member-balance")).to_have_text("50")

    receipt_no = sell(page, url, PHONE, "1000", 200, code=live_server.last_code,
                      before_commit=lambda: screenshot(page, "terminal-sale"))
    expect(page.locator("#receipt")).to_contain_text("200")
    screenshot(page, "terminal-receipt")
    balance = members.get(rt, shop.tenant_id, MemberRef(phone=PHONE)).balance_points
    assert balance == 50 + 1_000 - 200 + 24  # welcome, grant, spent, 3 % of 800.00 paid

    refund(page, url, receipt_no)
    expect(page.locator("#refunds")).to_contain_text("200 points returned")
    assert members.get(rt, shop.tenant_id, MemberRef(phone=PHONE)).balance_points == 1_050
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A gift card sold on the next receipt, part of which a certificate pays.
    series = certificates.create_series(rt, shop.tenant_id, SeriesTerms(
        name="Gift", nominal_values_minor=(3000, 5000), valid_days=365), actor=audit.SYSTEM)
    [card] = certificates.issue(rt, shop.tenant_id, IssueOrder(
        series_id=series.id, count=1, amount_minor=3000, for_sale=True), actor=audit.SYSTEM).codes
    [gift] = certificates.issue(rt, shop.tenant_id, IssueOrder(
        series_id=series.id, count=1, amount_minor=5000), actor=audit.SYSTEM).codes
    find_member(page, url, PHONE)
    page.fill("#f-price-0", "80")
    page.fill("#f-card_code", card)
    page.fill("#f-cert_code", gift)
    expect(page.locator("#card-option")).to_contain_text(card[-4:])
    expect(page.locator("#cert-option")).to_contain_text(gift[-4:])
    screenshot(page, "terminal-sale-stored-value")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#commit")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#sv-certificates")).to_contain_text(card[-4:])
    expect(page.locator("#left-certificate")).to_contain_text(gift[-4:])
    assert certificates.look_up(rt, shop.tenant_id, gift).balance_minor == 0
    assert certificates.look_up(rt, shop.tenant_id, card).balance_minor == 3000
