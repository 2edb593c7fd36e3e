"""Reusable steps on the customer page in a real browser, to chain with the console's and
the terminal's flows in longer end-to-end tests."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import LiveServer, screenshot

PHONE_VIEWPORT = {"width": 390, "height": 844}


def member_sign_in(page: Any, url: str, tenant_id: int, phone: str, server: LiveServer, *,
                   shot: str | None = None) -> None:
    """Sign in on ``/c/<tenant_id>`` with ``phone`` and the code the server sent; ends on the
    member's home page. With ``shot``, the code step is saved as that screenshot."""
    page.goto(f"{url}/c/{tenant_id}/sign-in")
    page.fill("#f-phone", phone)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#sent")).to_be_visible()
    page.fill("#f-code", server.last_code())
    if shot:
        screenshot(page, shot)
    page.locator("form[action$='/sign-in/code'] button[type=submit]").click()
    expect(page.locator("#balance")).to_be_visible()


def open_section(page: Any, url: str, tenant_id: int, section: str) -> None:
    """Open ``history``, ``coupons``, ``invite`` or ``profile`` of the signed-in member."""
    page.goto(f"{url}/c/{tenant_id}/{section}")
