"""Budgets over HTTP: limits on a promotion, the tenant's loyalty budget and the burn
reports."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

P = "/v1/admin/promotions"
B = "/v1/admin/budget"
PHONE = "+7 800 775-01-11"
SALE = {"member": {"phone": PHONE},
        "lines": [{"sku": "cup", "category": "drinks", "quantity": 2,
                   "unit_price_minor": 1000}]}


def commit(client: TestClient, shop: Shop, receipt: str) -> dict[str, Any]:
    response = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                           json={**SALE, "receipt_id": receipt})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_budget_split_defaults_and_validation(client: TestClient, shop: Shop) -> None:
    assert client.get(B, headers=shop.owner).json() == {
        "total_minor": None, "base_bp": 5000, "mass_bp": 2500, "targeted_bp": 2500,
        "caps_minor": {"base": None, "mass": None, "targeted": None}}
    saved = client.put(B, headers=shop.owner, json={"total_minor": 100_000, "base_bp": 6000,
                                                    "mass_bp": 4000, "targeted_bp": 0})
    assert saved.status_code == 200, saved.text
    assert saved.json()["caps_minor"] == {"base": 60_000, "mass": 40_000, "targeted": 0}
    assert client.get(B, headers=shop.owner).json()["mass_bp"] == 4000
    bad = client.put(B, headers=shop.owner, json={"total_minor": 1, "base_bp": 6000})
    assert bad.status_code == 422 and "add up to 10000" in bad.json()["detail"]
    assert client.put(B, headers=shop.till(), json={"total_minor": 1}).status_code == 403


def test_limits_on_a_promotion_and_the_burn_reports(client: TestClient, shop: Shop) -> None:
    assert client.post("/v1/pos/members", headers=shop.till(),
                       json={"phone": PHONE}).status_code == 201
    made = client.post(P, headers=shop.owner, json={
        "name": "Cup off", "effects": [{"kind": "fixed_discount", "amount_minor": 300}],
        "limits": {"budget_minor": 1000, "uses_per_day": 2}})
    assert made.status_code == 201, made.text
    promotion = made.json()
    assert promotion["limits"] == {
        "budget_minor": 1000, "budget_points": None, "member_minor": None,
        "member_points": None, "uses_per_day": 2, "uses_per_period": None, "period": "month"}
    bad = client.post(P, headers=shop.owner, json={
        "name": "Bad", "effects": [{"kind": "bonus_points", "points": 1}],
        "limits": {"budget_minor": 0}})
    assert bad.status_code == 422

    got = [commit(client, shop, f"R-{i}")["promotions"] for i in range(3)]
    assert [len(p) for p in got] == [1, 1, 0]  # two uses a day
    burn = client.get(f"{P}/{promotion['id']}/burn", headers=shop.owner)
    assert burn.status_code == 200, burn.text
    assert burn.json()["budget"]["remaining_minor"] == 400
    assert burn.json()["this_month"] == {"receipts": 2, "discount_minor": 600, "points": 0,
                                         "cashback_minor": 0}

    # Raising the daily limit and lowering the budget takes effect on the next receipt.
    changed = client.put(f"{P}/{promotion['id']}", headers=shop.owner, json={
        "name": "Cup off", "effects": [{"kind": "fixed_discount", "amount_minor": 300}],
        "limits": {"budget_minor": 800, "uses_per_day": 5}})
    assert changed.status_code == 200, changed.text
    assert commit(client, shop, "R-3")["promotions"] == []  # 200 left, 300 needed

    report = client.get(f"{B}/burn", headers=shop.owner).json()
    assert report["month"] == "2026-03-01"
    assert report["buckets"]["mass"]["spent_minor"] == 600
    assert report["buckets"]["mass"]["cap_minor"] is None
    assert report["buckets"]["targeted"] == {"cap_minor": None, "spent_minor": 0,
                                             "remaining_minor": None, "enforced": True}
    assert report["promotions"] == [{"id": promotion["id"], "receipts": 2,
                                     "discount_minor": 600, "points": 0, "cashback_minor": 0}]
    assert client.get(f"{P}/999999/burn", headers=shop.owner).status_code == 404
