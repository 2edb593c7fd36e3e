"""A partial refund at a phone-sized till: one line's quantity with a reason, the amount
shown before anything happens, an owner's PIN above the business's limit, and the page
never scrolling sideways."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import sessions as web_auth
from regulars.services.web_sessions import till_refunds
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.browser.terminal_flows import pair_and_sign_in

PHONE_VIEWPORT = {"width": 390, "height": 844}


def _narrow(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_one_line_refunded_with_the_managers_pin(live_server: LiveServer,
                                                 browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    for name, role, pin in (("Vera", "cashier", "2468"), ("Boss", "owner", "9753")):
        person = tenants.create_staff(rt, shop.tenant_id, name=name, email=None, role=role,
                                      store_id=shop.store_id, actor=audit.SYSTEM)
        web_auth.set_pin(rt, shop.tenant_id, person.id, pin)
    till_refunds.set_manager_pin_above(rt, shop.tenant_id, 5_000, actor=audit.SYSTEM)  # 50.00
    page = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB",
                               has_touch=True).new_page()
    try:
        page.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        pair_and_sign_in(page, url, shop.till_keys[0], "Vera", "2468")
        page.goto(url + "/terminal/sale")
        page.fill("#f-price-0", "40")
        page.locator("#lines details summary").first.click()
        page.fill("#f-name-0", "Cake")
        page.fill("#f-qty-0", "3")
        expect(page.locator("#to-pay")).to_contain_text("120")
        page.click("#commit")
        expect(page.locator("#done")).to_be_visible()
        receipt_pk = int(page.url.split("/")[-1].split("?")[0])

        page.fill("#f-qty-1", "2")
        page.click("#refund")
        expect(page.locator("#e-reason")).to_contain_text("enter the reason for the refund")
        expect(page.locator("#f-qty-1")).to_have_value("2")
        page.fill("#f-reason", "Stale")
        page.click("#refund")
        expect(page.locator("#refund-amount")).to_contain_text("80")
        expect(page.locator("#manager")).to_be_visible()  # 80.00 is above 50.00
        _narrow(page)
        screenshot(page, "terminal-refund")
        page.fill("#f-manager_pin", "1111")
        page.click("#confirm-refund")
        expect(page.locator("#e-manager_pin")).to_contain_text("wrong PIN")
        page.fill("#f-manager_pin", "9753")
        page.click("#confirm-refund")
        expect(page.locator("#refunds")).to_contain_text("Reason: Stale")
        expect(page.locator("#refunds")).to_contain_text("allowed by Boss")
        _narrow(page)
    finally:
        page.context.close()
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert stored.status == "partially_refunded"
    assert stored.lines[0].refunded_quantity_milli == 2000
