"""A receipt's stored value over HTTP: the admin and till receipt answers list the gift card
and the litres sold on it (codes and card numbers by their last four characters only), the
certificate, wallet and goods tenders that paid another, and the cashback credited (the
program's and the promotion's); voids show what was given and taken back."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop
from tests.e2e.test_goods_api import _fleet_card, _post

COFFEE = [{"sku": "coffee", "name": "Coffee", "quantity": 1, "unit_price_minor": 10_000}]
FUEL = [{"sku": "A95", "quantity_milli": 2_000, "unit_price_minor": 5500}]


def _for_sale(client: TestClient, shop: Shop) -> tuple[str, str]:
    """A gift card for sale and a corporate one holding 50.00, by code."""
    series = _post(client, "/v1/admin/certificate-series", shop.owner, {
        "name": "Birthday card", "nominal_values_minor": [], "min_minor": 1000,
        "max_minor": 100_000, "valid_days": 365}).json()
    path = f"/v1/admin/certificate-series/{series['id']}/certificates"
    sold = _post(client, path, shop.owner, {"count": 1, "amount_minor": 5000, "for_sale": True},
                 key=f"sold-{series['id']}")
    held = _post(client, path, shop.owner, {"count": 1, "amount_minor": 5000},
                 key=f"held-{series['id']}")
    return sold.json()["codes"][0], held.json()["codes"][0]


def sell_card_and_litres(client: TestClient, shop: Shop) -> dict[str, Any]:
    """A member buys a coffee (5% back by a promotion, 1% by the program), a 30.00 gift card
    and 10 litres on a fleet card; the commit's answer, the codes and the card."""
    _post(client, "/v1/admin/promotions", shop.owner, {
        "name": "Coffee back", "effects": [{"kind": "cashback", "rate_bp": 500}]})
    program = client.get("/v1/admin/program", headers=shop.owner).json()
    changed = client.put("/v1/admin/program", headers=shop.owner,
                         json={**program["rules"], "cashback_rate_bp": 100})
    assert changed.status_code == 200, changed.text
    member = _post(client, "/v1/pos/members", shop.till(), {"phone": "+7 800 775-01-12"}).json()
    fleet = _fleet_card(client, shop)
    code, corporate = _for_sale(client, shop)
    committed = _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "S-1", "member": {"id": member["id"]}, "lines": COFFEE,
        "certificates_sold": [{"code": code, "amount": 3000}],
        "goods_sold": [{"sku": "A95", "quantity_milli": 10_000, "amount": 55_000,
                        "code": fleet["card_number"]}]}, key="s-1")
    assert committed.status_code == 200, committed.text
    return {"receipt": committed.json()["receipt"]["id"], "member": member["id"],
            "code": code, "corporate": corporate, "card": fleet["card_number"]}


def test_a_receipt_lists_what_it_sold_and_credited_and_what_a_void_took_back(
        client: TestClient, shop: Shop) -> None:
    sold = sell_card_and_litres(client, shop)
    path = f"/v1/admin/receipts/{sold['receipt']}"
    value = client.get(path, headers=shop.owner).json()["stored_value"]
    assert value["certificates_sold"] == [{
        "certificate_id": value["certificates_sold"][0]["certificate_id"],
        "series_id": value["certificates_sold"][0]["series_id"],
        "series_name": "Birthday card", "code_ending": sold["code"][-4:],
        "amount_minor": 3000, "taken_back": False}]
    [goods] = value["goods_sold"]
    assert (goods["product_name"], goods["unit"], goods["quantity_milli"],
            goods["amount_minor"], goods["card_ending"], goods["member_id"],
            goods["taken_back"]) == ("Petrol A-95", "l", 10_000, 55_000, sold["card"][-4:],
                                     None, False)
    # The coffee's 100.00: 1.00 by the program, 5.00 by the promotion.
    assert value["cashback"] == {"total_minor": 600, "program_minor": 100, "promotions": [
        {"promotion_id": value["cashback"]["promotions"][0]["promotion_id"],
         "name": "Coffee back", "amount_minor": 500}], "taken_back_minor": 0}
    assert value["tenders"] == []
    text = client.get(path, headers=shop.owner).text
    assert sold["code"] not in text and sold["card"] not in text
    till = client.get(f"/v1/pos/receipts/{sold['receipt']}", headers=shop.till()).json()
    assert till["stored_value"] == value
    # The month's burn names the promotion's 5.00 as cashback, not as discount.
    burn = client.get("/v1/admin/budget/burn", headers=shop.owner).json()
    assert [(p["discount_minor"], p["cashback_minor"]) for p in burn["promotions"]] == [
        (0, 500)]
    assert burn["buckets"]["mass"]["spent_minor"] == 500

    # Two litres and a coffee paid by the corporate card, the wallet and the fleet card.
    paid = _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "S-2", "member": {"id": sold["member"]}, "lines": FUEL + COFFEE,
        "tenders": [{"kind": "goods", "code": sold["card"], "quantity_milli": 2_000},
                    {"kind": "certificate", "code": sold["corporate"], "amount": 4000},
                    {"kind": "wallet", "amount": 600}]}, key="s-2")
    assert paid.status_code == 200, paid.text
    second = paid.json()["receipt"]["id"]
    voided = _post(client, f"/v1/pos/receipts/{second}/void", shop.till(), {}, key="v-2")
    assert voided.status_code == 200, voided.text
    tenders = client.get(f"/v1/admin/receipts/{second}",
                         headers=shop.owner).json()["stored_value"]["tenders"]
    assert sorted((t["kind"], t["amount_minor"], t["returned_minor"], t.get("code_ending"),
                   t.get("quantity_milli"), t.get("card_ending")) for t in tenders) == [
        ("certificate", 4000, 4000, sold["corporate"][-4:], None, None),
        ("goods", 11_000, 11_000, None, 2_000, sold["card"][-4:]),
        ("wallet", 600, 600, None, None, None)]

    gone = _post(client, f"/v1/pos/receipts/{sold['receipt']}/void", shop.till(), {},
                 key="v-1")
    assert gone.status_code == 200, gone.text
    value = client.get(path, headers=shop.owner).json()["stored_value"]
    assert value["certificates_sold"][0]["taken_back"] is True
    assert value["goods_sold"][0]["taken_back"] is True
    assert value["cashback"]["taken_back_minor"] == 600


def test_a_receipt_without_stored_value_has_none_in_its_answer(
        client: TestClient, shop: Shop) -> None:
    plain = _post(client, "/v1/pos/commit", shop.till(),
                  {"receipt_id": "P-1", "lines": COFFEE}, key="p-1").json()
    answer = client.get(f"/v1/admin/receipts/{plain['receipt']['id']}", headers=shop.owner)
    assert "stored_value" not in answer.json()
