"""A coffee stamp card in a real browser: the owner adds it in the console, the cashier sells
coffees at a phone-sized till and sees the card fill ("3 of 10", "9 of 10"), the sale that
completes it gives a coffee free, and the member's own page shows the card."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.customer_flows import member_sign_in
from tests.e2e.browser.terminal_flows import find_member, pair_and_sign_in
from tests.e2e.web.support import add_staff

PHONE_VIEWPORT = {"width": 390, "height": 844}
PHONE = "+79161234567"


def _add_coffee_card(page: Any, url: str) -> None:
    page.goto(url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.goto(url + "/console/stamp-cards")
    page.fill("#f-name", "Coffee card")
    page.fill("#f-per_card", "1")
    page.click("#stamp-card-form button[type=submit]")
    expect(page.locator("#e-per_card")).to_be_visible()
    page.fill("#f-per_card", "10")
    page.fill("#f-categories", "coffee")
    page.select_option("#f-reward", "free_item")
    page.select_option("#f-grant_at", "completing")
    page.fill("#f-title_en", "Every 10th coffee free")
    page.check("#f-active")
    page.click("#stamp-card-form button[type=submit]")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#stamp-cards tbody tr")).to_have_count(1)


def _sell_coffees(page: Any, url: str, quantity: int, shown: str) -> int:
    """Sell ``quantity`` coffees at 3.00 to the member; the quote shows the card as
    ``shown`` before the commit. Returns the receipt's id."""
    find_member(page, url, PHONE)
    page.fill("#f-price-0", "3.00")
    page.locator("#lines details summary").first.click()
    page.fill("#f-category-0", "coffee")
    page.fill("#f-qty-0", str(quantity))
    expect(page.locator("#quote-body .stamp-card")).to_contain_text(shown)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#commit")
    expect(page.locator("#done")).to_be_visible()
    return int(page.url.split("/")[-1].split("?")[0])


def test_a_coffee_card_fills_at_the_till_gives_a_coffee_and_shows_on_the_member_page(
        live_server: LiveServer, page: Any, browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    _add_coffee_card(page, url)
    member_registration.register(rt, shop.tenant_id, Registration(phone=PHONE))
    staff = tenants.create_staff(rt, shop.tenant_id, name="Vera", email=None, role="cashier",
                                 store_id=shop.store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, shop.tenant_id, staff.id, "2468")
    till = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB", has_touch=True)
    phone = till.new_page()
    try:
        phone.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        pair_and_sign_in(phone, url, shop.till_keys[0], "Vera", "2468")
        _sell_coffees(phone, url, 3, "3 of 10")
        _sell_coffees(phone, url, 6, "9 of 10")
        free = _sell_coffees(phone, url, 2, "reward taken")
    finally:
        till.close()
    key = authenticate(rt, shop.till_keys[0])
    stored = checkout.receipt(rt, key, free)
    # Two coffees at 3.00, the one that completes the card free.
    assert (stored.gross_minor, stored.paid_minor) == (600, 300)

    page.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
    member_sign_in(page, url, shop.tenant_id, PHONE, live_server)
    card = page.locator("#stamp-cards li")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Every 10th coffee free")
    expect(card).to_contain_text("1 of 10")
