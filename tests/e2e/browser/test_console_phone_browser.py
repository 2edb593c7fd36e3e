"""The console on a 390 px phone: every page of the navigation fits the screen, wide tables
scroll inside their own box rather than pushing the page sideways."""

from __future__ import annotations

from typing import Any

from tests.e2e.browser import flows
from tests.e2e.browser.conftest import LiveServer

PAGES = ("/console", "/console/program", "/console/settings", "/console/promotions",
         "/console/goods", "/console/receipts", "/console/messages", "/console/certificates",
         "/console/jobs", "/console/audit", "/console/analytics/groups",
         "/console/analytics/stores",
         "/console/analytics/liability")


def test_console_pages_do_not_scroll_sideways_on_a_phone(live_server: LiveServer,
                                                         page: Any) -> None:
    url = live_server.url
    flows.setup_business(page, url)
    page.set_viewport_size({"width": 390, "height": 844})
    wide = {}
    for path in PAGES:
        page.goto(url + path, wait_until="domcontentloaded", timeout=60_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.evaluate("window.innerWidth"):
            wide[path] = width
    assert wide == {}
