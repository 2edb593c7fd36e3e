"""A receipt that sells only a gift card or prepaid goods, with no bill: quoted and committed
with an empty basket, the card active holding what was paid, a replay answering as the first
commit, and its refund voiding the card; an empty basket selling nothing is still refused, and
one selling a card with a coupon or a reward (which would apply to nothing) too."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop
from tests.e2e.test_goods_api import _fleet_card, _post
from tests.e2e.test_receipt_stored_value_api import _for_sale


def _sell_card(client: TestClient, shop: Shop, code: str, *, key: str = "only-1") -> Any:
    return _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "G-1", "lines": [],
        "certificates_sold": [{"code": code, "amount": 2500}]}, key=key)


def test_a_gift_card_sold_alone_is_quoted_committed_and_active_with_what_was_paid(
        client: TestClient, shop: Shop) -> None:
    code, _ = _for_sale(client, shop)
    quoted = _post(client, "/v1/pos/quote", shop.till(), {
        "lines": [], "certificates_sold": [{"code": code, "amount": 2500}]})
    assert quoted.status_code == 200, quoted.text
    assert (quoted.json()["paid_minor"], quoted.json()["lines"]) == (0, [])
    sold = _sell_card(client, shop, code)
    assert sold.status_code == 200, sold.text
    assert [c["amount_minor"] for c in sold.json()["certificates_sold"]] == [2500]
    assert sold.json()["points_earned"] == 0
    card = _post(client, "/v1/pos/certificates/lookup", shop.till(), {"code": code}).json()
    assert (card["status"], card["balance_minor"], card["nominal_minor"]) == (
        "active", 2500, 2500)
    again = _sell_card(client, shop, code)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == sold.json()


def test_refunding_a_gift_card_sold_alone_voids_the_unspent_card(
        client: TestClient, shop: Shop) -> None:
    code, _ = _for_sale(client, shop)
    receipt = _sell_card(client, shop, code).json()["receipt"]["id"]
    refunded = _post(client, f"/v1/pos/receipts/{receipt}/refund", shop.till(), {},
                     key="back-1")
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["certificates_voided"] == 1
    card = _post(client, "/v1/pos/certificates/lookup", shop.till(), {"code": code}).json()
    assert (card["status"], card["balance_minor"]) == ("void", 0)
    twice = _post(client, f"/v1/pos/receipts/{receipt}/refund", shop.till(), {},
                  key="back-2")
    assert twice.status_code == 409, twice.text
    assert twice.json()["error"] == "refund_refused"


def test_prepaid_goods_sold_alone_need_no_basket(client: TestClient, shop: Shop) -> None:
    fleet = _fleet_card(client, shop)
    sale = {"sku": "A95", "quantity_milli": 10_000, "amount": 55_000,
            "code": fleet["card_number"]}
    quoted = _post(client, "/v1/pos/quote", shop.till(), {"lines": [], "goods_sold": [sale]})
    assert quoted.status_code == 200, quoted.text
    assert [g["quantity_milli"] for g in quoted.json()["goods_sold"]] == [10_000]
    sold = _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "L-1", "lines": [], "goods_sold": [sale]}, key="litres-1")
    assert sold.status_code == 200, sold.text
    assert [g["quantity_milli"] for g in sold.json()["goods_sold"]] == [10_000]


def test_an_empty_basket_selling_nothing_is_refused_naming_the_lines(
        client: TestClient, shop: Shop) -> None:
    for path, key in (("/v1/pos/quote", None), ("/v1/pos/commit", "empty-1")):
        refused = _post(client, path, shop.till(), {"receipt_id": "E-1", "lines": []}
                        if key else {"lines": []}, key=key)
        assert refused.status_code == 422, refused.text
        assert (refused.json()["error"], refused.json()["field"]) == ("invalid_input", "lines")


def test_a_coupon_or_reward_on_a_sale_without_lines_is_refused_naming_it_writing_nothing(
        client: TestClient, shop: Shop) -> None:
    code, _ = _for_sale(client, shop)
    sale = {"lines": [], "certificates_sold": [{"code": code, "amount": 2500}]}
    given = ({"coupons": ["SPRING-10"]}, {"reward_id": 1}, {"reward_code": "R2D2"})
    for n, extra in enumerate(given):
        for path, key in (("/v1/pos/quote", None), ("/v1/pos/commit", f"with-{n}")):
            body = {**sale, **extra, **({"receipt_id": f"C-{n}"} if key else {})}
            refused = _post(client, path, shop.till(), body, key=key)
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == next(iter(extra)), refused.text
    card = _post(client, "/v1/pos/certificates/lookup", shop.till(), {"code": code}).json()
    assert (card["status"], card["balance_minor"]) == ("pending", 0)
    assert client.get("/v1/admin/receipts", headers=shop.owner).json() == []
