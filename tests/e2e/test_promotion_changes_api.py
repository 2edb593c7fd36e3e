"""What checkout prepares once per process for promotions (their versions, compiled
conditions, the statement and its answer) never outlives a change: every change a marketer
makes shows on the very next quote of the same process."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

P = "/v1/admin/promotions"
S = "/v1/admin/segments"
B = "/v1/admin/budget"
LINES = [{"sku": "coffee", "category": "drinks", "quantity": 2, "unit_price_minor": 10_000},
         {"sku": "beans", "category": "goods", "quantity": 1, "unit_price_minor": 20_000}]


def member(client: TestClient, shop: Shop, phone: str) -> int:
    response = client.post("/v1/admin/members", headers=shop.owner, json={"phone": phone})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def quote(client: TestClient, shop: Shop, member_id: int | None = None,
          lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"lines": lines or LINES}
    if member_id is not None:
        body["member"] = {"id": member_id}
    response = client.post("/v1/pos/quote", headers=shop.till(), json=body)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def applied(client: TestClient, shop: Shop, member_id: int | None = None,
            lines: list[dict[str, Any]] | None = None) -> dict[int, int]:
    """Promotion id -> discount, as the next quote gives them."""
    return {p["id"]: p["discount_minor"]
            for p in quote(client, shop, member_id, lines)["promotions"]}


def test_new_changed_and_archived_promotions_show_on_the_next_quote(
        client: TestClient, shop: Shop) -> None:
    assert applied(client, shop) == {}
    body: dict[str, Any] = {"name": "Ten off", "condition": "basket.total_minor >= 30000",
                            "effects": [{"kind": "percent_discount", "rate_bp": 1000}]}
    first = client.post(P, headers=shop.owner, json=body).json()
    for _ in range(2):  # the second quote reuses what the first prepared
        assert applied(client, shop) == {first["id"]: 4000}
    small = [{"sku": "coffee", "category": "drinks", "quantity": 1, "unit_price_minor": 100}]
    assert applied(client, shop, lines=small) == {}  # the condition, compiled without CEL

    client.put(f"{P}/{first['id']}", headers=shop.owner,
               json={**body, "effects": [{"kind": "percent_discount", "rate_bp": 2000}]})
    assert applied(client, shop) == {first["id"]: 8000}
    client.put(f"{P}/{first['id']}", headers=shop.owner,
               json={**body, "condition": "basket.total_minor >= 99999999"})
    assert applied(client, shop) == {}
    client.put(f"{P}/{first['id']}", headers=shop.owner, json=body)
    second = client.post(P, headers=shop.owner, json={
        "name": "Fixed", "effects": [{"kind": "fixed_discount", "amount_minor": 500}]}).json()
    assert applied(client, shop) == {first["id"]: 4000, second["id"]: 500}
    client.post(f"{P}/{first['id']}/archive", headers=shop.owner)
    assert applied(client, shop) == {second["id"]: 500}
    client.post(f"{P}/{second['id']}/archive", headers=shop.owner)
    assert applied(client, shop) == {}


def test_conditions_on_the_member_go_through_cel_and_follow_the_member(
        client: TestClient, shop: Shop) -> None:
    someone = member(client, shop, "+7 800 775-09-01")
    made = client.post(P, headers=shop.owner, json={
        "name": "Members", "condition": "member != null && member.level == 'base' "
                                        "&& basket.lines.exists(l, l.sku == 'beans')",
        "effects": [{"kind": "fixed_discount", "amount_minor": 700}]}).json()
    for _ in range(2):
        assert applied(client, shop, someone) == {made["id"]: 700}
        assert applied(client, shop) == {}  # anonymous: member is null


def test_segment_rules_and_the_budget_split_show_on_the_next_quote(
        client: TestClient, shop: Shop) -> None:
    someone = member(client, shop, "+7 800 775-09-02")
    segment = client.post(S, headers=shop.owner, json={"name": "Nobody yet", "rules": [
        {"kind": "frequency", "compare": "ge", "days": 30, "count": 1}]})
    assert segment.status_code == 201, segment.text
    made = client.post(P, headers=shop.owner, json={
        "name": "Targeted", "segment_id": segment.json()["id"],
        "effects": [{"kind": "fixed_discount", "amount_minor": 900}]}).json()
    for _ in range(2):
        assert applied(client, shop, someone) == {}
    changed = client.put(f"{S}/{segment.json()['id']}", headers=shop.owner, json={
        "name": "Everyone", "rules": [
            {"kind": "frequency", "compare": "ge", "days": 30, "count": 0}]})
    assert changed.status_code == 200, changed.text
    for _ in range(2):
        assert applied(client, shop, someone) == {made["id"]: 900}
    # No money left in the targeted bucket: the promotion no longer fits.
    saved = client.put(B, headers=shop.owner, json={"total_minor": 100_000, "base_bp": 5000,
                                                    "mass_bp": 5000, "targeted_bp": 0})
    assert saved.status_code == 200, saved.text
    got = quote(client, shop, someone)
    assert got["promotions"] == []
    assert "promotion_skipped_bucket" in [e["code"] for e in got["explanations"]]
    client.put(B, headers=shop.owner, json={"total_minor": 100_000, "base_bp": 5000,
                                            "mass_bp": 2500, "targeted_bp": 2500})
    assert applied(client, shop, someone) == {made["id"]: 900}


def test_a_paused_promotion_leaves_the_quote_until_resumed_and_an_archived_one_stays_out(
        client: TestClient, shop: Shop) -> None:
    made = client.post(P, headers=shop.owner, json={
        "name": "Ten off", "effects": [{"kind": "percent_discount", "rate_bp": 1000}]}).json()
    assert applied(client, shop) == {made["id"]: 4000}
    for _ in range(2):  # pausing twice is harmless
        paused = client.post(f"{P}/{made['id']}/pause", headers=shop.owner)
        assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert applied(client, shop) == {}
    listed = client.get(P, params={"status": "paused"}, headers=shop.owner).json()
    assert [p["id"] for p in listed] == [made["id"]]
    assert client.post(f"{P}/{made['id']}/resume", headers=shop.owner).json()["status"] \
        == "active"
    assert applied(client, shop) == {made["id"]: 4000}
    client.post(f"{P}/{made['id']}/archive", headers=shop.owner)
    refused = client.post(f"{P}/{made['id']}/resume", headers=shop.owner)
    assert refused.status_code == 409
    assert applied(client, shop) == {}
