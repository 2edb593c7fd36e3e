"""The pages load in a real browser: assets are served locally and htmx starts."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import LiveServer


def test_first_run_page_loads_with_local_assets(live_server: LiveServer, page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + "/")
    assert page.url.endswith("/console/setup")
    assert page.evaluate("typeof htmx") == "object"
    assert all(url.startswith(live_server.url) for url in requests), requests
    page.fill("#f-business", "")
    page.click("button[type=submit]")
    expect(page.locator("#e-business")).to_contain_text("enter the business")
