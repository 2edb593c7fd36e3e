"""The console in a real browser: find a member by a phone typed another way, adjust their
points (a missing reason is refused next to its field), refund a receipt."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.domain.promotions.promotions import PercentDiscount
from regulars.services.audit import audit
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.promotions import promotions
from regulars.services.promotions.promotions import Draft
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.web.console_data import member, sale
from tests.e2e.web.support import add_staff


def test_find_adjust_and_refund(live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    promotions.create(rt, shop.tenant_id, Draft(
        name="Cake week", condition="basket.total_minor >= 1000",
        effects=(PercentDiscount(rate_bp=1000, categories=frozenset({"food"})),)),
                      actor=audit.SYSTEM)
    ann = member(rt, shop, first_name="Ann", last_name="Lee")
    member(rt, shop, "+78007750112", first_name="Bob")
    receipt = sale(rt, shop, "R-1001")
    balance = members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).balance_points

    page.goto(live_server.url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.goto(live_server.url + "/console/members")
    page.fill("#f-q", "8 (800) 775 0111")  # stored as +78007750111: found by htmx as typed
    results = page.locator("#results")
    expect(results).to_contain_text("Ann Lee")
    expect(results).not_to_contain_text("Bob")
    screenshot(page, "console-members")
    results.get_by_role("link", name="Ann Lee").click()
    expect(page.locator("h1")).to_contain_text("Ann Lee")

    page.fill("#f-points", "50")
    page.click("#adjust button[type=submit]")
    expect(page.locator("#e-reason")).to_contain_text("a reason is required")
    expect(page.locator("#balance")).to_have_text(str(balance))
    page.fill("#f-reason", "Spilled coffee")
    page.click("#adjust button[type=submit]")
    expect(page.locator(".notice.ok")).to_contain_text("The points were adjusted.")
    expect(page.locator("#history")).to_contain_text("Spilled coffee")
    assert members.get(rt, shop.tenant_id,
                       MemberRef(id=ann["id"])).balance_points == balance + 50
    screenshot(page, "console-member")

    page.get_by_role("link", name="R-1001").first.click()
    expect(page.locator("#promotions")).to_contain_text("Cake week")
    screenshot(page, "console-receipt")
    page.click("#refund-all")
    expect(page.locator("#refund-done")).to_contain_text("Points taken back")
    expect(page.locator("h1")).to_contain_text("refunded")
    after = members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).balance_points
    assert after == balance + 50 - receipt["points_earned"]

    page.goto(live_server.url + "/console/promotions")
    expect(page.locator("#promotions")).to_contain_text("Cake week")
    screenshot(page, "console-promotions")
