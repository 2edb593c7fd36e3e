"""Every kind of page under the content security policy: no inline script or style anywhere,
so a browser reports no violation and no console error on any of them; the pages cannot be
framed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from regulars.api.security_headers import CSP
from regulars.services.tenancy.api_keys import authenticate
from tests.e2e.browser import customer_flows, flows, terminal_flows
from tests.e2e.browser.conftest import LiveServer

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                           + e.sourceFile + ":" + e.lineNumber);
});
"""
PHONE = "+44 7911 123456"


def visit(page: Any, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    page.wait_for_load_state("load")
    problems += [f"{url}: {v}" for v in page.evaluate("window.__violations || []")]


def test_every_page_kind_runs_under_the_policy(live_server: LiveServer, page: Any) -> None:
    url, rt = live_server.url, live_server.runtime
    problems: list[str] = []
    page.add_init_script(WATCH)
    # A refused script or style shows as a console error too ("Refused to ..."); a 404 that a
    # page answers on purpose (a phone nobody has) does not count.
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}")
            if r.status >= 500 else None)
    visit(page, url + "/console/setup", problems)
    business = flows.setup_business(page, url)
    tenant_id = authenticate(rt, business["till_key"]).tenant_id
    terminal_flows.pair_and_sign_in(page, url, business["till_key"], business["cashier"],
                                    business["pin"])
    terminal_flows.register_member(page, url, PHONE, "Mary")
    receipt_no = terminal_flows.sell(page, url, PHONE, "12.50", 0)
    for path in ("/terminal", "/terminal/receipts"):
        visit(page, url + path, problems)
    for path in ("", "/members", "/members/new", "/program", "/promotions", "/promotions/new",
                 "/segments", "/segments/new", "/coupons", "/coupons/new", "/receipts",
                 "/settings", "/audit", "/rewards", "/budget", "/feedback", "/faq"):
        visit(page, url + "/console" + path, problems)
    page.goto(url + "/console/members")
    page.locator("#results a").first.click()
    visit(page, page.url, problems)
    page.goto(url + "/console/receipts")
    page.locator("table a").first.click()
    visit(page, page.url, problems)
    page.goto(url + "/console/program")
    page.click("#add-level")  # the program page's script, now a static file, still runs
    expect(page.locator("#levels tbody tr")).to_have_count(2)
    missing = page.goto(url + "/console/members/999999")  # the error page
    assert missing is not None and missing.status == 404
    problems += [f"error page: {v}" for v in page.evaluate("window.__violations || []")]
    customer_flows.member_sign_in(page, url, tenant_id, PHONE, live_server)
    for section in ("", "/history", "/coupons", "/invite", "/profile", "/faq"):
        visit(page, f"{url}/c/{tenant_id}{section}", problems)
    assert receipt_no
    assert problems == [], "\n".join(problems)
