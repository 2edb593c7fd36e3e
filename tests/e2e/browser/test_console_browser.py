"""The console in a browser: first-run set-up, a store, a till and a cashier; the program
editor's live preview, a refused value and a save; the home page."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from regulars.services.program import programs
from regulars.services.tenancy.api_keys import authenticate
from tests.conftest import Shop
from tests.e2e.browser import flows
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.integration.support import Pos, line


def test_set_up_a_business_edit_the_program_and_look_at_home(live_server: LiveServer,
                                                             page: Any) -> None:
    url, rt = live_server.url, live_server.runtime
    business = flows.setup_business(page, url)
    principal = authenticate(rt, business["till_key"])
    assert principal.kind == "till"
    tenant_id = principal.tenant_id
    expect(page.locator("#staff")).to_contain_text("PIN")

    # The preview follows the form: the default 3 % gives 1 point on the €34.40 example.
    page.goto(url + "/console/program")
    terms = page.locator("#terms")
    expect(terms).to_contain_text("You earn 3\u00a0% of each purchase back in points.")
    points = page.locator("#examples tbody tr").first.locator("td").nth(3)
    expect(points).to_have_text("1")
    page.fill("#f-level-0-rate", "10")
    expect(terms).to_contain_text("You earn 10\u00a0% of each purchase back in points.")
    expect(points).to_have_text("3")
    page.fill("#f-expire_after_days", "")
    expect(terms).to_contain_text("Points never expire.")
    page.click("#add-level")
    row = page.locator("#levels tbody tr").last
    row.locator("input").nth(0).fill("Gold")
    row.locator("input").nth(2).fill("500")
    row.locator("input").nth(3).fill("15")
    expect(terms).to_contain_text("Spend €500.00 in total to reach the Gold level")
    expect(page.locator("#examples tbody tr")).to_have_count(2)

    # A bad value: the preview names it, the save is refused next to the field.
    page.fill("#f-redeem_share_max", "abc")
    expect(page.locator("#preview [data-field=redeem_share_max]")).to_contain_text("percentage")
    page.click("#program-form button[type=submit]")
    expect(page.locator("#e-redeem_share_max")).to_contain_text("percentage")
    assert programs.current(rt, tenant_id).version == 1

    page.fill("#f-redeem_share_max", "50")
    page.fill("#f-note", "10 % back, a Gold level, no expiry")
    page.click("#program-form button[type=submit]")
    expect(page.locator(".notice.ok")).to_contain_text("Saved as version 2.")
    expect(page.locator("#versions")).to_contain_text("a Gold level")
    rules = programs.rules_of(programs.current(rt, tenant_id).rules)
    assert [lv["rate_bp"] for lv in rules["levels"]] == [1000, 1500]
    assert rules["levels"][1]["threshold_minor"] == 50_000
    assert rules["expire_after_days"] is None and rules["redeem_share_max_bp"] == 5000
    screenshot(page, "console-program")

    # A few sales through the real checkout, so that Home has something to show.
    shop = Shop(tenant_id=tenant_id, owner_key="", store_id=principal.store_id or 0,
                till_keys=[business["till_key"]], terminal_ids=[principal.terminal_id or 0])
    pos = Pos(rt, shop)
    for n, price in enumerate((1_250, 4_380, 2_990)):
        member = pos.register(n)["id"]
        pos.commit(member, (line("coffee", 350), line("cake", price)), receipt=f"m{n}")
    pos.commit(None, (line("coffee", 350),), receipt="a1")
    page.click("nav >> text=Home")
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.locator("#kpi-members .value")).to_have_text("3")
    expect(page.locator("#kpi-identified .value")).to_have_text("75\u00a0%")
    expect(page.locator("#chart-receipts svg[role=img]")).to_be_visible()
    screenshot(page, "console-home")
