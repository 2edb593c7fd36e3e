"""Over HTTP: a gift with a purchase of several items, a coupon issued for the next visit
(announced by the quote, issued once by the commit, voided by a full refund while unused),
and the quote explaining a promotion a limit left out."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

P = "/v1/admin/promotions"
C = "/v1/admin/coupon-series"
BEANS = {"sku": "arabica", "category": "beans", "quantity": 3, "unit_price_minor": 900}
MUG = {"sku": "mug", "category": "goods", "quantity": 1, "unit_price_minor": 500}


def member(client: TestClient, shop: Shop, phone: str) -> int:
    response = client.post("/v1/admin/members", headers=shop.owner, json={"phone": phone})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def promotion(client: TestClient, shop: Shop, **body: Any) -> dict[str, Any]:
    response = client.post(P, headers=shop.owner, json={"name": "Offer", **body})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def commit(client: TestClient, shop: Shop, receipt: str, body: dict[str, Any]
           ) -> dict[str, Any]:
    response = client.post("/v1/pos/commit",
                           headers={**shop.till(), "Idempotency-Key": receipt},
                           json={"receipt_id": receipt, **body})
    assert response.status_code == 200, response.text
    done: dict[str, Any] = response.json()
    return done


def texts(body: dict[str, Any]) -> str:
    """The explanations' text (the shop's locale is ru_RU)."""
    return " | ".join(e["text"] for e in body["explanations"])


def codes(body: dict[str, Any]) -> list[str]:
    return [e["code"] for e in body["explanations"]]


def test_gift_with_purchase_discounts_the_gift_line(client: TestClient, shop: Shop) -> None:
    made = promotion(client, shop, name="Mug with beans", effects=[{
        "kind": "gift_with_purchase", "categories": ["beans"], "gift_sku": "mug",
        "buy_milli": 3000, "max_gifts": 1}])
    assert made["effects"][0]["gift_sku"] == "mug"
    quoted = client.post("/v1/pos/quote", headers=shop.till(),
                         json={"lines": [BEANS, {**MUG, "quantity": 2}]})
    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    assert [ln["promotion_discount_minor"] for ln in body["lines"]] == [0, 500]
    assert [ln["sku"] for ln in body["lines"]] == ["arabica", "mug"]  # nothing added
    assert body["promotions"][0]["discount_minor"] == 500
    assert "promotion_gift" in codes(body) and "1 × mug в подарок" in texts(body)
    short = client.post("/v1/pos/quote", headers=shop.till(),
                        json={"lines": [{**BEANS, "quantity": 2}, MUG]}).json()
    assert short["promotions"] == [] and short["discount_minor"] == 0


def test_gift_rules_are_validated(client: TestClient, shop: Shop) -> None:
    bad = client.post(P, headers=shop.owner, json={"name": "Bad", "effects": [
        {"kind": "gift_with_purchase", "gift_sku": "mug", "buy_milli": 0}]})
    assert bad.status_code == 422


def test_coupon_for_the_next_visit(client: TestClient, shop: Shop) -> None:
    series = client.post(C, headers=shop.owner, json={
        "name": "Next coffee", "effect": {"kind": "percent_discount", "rate_bp": 2000}})
    assert series.status_code == 201, series.text
    sid = series.json()["id"]
    missing = client.post(P, headers=shop.owner, json={
        "name": "X", "effects": [{"kind": "issue_coupon", "series_id": 999_999}]})
    assert missing.status_code == 422 and missing.json()["field"] == "effects.0.series_id"
    nested = client.post(C, headers=shop.owner, json={
        "name": "Loop", "effect": {"kind": "issue_coupon", "series_id": sid}})
    assert nested.status_code == 422
    promotion(client, shop, name="Come back", condition="basket.total_minor >= 2000",
              effects=[{"kind": "issue_coupon", "series_id": sid}])
    mid = member(client, shop, "+7 800 775-01-11")
    sale = {"member": {"id": mid}, "lines": [BEANS]}

    quoted = client.post("/v1/pos/quote", headers=shop.till(), json=sale).json()
    assert "promotion_coupon" in codes(quoted)
    assert "вы получите купон «Next coffee» на следующий визит" in texts(quoted)
    assert f"№{sid}" not in texts(quoted)  # the series by name; its id is a machine field
    [announced] = [e for e in quoted["explanations"] if e["code"] == "promotion_coupon"]
    assert announced["params"]["series_id"] == sid
    assert quoted["promotions"][0]["discount_minor"] == 0
    anonymous = client.post("/v1/pos/quote", headers=shop.till(), json={"lines": [BEANS]})
    assert "promotion_coupon" not in codes(anonymous.json())
    assert anonymous.json()["promotions"] == []
    assert "issued_coupons" not in commit(client, shop, "anon-1", {"lines": [BEANS]})

    done = commit(client, shop, "R-1", sale)
    [issued] = done["issued_coupons"]
    assert issued["series_id"] == sid and issued["name"] == "Next coffee"
    replay = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "R-1"},
                         json={"receipt_id": "R-1", **sale})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["issued_coupons"] == [issued]  # the same code, issued once
    view = client.get(f"{C}/{sid}", headers=shop.owner).json()
    assert view["codes_issued"] == 1

    # The code is the member's: another member cannot use it, its owner can.
    other = member(client, shop, "+7 800 775-01-12")
    refused = client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": {"id": other}, "lines": [MUG], "coupons": [issued["code"]]})
    assert refused.status_code == 409 and refused.json()["error"] == "coupon_not_yours"
    used = client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": {"id": mid}, "lines": [MUG], "coupons": [issued["code"]]})
    assert used.status_code == 200 and used.json()["coupons"][0]["discount_minor"] == 100

    # A full refund voids the unused code of that receipt; a used one stays used.
    second_receipt = commit(client, shop, "R-2", sale)
    second = second_receipt["issued_coupons"][0]["code"]
    refund = client.post(f"/v1/pos/receipts/{done['receipt']['id']}/refund",
                         headers={**shop.till(), "Idempotency-Key": "rf-1"}, json={})
    assert refund.status_code == 200, refund.text
    assert refund.json()["issued_coupons_voided"] == 1
    gone = client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": {"id": mid}, "lines": [MUG], "coupons": [issued["code"]]})
    assert gone.status_code == 409 and gone.json()["error"] == "coupon_used"
    commit(client, shop, "R-3", {"member": {"id": mid}, "lines": [MUG],
                                 "coupons": [second]})
    refund_2 = client.post(f"/v1/pos/receipts/{second_receipt['receipt']['id']}/refund",
                           headers={**shop.till(), "Idempotency-Key": "rf-2"}, json={})
    assert refund_2.status_code == 200, refund_2.text
    assert "issued_coupons_voided" not in refund_2.json()


def test_use_limit_counts_coupon_promotions_and_the_quote_says_why(
        client: TestClient, shop: Shop) -> None:
    sid = client.post(C, headers=shop.owner, json={
        "name": "Next", "effect": {"kind": "fixed_discount", "amount_minor": 100}}).json()["id"]
    made = promotion(client, shop, name="Once a day",
                     effects=[{"kind": "issue_coupon", "series_id": sid}],
                     limits={"uses_per_day": 1})
    mid = member(client, shop, "+7 800 775-01-13")
    sale = {"member": {"id": mid}, "lines": [BEANS]}
    assert len(commit(client, shop, "D-1", sale)["issued_coupons"]) == 1
    again = commit(client, shop, "D-2", sale)
    assert "issued_coupons" not in again and again["promotions"] == []
    quoted = client.post("/v1/pos/quote", headers=shop.till(), json=sale).json()
    assert "promotion_skipped_uses_per_day" in codes(quoted)
    assert (f"Акция \u00abOnce a day\u00bb, версия {made['version']}, не применена: дневной "
            "лимит использований исчерпан.") in texts(quoted)
    assert f"№{made['id']}" not in texts(quoted)


def test_the_quote_says_when_a_budget_is_used_up(client: TestClient, shop: Shop) -> None:
    made = promotion(client, shop, name="Tenner",
                     effects=[{"kind": "fixed_discount", "amount_minor": 1000}],
                     limits={"budget_minor": 1500})
    commit(client, shop, "B-1", {"lines": [BEANS]})
    quoted = client.post("/v1/pos/quote", headers=shop.till(), json={"lines": [BEANS]}).json()
    assert quoted["promotions"] == []
    assert "promotion_skipped_budget" in codes(quoted)
    assert f"Акция \u00abTenner\u00bb, версия {made['version']}, не применена: её бюджет " \
        "исчерпан." in texts(quoted)
