"""The product list in a real browser: the owner adds a product (every problem beside its
field first) and imports a list; at a phone-sized till the cashier picks items by quick key
and by search instead of typing prices, and the page never scrolls sideways."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.terminal_flows import pair_and_sign_in
from tests.e2e.web.support import add_staff

PHONE_VIEWPORT = {"width": 390, "height": 844}


def test_the_owner_builds_the_list_and_the_cashier_picks_from_it(
        live_server: LiveServer, page: Any, browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    page.goto(url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.get_by_role("link", name="Products").click()

    page.fill("#f-sku", "CAP M")
    page.fill("#f-price", "-5")
    page.check("#f-favourite")
    page.click("#product-form button[type=submit]")
    expect(page.locator("#e-sku")).to_contain_text("no spaces")
    expect(page.locator("#e-name")).to_contain_text("enter the product's name")
    expect(page.locator("#e-price")).to_contain_text("must be 0 or more")
    expect(page.locator("#f-price")).to_have_value("-5")
    expect(page.locator("#f-favourite")).to_be_checked()
    page.fill("#f-sku", "CAP-M")
    page.fill("#f-name", "Cappuccino")
    page.fill("#f-price", "3.50")
    page.fill("#f-category", "coffee")
    page.click("#product-form button[type=submit]")
    expect(page.locator("#done")).to_contain_text("The product was added.")

    page.fill("#f-csv", "sku,name,price,category,favourite\nTEA,Green tea,2.20,tea,no\n"
                        "BUN,Cinnamon bun,x,bakery,yes\n")
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-problems")).to_contain_text("enter an amount like 12.50")
    page.fill("#f-csv", "sku,name,price,category,favourite\nTEA,Green tea,2.20,tea,no\n"
                        "BUN,Cinnamon bun,2.80,bakery,yes\n")
    page.click("#import-form button[type=submit]")
    expect(page.locator("#done")).to_contain_text("2 new products")
    expect(page.locator("#products tbody tr")).to_have_count(3)

    staff = tenants.create_staff(rt, shop.tenant_id, name="Vera", email=None, role="cashier",
                                 store_id=shop.store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, shop.tenant_id, staff.id, "2468")
    phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB",
                                has_touch=True).new_page()
    try:
        phone.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        pair_and_sign_in(phone, url, shop.till_keys[0], "Vera", "2468")
        phone.goto(url + "/terminal/sale")
        keys = phone.locator("#picks .pick")
        expect(keys).to_have_count(2)  # the favourites: cappuccino and the bun
        keys.filter(has_text="Cappuccino").click()
        keys.filter(has_text="Cappuccino").click()  # a second one: the quantity goes up
        expect(phone.locator("[name=qty]").first).to_have_value("2")
        phone.fill("#f-pq", "tea")
        expect(phone.locator("#picks .pick")).to_have_count(1)
        phone.locator("#picks .pick").click()
        expect(phone.locator("#to-pay")).to_contain_text("9")  # 2 × 3.50 + 2.20 = 9.20
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.click("#commit")
        expect(phone.locator("#done")).to_be_visible()
        expect(phone.locator("#receipt")).to_contain_text("Green tea")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        receipt_pk = int(phone.url.split("/")[-1].split("?")[0])
    finally:
        phone.context.close()
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert [(line.sku, line.quantity_milli) for line in stored.lines] == [
        ("CAP-M", 2000), ("TEA", 1000)]
    assert stored.gross_minor == 920
