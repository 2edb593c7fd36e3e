"""The cashier terminal's receipt view lists the gift card and litres the receipt sold (by
their last four characters), and the cashback it credited."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.test_receipt_stored_value_api import sell_card_and_litres
from tests.e2e.web.test_terminal import add_cashier, pair, sign_in


def test_the_terminal_receipt_lists_the_card_the_litres_and_the_cashback(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    sold = sell_card_and_litres(client, shop)
    client.cookies.set("rg_lang", "en")
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    page = client.get(f"/terminal/receipts/{sold['receipt']}")
    assert page.status_code == 200, page.text
    assert 'id="sv-certificates"' in page.text and "Birthday card" in page.text
    assert f"ending in {sold['code'][-4:]}" in page.text and sold["code"] not in page.text
    assert "Petrol A-95" in page.text and sold["card"] not in page.text
    assert f"Card ending {sold['card'][-4:]}" in page.text
    assert 'id="sv-cashback"' in page.text and "Coffee back" in page.text
