"""A second business, end to end in the browser: made with ``regulars tenant create`` on a
server that already has one, its owner signs in through the printed link, brands the
customer page, sets up the program, a store, a till, a cashier, a coupon and the refund limit;
the till is paired, a sale uses the coupon, one line is refunded with the owner's PIN, and the
member sees the sale and the refund on the business's own customer page."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

from playwright.sync_api import expect
from typer.testing import CliRunner

from regulars.cli.main import app
from regulars.services.checkout import checkout
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from tests.e2e.browser import customer_flows, flows, terminal_flows
from tests.e2e.browser.conftest import LiveServer, screenshot

LINK = re.compile(r"https?://\S+/console/invite/[A-Za-z0-9_-]{40,}")
PHONE = "+44 7911 123457"


def _logo_png(size: int = 96) -> bytes:
    """A small PNG drawn here (a cream cup on the brand's brown), so that no file is needed."""
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            inside = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2
            row += bytes((254, 243, 199, 255) if inside else (124, 45, 18, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def _create(url: str, database_url: str, name: str) -> str:
    result = CliRunner().invoke(app, ["tenant", "create", "--name", name, "--currency", "EUR",
                                      "--locale", "en_GB", "--timezone", "Europe/London",
                                      "--phone-region", "GB", "--public-url", url,
                                      "--database-url", database_url])
    assert result.exit_code == 0, result.output
    links = LINK.findall(result.stdout)
    assert len(links) == 1, result.stdout
    return str(links[0])


def _owner_sets_up(page: Any, url: str, link: str) -> dict[str, str]:
    """Sign in through the link, brand the business, the program, store, till, cashier,
    the owner's own PIN, the refund limit and a coupon; returns the till key and the code."""
    page.goto(link)
    page.fill("#f-email", "owner@second.example")
    page.fill("#f-password", "second long password")
    page.click("#invite-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console$"))

    page.goto(url + "/console/settings/business")
    page.fill("#f-brand_colour", "#7c2d12")
    page.set_input_files("#f-logo", files=[{"name": "logo.png", "mimeType": "image/png",
                                             "buffer": _logo_png()}])
    page.click("#business-form button[type=submit]")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#current-logo")).to_be_visible()
    screenshot(page, "console-business-settings")

    flows.set_earn_rate(page, url, "10", note="10 % back")
    flows.add_store(page, url)
    till_key = flows.add_till(page, url)
    flows.add_cashier(page, url, name="Vera", pin="2468")
    page.goto(url + "/console/settings")
    page.locator("#staff a", has_text="Manage").first.click()  # the owner, listed first
    page.fill("#f-pin", "9753")
    page.locator("form[action$='/pin'] button[type=submit]").click()
    expect(page.locator(".notice.ok")).to_be_visible()
    page.goto(url + "/console/settings/refunds")
    page.fill("#f-manager_pin_above", "5.00")
    page.click("#refunds-form button[type=submit]")
    expect(page.locator("#done")).to_be_visible()

    page.goto(url + "/console/coupons/new")
    page.fill("#f-name", "Hello again")
    page.select_option("#f-effect", "fixed_discount")
    page.fill("#f-amount", "5")
    page.locator("form.builder button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/console/coupons/\d+$"))
    page.fill("#f-count", "1")
    page.get_by_role("button", name="Generate and show").click()
    code = page.locator("#codes .secret div").first.inner_text().strip()
    return {"till_key": till_key, "code": code}


def test_a_second_business_from_the_cli_to_its_customer_page(
        live_server: LiveServer, browser: Any, page: Any) -> None:
    url, rt = live_server.url, live_server.runtime
    database_url = rt.settings.database_url
    _create(url, database_url, "First Café")  # the server already has a business
    setup = _owner_sets_up(page, url, _create(url, database_url, "Second Café"))
    tenant_id = authenticate(rt, setup["till_key"]).tenant_id
    assert tenants.get_tenant(rt, tenant_id).name == "Second Café"

    till = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                               has_touch=True).new_page()
    try:
        terminal_flows.pair_and_sign_in(till, url, setup["till_key"], "Vera", "2468")
        terminal_flows.register_member(till, url, PHONE, "Mia")
        terminal_flows.find_member(till, url, PHONE)
        till.fill("#f-price-0", "20")
        till.locator("#lines details summary").first.click()
        till.fill("#f-name-0", "Cake")
        till.fill("#f-qty-0", "3")
        till.fill("#f-coupon", setup["code"])
        expect(till.locator("#to-pay")).to_contain_text("55.00")  # 60.00 less the coupon
        till.click("#commit")
        expect(till.locator("#done")).to_be_visible()
        receipt_pk = int(till.url.split("/")[-1].split("?")[0])

        till.fill("#f-qty-1", "1")
        till.fill("#f-reason", "Dropped")
        till.click("#refund")
        expect(till.locator("#manager")).to_be_visible()  # above 5.00
        till.fill("#f-manager_pin", "9753")
        till.click("#confirm-refund")
        expect(till.locator("#refunds")).to_contain_text("Reason: Dropped")
    finally:
        till.context.close()
    stored = checkout.receipt(rt, authenticate(rt, setup["till_key"]), receipt_pk)
    assert stored.status == "partially_refunded"
    assert stored.lines[0].refunded_quantity_milli == 1000

    member = browser.new_context(viewport={"width": 390, "height": 844},
                                 locale="en-GB").new_page()
    try:
        customer_flows.member_sign_in(member, url, tenant_id, PHONE, live_server)
        expect(member.locator("header .brand")).to_contain_text("Second Café")
        expect(member.locator("#brand-logo")).to_be_visible()
        customer_flows.open_section(member, url, tenant_id, "history")
        expect(member.locator("main")).to_contain_text("Purchase")
        expect(member.locator("main")).to_contain_text("Return")
        screenshot(member, "customer-branded")
    finally:
        member.context.close()
