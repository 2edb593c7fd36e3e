"""``GET /v1/admin/analytics/clv`` over HTTP: a young business gets its RFM groups and the
plain reason there is no fit yet; bad parameters get 422 naming the parameter."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import FakeClock, Shop

BASKET = [{"sku": "cup", "name": "Cup", "quantity": 1, "unit_price_minor": 30000}]


def test_a_young_business_gets_rfm_and_the_reason_for_no_fit(
        client: TestClient, shop: Shop, clock: FakeClock) -> None:
    member = client.post("/v1/admin/members", headers=shop.owner,
                         json={"phone": "+79160000001"}).json()["id"]
    for n in range(2):
        response = client.post("/v1/pos/commit",
                               headers={**shop.till(), "Idempotency-Key": f"k{n}"},
                               json={"receipt_id": f"R-{n}", "member": {"id": member},
                                     "lines": BASKET})
        assert response.status_code == 200, response.text
        clock.advance(days=2)
    body = client.get("/v1/admin/analytics/clv", headers=shop.owner).json()
    assert body["fit"] is None and "at least 20 members" in body["not_fitted_because"]
    assert body["not_fitted_code"] == "too_few_members"
    assert body["members"] == 1 and sum(body["groups"].values()) == 1
    [item] = body["items"]
    assert (item["member_id"], item["purchases"], item["lifetime_value_minor"]) == (
        member, 2, None)


def test_bad_parameters_get_422_naming_them(client: TestClient, shop: Shop) -> None:
    for query, field in (({"unit": "months"}, "query.unit"),
                         ({"margin_bp": "20000"}, "query.margin_bp"),
                         ({"calibration_end": "2026-02-30"}, "calibration_end"),
                         ({"calibration_end": "2999-01-01"}, "calibration_end")):
        response = client.get("/v1/admin/analytics/clv", headers=shop.owner, params=query)
        assert response.status_code == 422, (query, response.text)
        assert response.json()["field"] == field, (query, response.json())
