"""A receipt that sold a gift card and litres, in a browser: the console's receipt page and
the member's receipt on the customer page list the card (by its last four characters only),
the litres on the fleet card and the cashback credited to the wallet."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.conftest import make_shop
from tests.e2e.browser.conftest import LiveServer
from tests.e2e.browser.customer_flows import member_sign_in
from tests.e2e.test_receipt_stored_value_api import sell_card_and_litres
from tests.e2e.web.support import add_staff


def test_the_console_and_the_customer_page_show_what_a_receipt_sold_and_credited(
        live_server: LiveServer, page: Any) -> None:
    rt, url = live_server.runtime, live_server.url
    shop = make_shop(rt, "Fuel & Coffee", locale="en_GB")
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    with httpx.Client(base_url=url) as client:
        sold = sell_card_and_litres(client, shop)  # type: ignore[arg-type]

    page.goto(url + "/console/login")
    page.fill("#f-email", "owner@example.com")
    page.fill("#f-password", "correct horse")
    page.click("button[type=submit]")
    page.goto(f"{url}/console/receipts/{sold['receipt']}")
    cards = page.locator("#sv-certificates")
    expect(cards).to_contain_text("Birthday card")
    expect(cards).to_contain_text(f"ending in {sold['code'][-4:]}")
    expect(page.locator("#sv-goods")).to_contain_text("Petrol A-95")
    expect(page.locator("#sv-goods")).to_contain_text(f"Card ending {sold['card'][-4:]}")
    cashback = page.locator("#sv-cashback")
    expect(cashback).to_contain_text("By the program")
    expect(cashback).to_contain_text("Coffee back")
    expect(page.locator("#promotions")).to_contain_text("Coffee back")
    assert sold["code"] not in page.content() and sold["card"] not in page.content()

    member_sign_in(page, url, shop.tenant_id, "+7 800 775-01-12", live_server)
    page.goto(f"{url}/c/{shop.tenant_id}/receipts/{sold['receipt']}")
    expect(page.locator("#sv-certificates")).to_contain_text(sold["code"][-4:])
    expect(page.locator("#sv-goods")).to_contain_text("Petrol A-95")
    expect(page.locator("#sv-cashback")).to_contain_text("Coffee back")
    assert sold["code"] not in page.content()
