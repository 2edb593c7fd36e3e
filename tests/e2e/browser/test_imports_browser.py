"""Importing history from the console in a real browser: the owner uploads a spreadsheet
export whose date column has a name Regulars does not know, sees the first rows and the
problem, maps the column, imports, and the receipts are there; each step's page passes
axe-core and the wide preview scrolls inside its card, not the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.test_accessibility_browser import problems_on
from tests.e2e.web.support import add_staff

SALES = ("customer;purchased on;amount;note;till;cashier;extra column\n"
         "A-1;01.03.2025;12,50;first visit;1;Vera;x\n"
         "A-2;02.03.2025;7;;1;Vera;y\n"
         "A-1;05.03.2025;3,10;;2;Oleg;z\n")


def test_the_owner_maps_a_column_and_imports_a_file(live_server: LiveServer, page: Any,
                                                    tmp_path: Path) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt)
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.locator("#menu-setup summary").click()
    page.get_by_role("link", name="Import and export").click()
    axe, problems = Axe(), list[str]()
    problems += problems_on(page, axe)

    file = tmp_path / "sales.csv"
    file.write_bytes(SALES.encode("cp1251"))
    page.set_input_files("#f-file", str(file))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#mapping-problem")).to_be_visible()
    expect(page.locator("#preview tbody tr")).to_have_count(3)
    problems += problems_on(page, axe)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    page.select_option("#f-map-1", "date")
    page.click("#preview-again")
    expect(page.locator("#mapping-problem")).to_have_count(0)
    page.click("#run-import")
    expect(page.locator("#imported")).to_have_text("3")
    expect(page.locator("#rejected")).to_have_text("0")
    problems += problems_on(page, axe)
    assert problems == []
    page.get_by_role("link", name="See them").click()
    expect(page.locator("main table tbody tr")).to_have_count(3)
