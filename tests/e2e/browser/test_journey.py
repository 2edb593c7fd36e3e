"""The whole journey in one browser session per person: the owner sets the business and its
program up in the console, a cashier sells on the terminal with points spent and a one-time
code, the member sees it on their customer page, the cashier refunds it, and everyone sees
the points come back. Bad input on the way is shown next to its field and saves nothing."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from regulars.services.program import programs
from regulars.services.tenancy.api_keys import authenticate
from tests.e2e.browser import customer_flows, flows, terminal_flows
from tests.e2e.browser.conftest import LiveServer, screenshot

PHONE = "+44 7911 123456"
PHONE_VIEWPORT = {"width": 390, "height": 844}


def _phone_page(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB", has_touch=True,
                                  is_mobile=True)
    context.set_default_timeout(10_000)
    return context.new_page()


def test_set_up_sell_with_points_and_a_code_see_it_and_refund_it(
        live_server: LiveServer, browser: Any, page: Any) -> None:
    url, rt = live_server.url, live_server.runtime

    # Console: the business, a store, a till and a cashier; then the program.
    business = flows.setup_business(page, url)
    tenant_id = authenticate(rt, business["till_key"]).tenant_id
    page.goto(url + "/console/program")
    page.fill("#f-level-0-rate", "10")
    page.fill("#f-welcome_bonus_points", "500")
    page.fill("#f-otp_above_points", "50")
    page.fill("#f-redeem_share_max", "thirty")
    page.click("#program-form button[type=submit]")
    expect(page.locator("#e-redeem_share_max")).to_be_visible()
    assert programs.current(rt, tenant_id).version == 1  # nothing saved
    page.fill("#f-redeem_share_max", "30")
    page.fill("#f-note", "10 % back, 500 to start, a code above 50 points")
    page.click("#program-form button[type=submit]")
    expect(page.locator(".notice.ok")).to_contain_text("Saved as version 2.")
    expect(page.locator("#terms")).to_contain_text("10\u00a0%")

    # Terminal, on a phone: a new member with the welcome bonus, then a sale of €200.00
    # spending 60 points (at most 30 % of the bill), above 50 so a code is needed.
    till = _phone_page(browser)
    terminal_flows.pair_and_sign_in(till, url, business["till_key"], business["cashier"],
                                    business["pin"])
    terminal_flows.register_member(till, url, PHONE, "Mia")
    expect(till.locator("#member-card")).to_contain_text("500")
    receipt_no = terminal_flows.sell(till, url, PHONE, "200.00", 60, code=live_server.last_code)
    expect(till.locator("main")).to_contain_text("60 points pay")
    screenshot(till, "journey-terminal-receipt")

    # Customer page: 500 − 60 + 10 % of the €140 paid = 454, and why.
    member = _phone_page(browser)
    customer_flows.member_sign_in(member, url, tenant_id, PHONE, live_server)
    expect(member.locator("#balance")).to_contain_text("454")
    customer_flows.open_section(member, url, tenant_id, "history")
    expect(member.locator("main")).to_contain_text("60 points pay")
    expect(member.locator("main")).to_contain_text("14 points")
    screenshot(member, "journey-customer-history")

    # Refund at the till: the 60 points come back, the 14 earned go; the member sees 500.
    terminal_flows.refund(till, url, receipt_no)
    member.goto(f"{url}/c/{tenant_id}")
    expect(member.locator("#balance")).to_contain_text("500")

    # And the console shows the refund on the receipt.
    page.goto(url + "/console/receipts")
    page.get_by_role("link", name=re.compile(re.escape(receipt_no))).first.click()
    expect(page.locator("main")).to_contain_text("Refund")
    screenshot(page, "journey-console-receipt")
