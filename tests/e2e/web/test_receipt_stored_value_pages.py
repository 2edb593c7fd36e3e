"""The receipt pages of the terminal, the console and the customer show what a gift card and
the wallet paid, and the gift card a receipt sold, by the code's last four characters."""

from __future__ import annotations

from typing import Any

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.test_goods_api import _post
from tests.e2e.test_receipt_stored_value_api import COFFEE, sell_card_and_litres
from tests.e2e.web import test_terminal as terminal
from tests.e2e.web.console_data import signed_in
from tests.e2e.web.customer_support import sign_in_member


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def paid_by_card_and_wallet(client: TestClient, shop: Shop) -> dict[str, Any]:
    """A receipt selling a gift card, and another paid by a gift card and the wallet."""
    sold = sell_card_and_litres(client, shop)
    paid = _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "S-2", "member": {"id": sold["member"]}, "lines": COFFEE,
        "tenders": [{"kind": "certificate", "code": sold["corporate"], "amount": 4000},
                    {"kind": "wallet", "amount": 600}]}, key="s-2")
    assert paid.status_code == 200, paid.text
    return {**sold, "paid": paid.json()["receipt"]["id"]}


def _shows_both(client: TestClient, path: str, sold: dict[str, Any]) -> None:
    page = client.get(f"{path}/{sold['paid']}")
    assert page.status_code == 200, page.text
    assert 'id="sv-tenders"' in page.text
    assert f"gift card · ending in {sold['corporate'][-4:]}" in page.text
    assert sold["corporate"] not in page.text
    assert format_currency(40, "RUB", locale="en_GB") in page.text
    assert "<td>wallet</td>" in page.text and format_currency(6, "RUB", locale="en_GB") in page.text
    selling = client.get(f"{path}/{sold['receipt']}")
    assert selling.status_code == 200, selling.text
    assert 'id="sv-certificates"' in selling.text and "Birthday card" in selling.text
    assert f"ending in {sold['code'][-4:]}" in selling.text
    assert format_currency(30, "RUB", locale="en_GB") in selling.text


def test_the_terminal_receipt_shows_the_gift_card_and_the_wallet_that_paid(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    sold = paid_by_card_and_wallet(client, shop)
    terminal.pair(client, shop.till_keys[0])
    terminal.sign_in(client, terminal.add_cashier(rt, shop.tenant_id, "Vera",
                                                  store_id=shop.store_id))
    _shows_both(client, "/terminal/receipts", sold)


def test_the_console_receipt_shows_the_gift_card_and_the_wallet_that_paid(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    sold = paid_by_card_and_wallet(client, shop)
    signed_in(client, rt, shop, "analyst")
    _shows_both(client, "/console/receipts", sold)


def test_the_customer_receipt_shows_the_gift_card_and_the_wallet_that_paid(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    sold = paid_by_card_and_wallet(client, shop)
    sign_in_member(client, rt, shop.tenant_id, "+78007750112")
    _shows_both(client, f"/c/{shop.tenant_id}/receipts", sold)
