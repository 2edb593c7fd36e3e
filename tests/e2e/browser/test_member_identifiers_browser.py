"""A member's new phone number in a real browser: the code texted to the new number
confirms it (a wrong one is refused beside its field), then a lost card is blocked."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import add_card
from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.web.console_data import member
from tests.e2e.web.support import add_staff


def test_change_the_phone_and_block_a_lost_card(live_server: LiveServer, page: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    ann = member(rt, shop, first_name="Ann", last_name="Lee")
    add_card(rt, shop.tenant_id, ann["id"], "CARD0007")
    page.goto(url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.goto(f"{url}/console/members/{ann['id']}")
    page.click("#identifiers-link")

    page.fill("#f-new_phone", "8 800 775-01-55")
    page.click("#phone-form button[type=submit]")
    expect(page.locator("#code-sent")).to_contain_text("+78007750155")
    page.fill("#f-code", "000000")
    page.click("#phone-confirm-form button[type=submit]")
    expect(page.locator("#e-code")).to_contain_text("wrong")
    page.fill("#f-code", live_server.last_code())
    page.click("#phone-confirm-form button[type=submit]")
    expect(page.locator("#notice")).to_contain_text("The phone number was changed.")
    assert members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).phone == "+78007750155"

    page.click("#identifiers-link")
    page.click("#block-CARD0007")
    expect(page.locator("#notice")).to_contain_text("The card was blocked")
    assert members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).cards == ()
