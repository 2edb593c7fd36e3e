"""The customer page on a phone-sized screen: sign in with the code, the card and level,
history with explanations, the profile, another language, and the data download."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from playwright.sync_api import expect

from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.e2e.browser.customer_flows import PHONE_VIEWPORT, member_sign_in, open_section
from tests.e2e.web.customer_support import with_levels
from tests.integration.support import Pos, line

PHONE = "07400 123456"


def test_a_member_uses_the_customer_page_on_a_phone(live_server: LiveServer, page: Any,
                                                   tmp_path: Path) -> None:
    rt = live_server.runtime
    shop = make_shop(rt, "Bean & Leaf", region="GB", currency="GBP", locale="en_GB",
                     timezone="Europe/London")
    with_levels(rt, shop.tenant_id)
    pos = Pos(rt, shop)
    view, _ = member_registration.register(rt, shop.tenant_id,
                                           Registration(phone=PHONE, first_name="Ann"))
    member_id = view.id
    pos.commit(member_id, (line("flat white", 500_000),), receipt="r1")  # 150 points
    pos.grant(member_id, 1350)
    tenant = shop.tenant_id

    page.set_viewport_size(PHONE_VIEWPORT)
    member_sign_in(page, live_server.url, tenant, PHONE, live_server, shot="customer-signin")
    expect(page.locator("#balance")).to_have_text("1,500")
    expect(page.locator("#level")).to_contain_text("Level: Base")
    expect(page.locator("#to-next")).to_contain_text("to reach Gold")
    expect(page.locator(".qr svg")).to_be_visible()
    box = page.locator(".qr svg").bounding_box()
    assert box is not None and box["width"] <= PHONE_VIEWPORT["width"]
    screenshot(page, "customer-home")

    page.get_by_role("link", name="History").first.click()
    expect(page.locator(".entry").first).to_be_visible()
    expect(page.locator(".entry .why li").first).not_to_be_empty()
    expect(page.locator(".entries")).to_contain_text("test grant")
    screenshot(page, "customer-history")

    open_section(page, live_server.url, tenant, "profile")
    page.fill("#f-last_name", "Baker")
    page.fill("#f-email", "ann@example")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#e-email")).to_be_visible()
    page.fill("#f-email", "ann@example.com")
    page.check("input[name=consent][value=earn_only]")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#saved")).to_be_visible()
    assert members.get(rt, tenant, MemberRef(id=member_id)).consent == "earn_only"
    screenshot(page, "customer-profile")

    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "data.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["profile"]["last_name"] == "Baker"
    assert {e["code"] for e in data["history"]} == {"earn", "adjust"}

    page.select_option("#f-language", "ru")
    page.locator("form[action$='/language'] button").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server.url}/c/{tenant}")
    expect(page.locator("#balance")).to_have_text(format_decimal(1500, locale="ru_RU"))
    page.goto(f"{live_server.url}/c/{tenant}/history")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    # The moment as every page writes it, the month in the reader's language: "7 дек. 2026 г.".
    assert re.search(r"\d{1,2} [а-я]+\.? \d{4}", page.locator(".entry .muted").first.inner_text())
