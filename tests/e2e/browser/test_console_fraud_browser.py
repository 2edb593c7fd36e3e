"""The fraud page in a browser: an owner runs a scan, reads a flag's evidence and confirms
it; the flag moves to the confirmed list."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.analytics import fraud
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.web.support import add_staff
from tests.e2e.web.test_console_fraud import flagged_pair


def test_scan_read_the_evidence_and_confirm(live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    flagged_pair(rt, shop)

    page.goto(live_server.url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.locator("#menu-customers summary").click()
    page.get_by_role("link", name="Fraud").click()
    expect(page.locator("#flags")).to_contain_text("No flags here.")
    page.click(".fraud-scan button[type=submit]")
    expect(page.locator("#scanned")).to_contain_text("1 pairs flagged")
    flag = page.locator("section.flag").first
    expect(flag).to_contain_text("Olga")
    expect(flag.locator(".evidence")).to_contain_text("this staff member")
    screenshot(page, "console-fraud")

    flag.locator("input[name=note]").fill("Her own card, used for strangers")
    flag.get_by_role("button", name="Confirm").click()
    expect(page.locator("#flags")).to_contain_text("No flags here.")
    [kept] = fraud.list_flags(rt, shop.tenant_id, status="confirmed").items
    assert kept.note == "Her own card, used for strangers"
    page.get_by_role("link", name="confirmed").click()
    expect(page.locator("#flags")).to_contain_text("Her own card, used for strangers")
