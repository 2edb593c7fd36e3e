"""The prepaid wallet over HTTP: topped up at the till once per key, spent as a tender in
part, refunded back into the wallet, with a statement; points never mix with its money."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

BASKET = [{"sku": "cake", "quantity": 1, "unit_price_minor": 4000}]
PHONE = "+7 916 123-45-67"


def _top_up(client: TestClient, shop: Shop, key: str, amount: int) -> Any:
    return client.post("/v1/pos/wallet/top-up", headers={**shop.till(), "Idempotency-Key": key},
                       json={"member": {"phone": PHONE}, "amount_minor": amount,
                             "paid_by": "cash"})


def test_a_wallet_is_topped_up_once_spent_and_refunded(client: TestClient, shop: Shop) -> None:
    member = client.post("/v1/pos/members", headers=shop.till(), json={"phone": PHONE}).json()
    first = _top_up(client, shop, "top-1", 3000)
    assert first.status_code == 200, first.text
    again = _top_up(client, shop, "top-1", 3000)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json() and first.json()["balance_minor"] == 3000
    assert _top_up(client, shop, "top-1", 3001).status_code == 409

    paid = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c-1"},
                       json={"receipt_id": "R-1", "member": {"id": member["id"]},
                             "lines": BASKET, "tenders": [{"kind": "wallet", "amount": 2000}]})
    assert paid.status_code == 200, paid.text
    assert paid.json()["tenders"] == [{"tender_no": 0, "kind": "wallet", "amount_minor": 2000,
                                       "balance_minor": 1000}]
    assert paid.json()["member"]["balance_points"] > 0  # points earned, apart from money
    over = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c-2"},
                       json={"receipt_id": "R-2", "member": {"id": member["id"]},
                             "lines": BASKET, "tenders": [{"kind": "wallet", "amount": 1001}]})
    assert over.status_code == 422 and over.json()["field"] == "tenders.0.amount"

    refunded = client.post(f"/v1/pos/receipts/{paid.json()['receipt']['id']}/refund",
                           headers={**shop.till(), "Idempotency-Key": "r-1"}, json={})
    assert refunded.json()["tenders"] == [{"tender_no": 0, "kind": "wallet",
                                           "amount_minor": 2000, "balance_minor": 3000}]
    wallet = client.get(f"/v1/admin/members/{member['id']}/wallet", headers=shop.owner).json()
    assert wallet["balance_minor"] == 3000
    assert [(line["code"], line["amount_minor"]) for line in wallet["lines"]] == [
        ("refund_tender", 2000), ("tender", -2000), ("top_up", 3000)]
    at_till = client.get(f"/v1/pos/members/{member['id']}/wallet", headers=shop.till())
    assert at_till.json() == wallet
    report = client.get("/v1/admin/stored-value/report", headers=shop.owner).json()
    assert report["wallets_liability_minor"] == 3000
    check = client.get("/v1/admin/ledger/check", headers=shop.owner).json()
    assert check == {"ok": True, "problems": []}


def test_a_wallet_needs_a_member(client: TestClient, shop: Shop) -> None:
    refused = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c-1"},
                          json={"receipt_id": "R-1", "lines": BASKET,
                                "tenders": [{"kind": "wallet", "amount": 100}]})
    assert refused.status_code == 422 and refused.json()["field"] == "tenders.0.kind"
    unknown = _top_up(client, shop, "top-x", 100)
    assert unknown.status_code == 404
