"""The POS protocol over HTTP: register, quote, commit, replay, refund, void."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Shop

BASKET = [
    {"sku": "coffee", "name": "Coffee", "category": "drinks", "quantity": 1,
     "unit_price_minor": 1000},
    {"sku": "cake", "name": "Cake", "category": "food", "quantity": 2,
     "unit_price_minor": 2550},
    {"sku": "beans", "name": "Beans 1kg", "category": "goods", "quantity": 1,
     "unit_price_minor": 4000},
    {"sku": "grinder", "name": "Grinder", "category": "goods", "quantity": 1,
     "unit_price_minor": 9999},
    {"sku": "cookie", "name": "Cookie", "category": "food", "quantity": 3,
     "unit_price_minor": 525},
]


def commit(client: TestClient, shop: Shop, receipt: str, *, key: str | None = None,
           spend: int = 0, phone: str = "+7 800 775-01-11", till: int = 0,
           lines: list[dict[str, object]] | None = None) -> dict[str, object]:
    response = client.post("/v1/pos/commit", headers={
        **shop.till(till), "Idempotency-Key": key or f"k-{receipt}"}, json={
        "receipt_id": receipt, "member": {"phone": phone}, "lines": lines or BASKET,
        "points_to_spend": spend})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_phone_formats_name_one_member(client: TestClient, shop: Shop) -> None:
    first = client.post("/v1/pos/members", headers=shop.till(),
                        json={"phone": "8 (800) 775 0111"})
    assert first.status_code == 201
    for variant in ("+7 800 775-01-11", "88007750111"):
        again = client.post("/v1/pos/members", headers=shop.till(), json={"phone": variant})
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
    bad = client.post("/v1/pos/members", headers=shop.till(), json={"phone": "12345"})
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid_phone"
    assert "not a valid phone number" in bad.json()["detail"]


@pytest.mark.usefixtures("rt", "clock")
def test_quote_commit_replay_and_refund(client: TestClient, shop: Shop) -> None:
    client.post("/v1/pos/members", headers=shop.till(), json={"phone": "+78007750111"})
    quote = client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": {"phone": "88007750111"}, "lines": BASKET})
    assert quote.status_code == 200, quote.text
    q = quote.json()
    assert q["gross_minor"] == 1000 + 5100 + 4000 + 9999 + 1575
    assert q["points_earned"] == 21674 * 300 // 10000 // 100  # 3 % of 216.74 in whole points
    assert any(e["code"] == "points_earned" for e in q["explanations"])

    first = commit(client, shop, "R-1")
    again = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "k-R-1"},
                        json={"receipt_id": "R-1", "member": {"phone": "+7 800 775-01-11"},
                              "lines": BASKET, "points_to_spend": 0})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first
    changed = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "k-R-1"},
                          json={"receipt_id": "R-1", "member": {"phone": "+78007750111"},
                                "lines": BASKET[:1], "points_to_spend": 0})
    assert changed.status_code == 409
    assert changed.json()["error"] == "idempotency_key_reused"

    receipt_id = first["receipt"]["id"]  # type: ignore[index]
    refund = client.post(f"/v1/pos/receipts/{receipt_id}/refund",
                         headers={**shop.till(), "Idempotency-Key": "refund-1"}, json={})
    assert refund.status_code == 200, refund.text
    assert refund.json()["refund"]["points_reversed"] == first["points_earned"]
    check = client.get("/v1/admin/ledger/check", headers=shop.owner)
    assert check.json() == {"ok": True, "problems": []}
