"""A refund may say how much goes back to each certificate or wallet tender: each bounded by
what it paid less what came back to it, the other payments getting the rest (never more than
they paid); over a bound is a 422 naming the field with nothing written; the refund of what
is left then gives each tender what it has not had back, once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

BASKET = [{"sku": "cake", "quantity": 1, "unit_price_minor": 4000},
          {"sku": "tart", "quantity": 1, "unit_price_minor": 4000}]


def _codes(client: TestClient, shop: Shop) -> list[str]:
    created = client.post("/v1/admin/certificate-series", headers=shop.owner, json={
        "name": "Gift card", "nominal_values_minor": [5000], "valid_days": 365})
    issued = client.post(f"/v1/admin/certificate-series/{created.json()['id']}/certificates",
                         headers={**shop.owner, "Idempotency-Key": f"po-{created.json()['id']}"},
                         json={"count": 2, "amount_minor": 5000,
                                                   "order_ref": "PO-1"})
    assert issued.status_code == 201, issued.text
    return list(issued.json()["codes"])


def _balance(client: TestClient, shop: Shop, code: str) -> int:
    found = client.post("/v1/pos/certificates/lookup", headers=shop.till(), json={"code": code})
    return int(found.json()["balance_minor"])


def _refund(client: TestClient, shop: Shop, receipt_id: int, key: str,
            body: dict[str, Any]) -> Any:
    return client.post(f"/v1/pos/receipts/{receipt_id}/refund",
                       headers={**shop.till(), "Idempotency-Key": key}, json=body)


def test_the_till_splits_a_refund_between_tenders_within_their_bounds(
        client: TestClient, shop: Shop) -> None:
    first, second = _codes(client, shop)
    # 80.00: 30.00 by the first card, 20.00 by the second, 30.00 in cash.
    paid = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "R-1"},
                       json={"receipt_id": "R-1", "lines": BASKET, "tenders": [
                           {"kind": "certificate", "code": first, "amount": 3000},
                           {"kind": "certificate", "code": second, "amount": 2000}]})
    assert paid.status_code == 200, paid.text
    receipt_id = paid.json()["receipt"]["id"]
    line_one = [{"line_no": 1, "quantity": 1}]
    refused = [
        ([{"tender_no": 0, "amount_minor": 3001}], "tenders.0.amount_minor"),
        ([{"tender_no": 0, "amount_minor": 3000}, {"tender_no": 0, "amount_minor": 0}],
         "tenders.1.tender_no"),
        ([{"tender_no": 7, "amount_minor": 1}], "tenders.0.tender_no"),
        # Cash would get 40.00 back of the 30.00 it paid.
        ([{"tender_no": 0, "amount_minor": 0}], "tenders"),
        # The tenders would get 50.00 of a 40.00 refund.
        ([{"tender_no": 0, "amount_minor": 3000}, {"tender_no": 1, "amount_minor": 2000}],
         "tenders"),
    ]
    for n, (tenders, field) in enumerate(refused):
        answer = _refund(client, shop, receipt_id, f"bad-{n}",
                         {"lines": line_one, "tenders": tenders})
        assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert (_balance(client, shop, first), _balance(client, shop, second)) == (2000, 3000)
    split = _refund(client, shop, receipt_id, "half", {"lines": line_one, "tenders": [
        {"tender_no": 0, "amount_minor": 3000}, {"tender_no": 1, "amount_minor": 1000}]})
    assert split.status_code == 200, split.text
    assert [(t["tender_no"], t["amount_minor"]) for t in split.json()["tenders"]] == [
        (0, 3000), (1, 1000)]
    assert (_balance(client, shop, first), _balance(client, shop, second)) == (5000, 4000)
    rest = _refund(client, shop, receipt_id, "rest", {})
    assert rest.status_code == 200, rest.text
    assert [(t["tender_no"], t["amount_minor"]) for t in rest.json()["tenders"]] == [(1, 1000)]
    assert (_balance(client, shop, first), _balance(client, shop, second)) == (5000, 5000)
    check = client.get("/v1/admin/ledger/check", headers=shop.owner).json()
    assert check == {"ok": True, "problems": []}
