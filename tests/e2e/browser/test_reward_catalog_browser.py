"""The rewards catalogue in a real browser: the owner adds a reward (every problem beside its
field first); at a phone-sized till the cashier sees it offered for a member's basket, picks
it, and the sale is paid in part with its points. A member claims one in advance on their
page and gets its code as a QR."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.ledger import member_ledger
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.rewards import catalog
from regulars.services.rewards.catalog import RewardDraft
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.customer_flows import member_sign_in
from tests.e2e.browser.terminal_flows import pair_and_sign_in
from tests.e2e.web.support import add_staff

PHONE_VIEWPORT = {"width": 390, "height": 844}


def test_the_owner_adds_a_reward_and_the_cashier_gives_it_for_points(
        live_server: LiveServer, page: Any, browser: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    page.goto(url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.locator("#menu-marketing summary").click()
    page.get_by_role("link", name="Rewards catalogue").click()

    page.fill("#f-points_cost", "lots")
    page.click("#reward-form button[type=submit]")
    expect(page.locator("#e-points_cost")).to_contain_text("a whole number")
    expect(page.locator("#e-sku")).to_be_visible()
    expect(page.locator("#f-points_cost")).to_have_value("lots")
    page.fill("#f-points_cost", "200")
    page.select_option("#f-kind", "fixed")
    page.fill("#f-amount", "1.00")
    page.fill("#f-title_en", "1.00 off")
    page.click("#reward-form button[type=submit]")
    expect(page.locator("#done")).to_contain_text("The reward was added.")
    expect(page.locator("#rewards tbody tr")).to_have_count(1)

    member, _ = member_registration.register(rt, shop.tenant_id,
                                             Registration(phone="+79161234567"))
    member_ledger.adjust(rt, shop.tenant_id, member.id, points=500, reason="test",
                         key="grant-1")
    staff = tenants.create_staff(rt, shop.tenant_id, name="Vera", email=None, role="cashier",
                                 store_id=shop.store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, shop.tenant_id, staff.id, "2468")
    phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB",
                                has_touch=True).new_page()
    try:
        phone.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
        pair_and_sign_in(phone, url, shop.till_keys[0], "Vera", "2468")
        phone.goto(url + f"/terminal/sale?member={member.id}")
        phone.locator("[name=price]").first.fill("3.50")
        reward = phone.locator("#rewards [data-reward]")
        expect(reward).to_have_count(1)
        reward.check()
        expect(phone.locator("#to-pay")).to_contain_text("2")  # 3.50 less 1.00
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.click("#commit")
        expect(phone.locator("#done")).to_be_visible()
        receipt_pk = int(phone.url.split("/")[-1].split("?")[0])
    finally:
        phone.context.close()
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert (stored.points_spent, stored.paid_minor) == (200, 250)


def test_a_member_claims_a_reward_in_advance_from_a_readable_button(
        live_server: LiveServer, page: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="perk", points_cost=150, titles={"en": "A gift at the counter"},
        descriptions={"en": "Ask for it at the counter."}), actor=audit.SYSTEM)
    member, _ = member_registration.register(rt, shop.tenant_id,
                                             Registration(phone="+79161234568"))
    member_ledger.adjust(rt, shop.tenant_id, member.id, points=500, reason="test",
                         key="grant-claim")
    page.set_viewport_size(PHONE_VIEWPORT)
    page.context.add_cookies([{"name": "rg_lang", "value": "en", "url": url}])
    member_sign_in(page, url, shop.tenant_id, "+79161234568", live_server)
    page.goto(f"{url}/c/{shop.tenant_id}/rewards")
    claim = page.get_by_role("link", name="Claim")
    # The button's text must not take the button's own colour (a link rule once outranked it).
    ink, ground = claim.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    assert ink != ground
    claim.click()
    page.get_by_role("button", name="Claim for 150 points").click()
    expect(page.locator("#claimed .qr svg")).to_be_visible()
    expect(page.locator("#reward-code")).not_to_be_empty()
    expect(page.locator("#claimed")).to_contain_text("150 points spent")
    page.goto(f"{url}/c/{shop.tenant_id}/rewards")
    expect(page.locator("#spendable")).to_contain_text("350")
