"""The console in a real browser: an owner erases a member's personal data through the
confirmation step (a wrong number is refused next to its field), and the member is gone."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.ledger import admin as ledger_admin
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.web.console_data import member, sale
from tests.e2e.web.support import add_staff


def test_an_owner_erases_a_member_after_confirming(live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    ann = member(rt, shop, first_name="Ann", last_name="Lee")
    sale(rt, shop, "R-2001")

    page.goto(live_server.url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/console/members/{ann['id']}")
    page.click("#erase-link")
    expect(page.locator("h1")).to_contain_text("Ann Lee")
    expect(page.locator("#erase")).to_contain_text(f"({ann['id']})")
    page.fill("#f-confirm", "999999")
    page.click("#erase button[type=submit]")
    expect(page.locator("#e-confirm")).to_contain_text("type the member's number")
    expect(page.locator("#f-confirm")).to_have_value("999999")
    page.fill("#f-confirm", str(ann["id"]))
    page.click("#erase button[type=submit]")
    expect(page.locator("#notice")).to_contain_text("personal data was erased")
    expect(page.locator("#results")).not_to_contain_text("Ann Lee")
    assert ledger_admin.check(rt, shop.tenant_id) == []
