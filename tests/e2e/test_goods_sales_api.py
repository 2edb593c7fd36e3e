"""Prepaid goods sold at the till over HTTP (``goods_sold``): the quote shows what would be
bought and at which locked price, the commit puts the units on a fleet card once (a retry with
the same Idempotency-Key answers the same bytes), a void takes them back; bad input is a 422
naming the field, with nothing written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Shop
from tests.e2e.test_goods_api import GA, _fleet_card, _post

BASKET = [{"sku": "coffee", "quantity": 1, "unit_price_minor": 300}]


def test_goods_sold_on_a_commit_are_quoted_put_on_the_card_once_and_voided(
        client: TestClient, shop: Shop) -> None:
    opened = _fleet_card(client, shop)
    card, account_id = opened["card_number"], opened["account"]["id"]
    sale = {"sku": "A95", "quantity_milli": 100_000, "amount": 550_000, "code": card}
    quoted = _post(client, "/v1/pos/quote", shop.till(),
                   {"lines": BASKET, "goods_sold": [sale]})
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["goods_sold"] == [{
        "sku": "A95", "unit": "l", "account_id": account_id, "quantity_milli": 100_000,
        "amount_minor": 550_000, "unit_price_minor": 5500, "balance_after_milli": 100_000}]
    body = {"receipt_id": "R-1", "lines": BASKET, "goods_sold": [sale]}
    first = _post(client, "/v1/pos/commit", shop.till(), body, key="c-1")
    assert first.status_code == 200, first.text
    assert first.json()["goods_sold"][0]["balance_milli"] == 100_000
    again = _post(client, "/v1/pos/commit", shop.till(), body, key="c-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.content == first.content
    other = _post(client, "/v1/pos/commit", shop.till(),
                  {**body, "goods_sold": [{**sale, "quantity_milli": 1000}]}, key="c-1")
    assert other.status_code == 409
    account = client.get(f"{GA}/{account_id}", headers=shop.owner).json()["account"]
    assert account["balance_milli"] == 100_000

    receipt = first.json()["receipt"]["id"]
    voided = _post(client, f"/v1/pos/receipts/{receipt}/void", shop.till(), {}, key="v-1")
    assert voided.status_code == 200, voided.text
    assert voided.json()["goods_taken_back"] == 1
    assert client.get(f"{GA}/{account_id}",
                      headers=shop.owner).json()["account"]["balance_milli"] == 0


def test_a_bad_goods_sale_is_a_422_naming_the_field(client: TestClient, shop: Shop) -> None:
    _fleet_card(client, shop)
    for sale, field in (
            ({"sku": "tea", "quantity_milli": 1000, "amount": 100, "account": 1},
             "goods_sold.0.sku"),
            ({"sku": "A95", "quantity_milli": 1000, "amount": 100}, "goods_sold.0"),
            ({"sku": "A95", "quantity_milli": 0, "amount": 100, "account": 1},
             "goods_sold.0.quantity_milli")):
        answer = _post(client, "/v1/pos/commit", shop.till(),
                       {"receipt_id": "R-bad", "lines": BASKET, "goods_sold": [sale]},
                       key=f"bad-{field}-{sale['sku']}")
        assert answer.status_code == 422, answer.text
        assert field in answer.text
    missing = client.get("/v1/pos/receipts", headers=shop.till(), params={"receipt_id": "R-bad"})
    assert missing.status_code == 404
