"""Gift certificates for a corporate order in a real browser: the owner adds a series in the
console, issues three certificates from it and downloads their codes as CSV from the page
that shows them once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.flows import console_sign_in
from tests.e2e.web.support import add_staff


def test_an_owner_issues_a_corporate_order_and_downloads_the_codes(
        live_server: LiveServer, page: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    console_sign_in(page, url, "owner@example.com")
    page.goto(url + "/console/language?lang=en&back=/console/certificate-series")
    page.fill("#f-name", "Corporate")
    page.fill("#f-valid_days", "365")
    page.click("#series-form button[type=submit]")
    expect(page.locator("#e-nominal_values")).to_be_visible()
    page.fill("#f-nominal_values", "1000; 3000")
    page.click("#series-form button[type=submit]")
    expect(page.locator("#done")).to_be_visible()
    page.fill("#f-count", "3")
    # A series of fixed values offers them to choose from (the first: 1000).
    expect(page.locator("#f-amount option")).to_have_count(2)
    page.select_option("#f-amount", index=0)
    page.click("#issue-form button[type=submit]")
    expect(page.locator("#codes tbody tr")).to_have_count(3)
    codes = page.locator("#codes code").all_inner_texts()
    with page.expect_download() as download:
        page.click("#csv")
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".csv")
    text = Path(path).read_text(encoding="utf-8")
    assert all(code in text for code in codes)
