"""The promotion builder in a real browser: conditions picked in plain words show their CEL
as they change, every problem shows beside its field with the values kept, the saved
promotion prices the next sale at the till; the console's menu fits at 1366 px; the program
editor warns when a higher level earns less; and no till or customer page scrolls sideways
on a phone."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from regulars.domain.program.program import Level, Program
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.program import programs
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import Shop, make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.browser.customer_flows import member_sign_in
from tests.e2e.browser.terminal_flows import pair_and_sign_in, register_member
from tests.e2e.web.support import add_staff

PHONE_VIEWPORT = {"width": 390, "height": 844}


def _owner(page: Any, url: str, rt: Any, shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    page.goto(url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")


def _cashier(rt: Any, shop: Shop) -> None:
    staff = tenants.create_staff(rt, shop.tenant_id, name="Vera", email=None, role="cashier",
                                 store_id=shop.store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, shop.tenant_id, staff.id, "2468")


def _narrow(page: Any, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"{where} scrolls sideways: {width} px"


def test_a_promotion_built_from_the_list_prices_the_next_sale(
        live_server: LiveServer, page: Any, browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    _owner(page, url, rt, shop)
    page.locator("#menu-marketing summary").click()
    page.get_by_role("link", name="Promotions").click()
    page.get_by_role("link", name="New promotion").click()
    expect(page.locator("#f-condition")).to_be_hidden()  # the list, not CEL, by default

    page.fill("#f-c_total", "-5")
    page.select_option("#f-effect", "fixed_discount")
    expect(page.locator("#f-rate")).to_be_hidden()  # only the chosen offer's fields
    page.fill("#f-amount", "abc")
    page.locator("#promotion-form button[type=submit]:not([value])").click()
    expect(page.locator("#e-name")).to_contain_text("enter a name")
    expect(page.locator("#e-c_total")).to_contain_text("must be 0 or more")
    expect(page.locator("#e-amount")).to_be_visible()
    expect(page.locator("#f-amount")).to_have_value("abc")

    page.fill("#f-name", "Big basket")
    page.fill("#f-c_total", "20")
    page.fill("#f-amount", "2.50")
    page.locator("#f-amount").dispatch_event("change")
    expect(page.locator("#cel-text")).to_have_text("basket.total_minor >= 2000")
    page.fill("#f-c_sku", "CAKE")
    page.locator("#f-c_sku").dispatch_event("change")
    expect(page.locator("#cel-text")).to_contain_text('l.sku == "CAKE"')
    page.fill("#f-c_sku", "")
    page.locator("#f-c_sku").dispatch_event("change")
    expect(page.locator("#cel-text")).to_have_text("basket.total_minor >= 2000")
    screenshot(page, "console-promotion-builder")
    page.locator("#promotion-form button[type=submit]:not([value])").click()
    expect(page.locator("h1")).to_contain_text("Big basket")
    expect(page.locator("#promotion-actions")).to_contain_text("Pause")

    _cashier(rt, shop)
    till = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB",
                               has_touch=True).new_page()
    try:
        till.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        pair_and_sign_in(till, url, shop.till_keys[0], "Vera", "2468")
        till.goto(url + "/terminal/sale")
        till.fill("#f-price-0", "30")
        expect(till.locator("#quote-body")).to_contain_text(re.compile(r"2[.,]50"))
        expect(till.locator("#to-pay")).to_contain_text(re.compile(r"27[.,]50"))
        till.click("#commit")
        expect(till.locator("#done")).to_be_visible()
        receipt_pk = int(till.url.split("/")[-1].split("?")[0])
    finally:
        till.context.close()
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert stored.discount_minor == 250


def test_the_menu_fits_at_1366_and_opens_its_sections(live_server: LiveServer,
                                                      browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    page = browser.new_context(viewport={"width": 1366, "height": 768},
                               locale="en-GB").new_page()
    try:
        _owner(page, url, rt, shop)
        header = page.locator("header.top").bounding_box()
        assert header is not None and header["height"] < 70, header  # one line
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.locator("#menu-setup summary").click()
        page.get_by_role("link", name="Settings").click()
        expect(page.locator("#menu-setup summary")).to_have_class(re.compile("here"))
    finally:
        page.context.close()


def test_the_program_editor_warns_when_a_higher_level_earns_less(
        live_server: LiveServer, page: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    programs.save(rt, shop.tenant_id, Program(levels=(
        Level(code="base", name="Base", threshold_minor=0, rate_bp=500),
        Level(code="gold", name="Gold", threshold_minor=100_000, rate_bp=800))), actor=audit.SYSTEM)
    _owner(page, url, rt, shop)
    page.goto(url + "/console/program")
    expect(page.locator(".level-warning")).to_have_count(0)
    page.fill("#f-level-1-rate", "3")
    expect(page.locator(".level-warning")).to_contain_text("Gold earns 3")
    expect(page.locator(".level-warning")).to_contain_text("less than Base")


def test_no_till_or_customer_page_scrolls_sideways_on_a_phone(
        live_server: LiveServer, browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    _cashier(rt, shop)
    page = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB",
                               has_touch=True).new_page()
    try:
        page.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        page.goto(url + "/terminal/pair")
        _narrow(page, "/terminal/pair")
        pair_and_sign_in(page, url, shop.till_keys[0], "Vera", "2468")
        _narrow(page, "/terminal")
        register_member(page, url, "+7 900 555-01-02", "Ann")
        _narrow(page, "the sale with a member")
        page.fill("#f-price-0", "12345.67")
        expect(page.locator("#quote-body")).to_be_attached()
        page.click("#commit")
        expect(page.locator("#done")).to_be_visible()
        _narrow(page, "the receipt")
        for path in ("/terminal/sale", "/terminal/receipts", "/terminal/sign-in"):
            page.goto(url + path)
            _narrow(page, path)
        member_sign_in(page, url, shop.tenant_id, "+7 900 555-01-02", live_server)
        base = f"{url}/c/{shop.tenant_id}"
        _narrow(page, "/c/home")
        for section in ("history", "coupons", "wallet", "invite", "profile"):
            page.goto(f"{base}/{section}")
            _narrow(page, section)
        page.goto(f"{base}/history")
        receipt = page.locator("a[href*='/receipts/']").first
        if receipt.count():
            receipt.click()
            expect(page).to_have_url(re.compile(r"/receipts/\d+"))
            page.wait_for_load_state()
            _narrow(page, "the member's receipt")
        page.context.clear_cookies()
        for path in ("/sign-in", "/join"):
            page.goto(base + path)
            _narrow(page, path)
    finally:
        page.context.close()


def test_rewards_budget_and_segment_pages_save_from_the_menu(live_server: LiveServer,
                                                             page: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    _owner(page, url, rt, shop)
    page.locator("#menu-marketing summary").click()
    page.get_by_role("link", name="Reward rules").click()
    page.check("#f-referral")
    page.fill("#f-referrer_points", "-3")
    page.fill("#f-event1_type", "review")
    page.fill("#f-event1_points", "50")
    page.click("#rewards-form button[type=submit]")
    expect(page.locator("#e-referrer_points")).to_be_visible()
    expect(page.locator("#f-event1_type")).to_have_value("review")
    expect(page.locator("#f-referral")).to_be_checked()
    page.fill("#f-referrer_points", "200")
    page.click("#rewards-form button[type=submit]")
    expect(page.locator("#saved")).to_be_visible()

    page.locator("#menu-marketing summary").click()
    page.get_by_role("link", name="Loyalty budget").click()
    page.fill("#f-total", "5000")
    page.fill("#f-base", "50")
    page.fill("#f-mass", "30")
    page.fill("#f-targeted", "30")
    page.click("#budget-form button[type=submit]")
    expect(page.locator("#budget-form .notice.bad")).to_contain_text("add up to 100")
    page.fill("#f-targeted", "20")
    page.click("#budget-form button[type=submit]")
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#bucket-mass")).to_contain_text("30")

    page.goto(url + "/console/segments/new")
    page.fill("#f-name", "Regulars of the first shop")
    page.select_option("#f-kind-1", "store_share")
    page.select_option("#f-store-1", str(shop.store_id))
    page.fill("#f-days-1", "90")
    page.fill("#f-percent-1", "60")
    page.click("form.card button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Regulars of the first shop")
