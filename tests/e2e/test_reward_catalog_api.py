"""The rewards catalogue over HTTP: rewards added, changed and withdrawn, refusals naming the
field as the request spelled it, the till's quote offering a reward and the commit claiming it,
a claim in advance redeemed by its code, and the claims listed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

RC = "/v1/admin/rewards/catalog"
COFFEE = {"kind": "product", "points_cost": 200, "sku": "CAP-M",
          "titles": {"en": "Free coffee", "bg": "Кафе подарък"}, "stock_total": 10}
LINES = [{"sku": "CAP-M", "category": "coffee", "quantity": 1, "unit_price_minor": 350},
         {"sku": "BUN", "category": "bakery", "quantity": 1, "unit_price_minor": 200}]


def _member_with_points(client: TestClient, shop: Shop, points: int) -> int:
    member = client.post("/v1/pos/members", headers=shop.till(),
                         json={"phone": "+7 800 775-01-11"}).json()
    adjusted = client.post(f"/v1/admin/members/{member['id']}/adjust",
                           headers={**shop.owner, "Idempotency-Key": "grant"},
                           json={"points": points, "reason": "welcome"})
    assert adjusted.status_code == 200, adjusted.text
    return int(member["id"])


def _commit(client: TestClient, shop: Shop, member_id: int, receipt: str,
            **extra: Any) -> Any:
    return client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                       json={"receipt_id": receipt, "member": {"id": member_id},
                             "lines": LINES, **extra})


def test_a_reward_is_added_changed_withdrawn_and_listed(client: TestClient,
                                                        shop: Shop) -> None:
    made = client.post(RC, headers=shop.owner, json=COFFEE)
    assert made.status_code == 201, made.text
    reward = made.json()
    assert (reward["issued"], reward["active"], reward["titles"]["bg"]) == (0, True,
                                                                          "Кафе подарък")
    changed = client.put(f"{RC}/{reward['id']}", headers=shop.owner,
                         json={**COFFEE, "points_cost": 180})
    assert changed.json()["points_cost"] == 180
    off = client.post(f"{RC}/{reward['id']}/deactivate", headers=shop.owner)
    assert off.json()["active"] is False
    listed = client.get(RC, headers=shop.owner).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == reward["id"]
    assert client.post(f"{RC}/{reward['id']}/activate",
                       headers=shop.owner).json()["active"] is True


def test_bad_rewards_are_refused_on_the_field_as_spelled(client: TestClient,
                                                         shop: Shop) -> None:
    for body, field in (({**COFFEE, "sku": ""}, "sku"),
                        ({**COFFEE, "kind": "percent"}, "rate_bp"),
                        ({**COFFEE, "titles": {"en": ""}}, "titles.en"),
                        ({**COFFEE, "valid_from": "2026-03-05T00:00:00",
                          "valid_until": "2026-03-09T00:00:00+00:00"}, "valid_from"),
                        ({**COFFEE, "points_cost": 0}, "points_cost")):
        refused = client.post(RC, headers=shop.owner, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["field"] == field, (field, refused.json())
    assert client.get(RC, headers=shop.owner).json()["total"] == 0


def test_the_till_offers_a_reward_and_the_commit_claims_it(client: TestClient,
                                                           shop: Shop) -> None:
    member_id = _member_with_points(client, shop, 500)
    reward = client.post(RC, headers=shop.owner, json=COFFEE).json()
    quote = client.post("/v1/pos/quote", headers=shop.till(),
                        json={"member": {"id": member_id}, "lines": LINES})
    assert [r["id"] for r in quote.json()["rewards"]] == [reward["id"]]

    sale = _commit(client, shop, member_id, "R-1", reward_id=reward["id"])
    assert sale.status_code == 200, sale.text
    assert sale.json()["reward"]["line_nos"] == [1]
    assert sale.json()["member"]["balance_points"] == 300 + sale.json()["points_earned"]
    too_dear = _commit(client, shop, member_id, "R-2",
                       reward_id=client.post(RC, headers=shop.owner, json={
                           **COFFEE, "points_cost": 5000}).json()["id"])
    assert too_dear.status_code == 409 and too_dear.json()["field"] == "reward_id"
    claims = client.get(f"{RC}/claims", headers=shop.owner,
                        params={"member_id": member_id}).json()["items"]
    assert [(c["status"], c["points"]) for c in claims] == [("used", 200)]


def test_a_claim_in_advance_gives_a_code_a_till_redeems_once(client: TestClient,
                                                            shop: Shop) -> None:
    member_id = _member_with_points(client, shop, 500)
    reward = client.post(RC, headers=shop.owner, json=COFFEE).json()
    claimed = client.post(f"{RC}/{reward['id']}/claim", headers=shop.owner,
                          json={"member_id": member_id})
    assert claimed.status_code == 201, claimed.text
    code = claimed.json()["code"]
    first = _commit(client, shop, member_id, "R-1", reward_code=code)
    assert first.status_code == 200 and first.json()["reward"]["points"] == 0
    again = _commit(client, shop, member_id, "R-2", reward_code=code)
    assert again.status_code == 422 and again.json()["field"] == "reward_code"
    assert client.get(f"{RC}/claims", headers=shop.owner,
                      params={"status": "used"}).json()["items"][0]["receipt_id"] == \
        first.json()["receipt"]["id"]
