"""Coupon series over HTTP: an owner issues codes, a till uses them, errors as documented."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Shop

BASKET = [{"sku": "beans", "quantity": 1, "unit_price_minor": 10_000}]
SERIES = {"name": "Welcome back", "max_uses": 1, "ends_on": "2026-03-31",
          "effect": {"kind": "percent_discount", "rate_bp": 1000}}


def test_owner_issues_codes_and_a_till_uses_one(client: TestClient, shop: Shop) -> None:
    made = client.post("/v1/admin/coupon-series", headers=shop.owner, json=SERIES)
    assert made.status_code == 201, made.text
    series = made.json()
    assert series["effect"] == {"kind": "percent_discount", "rate_bp": 1000,
                                "categories": [], "skus": []}
    codes = client.post(f"/v1/admin/coupon-series/{series['id']}/codes", headers=shop.owner,
                        json={"count": 3})
    assert codes.status_code == 201, codes.text
    code = codes.json()["codes"][0]
    assert len(code) == 19 and code.count("-") == 3

    quoted = client.post("/v1/pos/quote", headers=shop.till(),
                         json={"lines": BASKET, "coupons": [code]})
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["coupons"][0]["discount_minor"] == 1000
    assert any("Welcome back" in e["text"] for e in quoted.json()["explanations"])

    body = {"receipt_id": "R-1", "lines": BASKET, "coupons": [code]}
    done = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c1"},
                       json=body)
    assert done.status_code == 200, done.text
    again = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c2"},
                        json={**body, "receipt_id": "R-2"})
    assert again.status_code == 409 and again.json()["error"] == "coupon_used"
    assert again.json()["field"] == "coupons.0"

    view = client.get(f"/v1/admin/coupon-series/{series['id']}", headers=shop.owner).json()
    assert view["codes_issued"] == 3 and view["uses"] == 1
    listed = client.get("/v1/admin/coupon-series", headers=shop.owner).json()
    assert [s["id"] for s in listed] == [series["id"]]
    assert client.get("/v1/admin/coupon-series/999", headers=shop.owner).status_code == 404


def test_wrong_codes_answer_422_then_429_with_retry_after(client: TestClient,
                                                          shop: Shop) -> None:
    client.post("/v1/admin/coupon-series", headers=shop.owner, json=SERIES)
    for _ in range(10):
        wrong = client.post("/v1/pos/quote", headers=shop.till(),
                            json={"lines": BASKET, "coupons": ["1234-5678-9ABC-DEF0"]})
        assert wrong.status_code == 422
        assert wrong.json()["error"] == "invalid_coupon"
        assert wrong.json()["field"] == "coupons.0"
    blocked = client.post("/v1/pos/quote", headers=shop.till(),
                          json={"lines": BASKET, "coupons": ["1234-5678-9ABC-DEF0"]})
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) == 600


def test_a_bad_series_is_refused(client: TestClient, shop: Shop) -> None:
    bad = client.post("/v1/admin/coupon-series", headers=shop.owner,
                      json={**SERIES, "effect": {"kind": "percent_discount", "rate_bp": 0}})
    assert bad.status_code == 422
    late = client.post("/v1/admin/coupon-series", headers=shop.owner,
                       json={**SERIES, "starts_on": "2026-04-01"})
    assert late.status_code == 422
