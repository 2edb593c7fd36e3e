"""Every page of the console, the terminal and the customer page checked by axe-core (the
copy the ``axe-playwright-python`` package ships, loaded from disk: nothing is fetched):
no serious or critical violation. And the sale form works from the keyboard alone."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined]
from playwright.sync_api import expect

from regulars.api.app import create_app
from regulars.services.tenancy.api_keys import authenticate
from tests.e2e.browser import customer_flows, flows, terminal_flows
from tests.e2e.browser.conftest import LiveServer

PHONE = "+44 7911 123456"
SERIOUS = ("serious", "critical")
# Files, not pages: downloads, images, scripts and the sign-out and language switches.
NOT_PAGES = re.compile(r"\.(csv|json|zip|svg|png|css|pkpass|xlsx)$|/logo$|/language$"
                       r"|/sign-out$|/qr$|/export")
FRAGMENTS = {"/terminal/products"}  # the quick keys' search answer, swapped into the sale page


def page_paths(prefix: str) -> list[str]:
    """The app's GET pages under ``prefix`` that take no other parameter."""
    found = set()
    for context in iter_route_contexts(create_app().routes):
        path = str(context.path_format)
        if (path.startswith(prefix) and "GET" in context.methods
                and "{" not in path.removeprefix(prefix) and not NOT_PAGES.search(path)
                and path not in FRAGMENTS):
            found.add(path)
    assert found, f"no pages under {prefix}"
    return sorted(found)


def problems_on(page: Any, axe: Axe) -> list[str]:
    results = axe.run(page)
    return [f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:3])
            for v in results.response["violations"] if v["impact"] in SERIOUS]


def visit(page: Any, url: str, axe: Axe, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None, url
    if response.status >= 500:  # a page that answers 4xx (a form's errors) is still a page
        problems.append(f"{url}: HTTP {response.status}")
        return
    page.wait_for_load_state("load")
    problems += problems_on(page, axe)


def test_every_page_has_no_serious_accessibility_violation(live_server: LiveServer,
                                                            page: Any) -> None:
    url, rt = live_server.url, live_server.runtime
    axe = Axe()
    problems: list[str] = []
    visit(page, url + "/console/setup", axe, problems)
    business = flows.setup_business(page, url)
    tenant_id = authenticate(rt, business["till_key"]).tenant_id
    for path in page_paths("/console"):
        if path not in ("/console/setup", "/console/login"):
            visit(page, url + path, axe, problems)
    page.goto(url + "/console/settings")
    page.locator("#staff a", has_text="Manage").first.click()
    problems += problems_on(page, axe)
    sold = False

    terminal_flows.pair_and_sign_in(page, url, business["till_key"], business["cashier"],
                                    business["pin"])
    terminal_flows.register_member(page, url, PHONE, "Mary")
    problems += problems_on(page, axe)  # the member found, the sale form
    terminal_flows.sell(page, url, PHONE, "12.50", 0)
    problems += problems_on(page, axe)  # the receipt
    sold = True
    for path in page_paths("/terminal"):
        if path not in ("/terminal/pair", "/terminal/sign-in"):
            visit(page, url + path, axe, problems)

    for listing in ("/console/members", "/console/receipts"):  # pages with an id
        visit(page, url + listing, axe, problems)
        page.locator("main table a, #results a").first.click()
        page.wait_for_load_state("load")
        problems += problems_on(page, axe)

    customer_flows.member_sign_in(page, url, tenant_id, PHONE, live_server)
    for path in page_paths("/c/{tenant_id}"):
        visit(page, url + path.replace("{tenant_id}", str(tenant_id)), axe, problems)
    page.goto(f"{url}/c/{tenant_id}/history")
    receipts = page.locator("main a[href*='/receipts/']")
    if receipts.count():  # points still pending show no entry yet
        receipts.first.click()
        page.wait_for_load_state("load")
        problems += problems_on(page, axe)
    assert sold and problems == [], "\n".join(problems)


def test_signed_out_pages_have_no_serious_accessibility_violation(live_server: LiveServer,
                                                                  page: Any) -> None:
    url = live_server.url
    axe = Axe()
    problems: list[str] = []
    visit(page, url + "/console/setup", axe, problems)
    business = flows.setup_business(page, url)
    tenant_id = authenticate(live_server.runtime, business["till_key"]).tenant_id
    fresh = page.context.browser.new_context(locale="en-GB").new_page()
    try:
        for path in ("/console/login", "/terminal/pair", f"/c/{tenant_id}/sign-in"):
            visit(fresh, url + path, axe, problems)
        fresh.fill("#f-phone", PHONE)
        fresh.get_by_role("button", name="Send me a code").click()
        expect(fresh.locator("#sent")).to_be_visible()
        problems += problems_on(fresh, axe)
        terminal_flows.pair_and_sign_in(fresh, url, business["till_key"], business["cashier"],
                                        business["pin"])
    finally:
        fresh.context.close()
    assert problems == [], "\n".join(problems)


def test_the_check_finds_a_violation_where_there_is_one(live_server: LiveServer,
                                                        page: Any) -> None:
    page.goto(live_server.url + "/console/login")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<button id=nameless></button>')")
    found = problems_on(page, Axe())
    assert any("button-name" in p for p in found), found


def test_a_sale_is_made_from_the_keyboard_alone(live_server: LiveServer, page: Any) -> None:
    """The cashier types the bill, tabs through the form to the pay button (never stuck, never
    lost in a hidden field) and presses Enter."""
    url = live_server.url
    business = flows.setup_business(page, url)
    terminal_flows.pair_and_sign_in(page, url, business["till_key"], business["cashier"],
                                    business["pin"])
    terminal_flows.register_member(page, url, PHONE, "Mary")
    terminal_flows.find_member(page, url, PHONE)
    page.focus("#f-price-0")
    page.keyboard.type("12.50")
    expect(page.locator("#quote-body")).to_be_attached()
    visited = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("(() => { const e = document.activeElement; "
                                "const r = e.getBoundingClientRect(); "
                                "return [e.id || e.name || e.tagName, r.width > 0 && r.height > 0]"
                                " })()")
        visited.append(focused[0])
        assert focused[1], f"focus went to an invisible element: {visited}"
        if focused[0] == "commit":
            break
    assert visited[-1] == "commit", visited
    assert "f-coupon" in visited and "f-points_to_spend" in visited, visited
    page.keyboard.press("Enter")
    expect(page.locator("#done")).to_be_visible()
