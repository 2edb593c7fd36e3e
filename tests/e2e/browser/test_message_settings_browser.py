"""The message settings in a real browser: an owner turns on the "points earned" message and
sets quiet hours from the Messages page, sees them kept after the save, and a cap out of range
is refused beside its field."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.messaging import templates
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.web.support import add_staff


def test_an_owner_changes_the_message_settings(live_server: LiveServer, page: Any) -> None:
    rt = live_server.runtime
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    page.goto(live_server.url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.goto(live_server.url + "/console/messages")
    page.click("#settings-link")
    expect(page.locator("#f-points_earned")).not_to_be_checked()

    page.fill("#f-cap_messages", "101")
    page.click("#message-settings-form button[type=submit]")
    expect(page.locator("#e-cap_messages")).to_contain_text("100")

    page.fill("#f-cap_messages", "2")
    page.check("#f-points_earned")
    page.fill("#f-quiet_from_minute", "22:00")
    page.fill("#f-quiet_until_minute", "08:30")
    page.click("#message-settings-form button[type=submit]")
    expect(page.locator("#saved")).to_be_visible()
    page.reload()
    expect(page.locator("#f-points_earned")).to_be_checked()
    expect(page.locator("#f-quiet_from_minute")).to_have_value("22:00")
    expect(page.locator("#f-quiet_until_minute")).to_have_value("08:30")
    expect(page.locator("#f-cap_messages")).to_have_value("2")
    screenshot(page, "message-settings")
    kept = templates.get_settings(rt, shop.tenant_id)
    assert (
        kept.points_earned,
        kept.quiet_from_minute,
        kept.quiet_until_minute,
        kept.cap_messages,
    ) == (True, 22 * 60, 8 * 60 + 30, 2)
