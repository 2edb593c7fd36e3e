"""The figures in a browser: a business with four weeks of sales (members and anonymous, a
refund), the range picker, the tabs between the figures pages, a CSV download, and a bad
range shown beside its field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from regulars.services.tenancy.api_keys import authenticate
from tests.conftest import Shop
from tests.e2e.browser import flows
from tests.e2e.browser.conftest import LiveServer, screenshot
from tests.integration.support import Pos, line


def _history(live_server: LiveServer, till_key: str) -> None:
    rt = live_server.runtime
    principal = authenticate(rt, till_key)
    pos = Pos(rt, Shop(tenant_id=principal.tenant_id, owner_key="",
                       store_id=principal.store_id or 0, till_keys=[till_key],
                       terminal_ids=[principal.terminal_id or 0]))
    now = datetime.now(UTC)
    members = [pos.register(n)["id"] for n in range(6)]
    for day in range(0, 28, 2):
        at = now - timedelta(days=day, hours=1)
        member = members[day % len(members)]
        pos.commit(member, (line("coffee", 350), line("cake", 20_000 + 500 * day)),
                   receipt=f"m{day}", occurred_at=at)
        pos.commit(None, (line("coffee", 350),), receipt=f"a{day}", occurred_at=at)
    refunded = pos.commit(members[0], (line("beans", 9_900),), receipt="refunded")
    pos.refund(refunded["receipt"]["id"], key="refund-1")


def test_walk_the_figures(live_server: LiveServer, page: Any) -> None:
    url = live_server.url
    business = flows.setup_business(page, url)
    _history(live_server, business["till_key"])

    page.goto(url + "/console")
    expect(page.locator("h1")).to_contain_text("Is it paying?")
    page.select_option("#f-range", "last_90_days")
    page.click(".range-picker button[type=submit]")
    expect(page).to_have_url(re.compile(r"range=last_90_days"))
    expect(page.locator("#figure-receipts td").nth(1)).to_have_text("28")  # the refund: none
    expect(page.locator("#kpi-identified .value")).to_have_text("50\u00a0%")
    expect(page.locator("#chart-revenue svg[role=img]")).to_be_visible()
    screenshot(page, "console-figures-home")
    with page.expect_download() as download:
        page.click("#download-overview")
    assert download.value.suggested_filename == "overview.csv"

    page.click("nav.tabs >> text=Retention and cohorts")
    expect(page).to_have_url(re.compile(r"/console/analytics/retention\?range=last_90_days"))
    expect(page.locator("#cohorts tbody tr")).to_have_count(1)  # all joined this month
    screenshot(page, "console-figures-retention")

    page.click("nav.tabs >> text=Stores and cashiers")
    expect(page.locator("#stores tbody tr").first).to_contain_text("Centre")
    screenshot(page, "console-figures-stores")

    page.click("nav.tabs >> text=Liability")
    expect(page.locator("#kpi-outstanding .value")).not_to_have_text("0")
    screenshot(page, "console-figures-liability")

    page.select_option("#f-range", "custom")
    page.fill("#f-date_from", "2026-03-02")
    page.fill("#f-date_to", "2026-03-01")
    page.click(".range-picker button[type=submit]")
    expect(page.locator("#e-date_to")).to_contain_text("the range ends before it starts")
