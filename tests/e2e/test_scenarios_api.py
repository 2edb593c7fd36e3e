"""``/v1/admin/scenarios`` over HTTP: save, read, change and delete a scenario; a run answers
202 and is read back with both programs' figures; bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

S = "/v1/admin/scenarios"
BODY: dict[str, Any] = {
    "name": "Ten percent back",
    "program": {"levels": [{"code": "base", "name": "Base", "threshold_minor": 0,
                            "rate_bp": 1000}]},
    "promotions": [{"name": "Cake week", "effects": [
        {"kind": "percent_discount", "rate_bp": 1000, "categories": ["food"]}]}],
    "first_day": "2026-03-01", "last_day": "2026-03-31",
    "assumptions": {"average_check_change_bp": 300, "gross_margin_bp": 4000},
}
LINES = [{"sku": "cake", "name": "Cake", "category": "food", "quantity": 1,
          "unit_price_minor": 20000}]


def _commit(client: TestClient, shop: Shop, member_id: int, receipt: str) -> None:
    answer = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                         json={"receipt_id": receipt, "member": {"id": member_id},
                               "lines": LINES})
    assert answer.status_code in (200, 201), answer.text


def test_a_scenario_is_saved_run_and_read_back(client: TestClient, shop: Shop) -> None:
    member = client.post("/v1/pos/members", headers=shop.till(),
                         json={"phone": "+7 916 000-00-01"}).json()
    for n in range(3):
        _commit(client, shop, member["id"], f"r-{n}")
    saved = client.post(S, headers=shop.owner, json=BODY)
    assert saved.status_code == 201, saved.text
    scenario = saved.json()
    assert scenario["promotions"][0]["name"] == "Cake week"
    assert scenario["program"]["levels"][0]["rate_bp"] == 1000
    assert [s["id"] for s in client.get(S, headers=shop.owner).json()] == [scenario["id"]]

    started = client.post(f"{S}/{scenario['id']}/runs", headers=shop.owner)
    assert started.status_code == 202, started.text
    assert started.json()["receipts_total"] == 3
    run = client.get(f"{S}/{scenario['id']}/runs/{started.json()['id']}",
                     headers=shop.owner).json()
    assert (run["status"], run["percent"]) == ("done", 100)
    draft, current = run["result"]["draft"], run["result"]["current"]
    assert (draft["receipts"], draft["discount_minor"], draft["points_issued"]) == (3, 6000, 54)
    assert (current["receipts"], current["discount_minor"]) == (3, 0)
    assert run["result"]["payback"]["lift_bp"] == 300
    # Minutes of history: the redemptions are the default assumption, and it says why.
    model = run["result"]["model"]
    assert (model["redeemed_share_bp"], model["delay_days"], model["history_days"],
            model["default_reason"]) == (5000, 60, 0, "short_history")
    assert client.get(f"{S}/{scenario['id']}", headers=shop.owner).json()[
        "last_run"]["status"] == "done"

    changed = client.put(f"{S}/{scenario['id']}", headers=shop.owner,
                         json={**BODY, "name": "Renamed", "program": None})
    assert changed.status_code == 200 and changed.json()["program"] is None
    assert client.delete(f"{S}/{scenario['id']}", headers=shop.owner).status_code == 204
    assert client.get(f"{S}/{scenario['id']}", headers=shop.owner).status_code == 404


def test_bad_input_names_the_field(client: TestClient, shop: Shop) -> None:
    cases = [
        ({**BODY, "last_day": "2026-02-01"}, "last_day"),
        ({**BODY, "program": {"levels": []}}, "program.levels"),
        ({**BODY, "program": {"point_value_minor": 0}}, "program.point_value_minor"),
        ({**BODY, "assumptions": {"gross_margin_bp": 20000}}, "assumptions.gross_margin_bp"),
        ({**BODY, "promotions": [{**BODY["promotions"][0], "store_ids": [999999]}]},
         "promotions.0.store_ids"),
        ({**BODY, "promotions": [{**BODY["promotions"][0], "condition": "basket.nope > 1"}]},
         "promotions.0.condition"),
        # A replay knows a member's level, not their visits: such a draft would never apply.
        ({**BODY, "promotions": [{**BODY["promotions"][0], "condition": "member.visits > 1"}]},
         "promotions.0.condition"),
        # A gift costs only when the till rings it up: past receipts cannot tell its cost.
        ({**BODY, "promotions": [{**BODY["promotions"][0], "effects": [
            BODY["promotions"][0]["effects"][0],
            {"kind": "gift_with_purchase", "gift_sku": "cake", "buy_milli": 2000}]}]},
         "promotions.0.effects.1"),
    ]
    for body, field in cases:
        answer = client.post(S, headers=shop.owner, json=body)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["field"] == field, answer.text
    assert client.get(S, headers=shop.owner).json() == []


def test_an_analytics_key_reads_but_does_not_run(client: TestClient, shop: Shop) -> None:
    key = client.post("/v1/admin/keys", headers=shop.owner,
                      json={"label": "bi", "scopes": ["analytics"]})
    assert key.status_code == 201, key.text
    reader = {"Authorization": f"Bearer {key.json()['key']}"}
    scenario = client.post(S, headers=shop.owner, json=BODY).json()
    assert client.get(S, headers=reader).status_code == 200
    assert client.post(f"{S}/{scenario['id']}/runs", headers=reader).status_code == 403


def test_draft_promotions_are_addressed_by_a_stable_id(client: TestClient, shop: Shop) -> None:
    scenario = client.post(S, headers=shop.owner, json=BODY).json()
    url = f"{S}/{scenario['id']}/promotions"
    [cake] = scenario["promotions"]
    tea = {"name": "Tea week", "effects": [{"kind": "bonus_points", "points": 5}]}
    added = client.post(url, headers=shop.owner, json=tea)
    assert added.status_code == 201, added.text
    first, second = added.json()["promotions"]
    assert first["id"] == cake["id"] and second["name"] == "Tea week"
    assert second["id"] != cake["id"]

    # Read back and sent again whole, the ids stay; one the scenario does not hold is refused.
    kept = client.put(f"{S}/{scenario['id']}", headers=shop.owner,
                      json={**BODY, "promotions": [second, first]})
    assert kept.status_code == 200, kept.text
    assert [p["id"] for p in kept.json()["promotions"]] == [second["id"], first["id"]]
    unknown = client.put(f"{S}/{scenario['id']}", headers=shop.owner,
                         json={**BODY, "promotions": [{**tea, "id": "000000000000"}]})
    assert unknown.status_code == 422 and unknown.json()["field"] == "promotions.0.id"
    twice = client.put(f"{S}/{scenario['id']}", headers=shop.owner,
                       json={**BODY, "promotions": [first, first]})
    assert twice.status_code == 422 and twice.json()["field"] == "promotions.1.id"

    changed = client.put(f"{url}/{cake['id']}", headers=shop.owner,
                         json={**tea, "name": "Cake and tea"})
    assert changed.status_code == 200, changed.text
    assert [(p["id"], p["name"]) for p in changed.json()["promotions"]] == [
        (second["id"], "Tea week"), (cake["id"], "Cake and tea")]
    assert client.delete(f"{url}/{cake['id']}", headers=shop.owner).status_code == 204
    # A stale id (removed meanwhile) is not found, and changes nothing.
    assert client.put(f"{url}/{cake['id']}", headers=shop.owner, json=tea).status_code == 404
    assert client.delete(f"{url}/{cake['id']}", headers=shop.owner).status_code == 404
    assert client.put(f"{url}/not-an-id", headers=shop.owner, json=tea).status_code == 422
    left = client.get(f"{S}/{scenario['id']}", headers=shop.owner).json()["promotions"]
    assert [p["id"] for p in left] == [second["id"]]
    gift = {"name": "Gift", "effects": [{"kind": "gift_with_purchase", "gift_sku": "cake",
                                         "buy_milli": 1000}]}
    refused = client.post(url, headers=shop.owner, json=gift)
    assert refused.status_code == 422 and refused.json()["field"] == "promotions.1.effects.0"
