"""The ``level`` segment rule over HTTP: counted and listed by the admin API in one SQL
statement, equal to the level the program gives each member (lifetime, rolling and
calendar-year windows, the floor of a program that never downgrades), and usable by
targeted promotions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import FakeClock, Shop
from tests.e2e.test_api_behaviour import LEVELS, set_program
from tests.e2e.test_segments_api import buy, member

S = "/v1/admin/segments"


def segment(client: TestClient, shop: Shop, *levels: str) -> dict[str, Any]:
    made = client.post(S, headers=shop.owner, json={
        "name": "By level", "rules": [{"kind": "level", "levels": list(levels)}]})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def listed(client: TestClient, shop: Shop, segment_id: int) -> list[int]:
    page = client.get(f"{S}/{segment_id}/members", headers=shop.owner, params={"limit": 100})
    assert page.status_code == 200, page.text
    assert page.json()["total"] == len(page.json()["member_ids"])
    return list(page.json()["member_ids"])


def level_of(client: TestClient, shop: Shop, member_id: int) -> str:
    quoted = client.post("/v1/pos/quote", headers=shop.till(), json={
        "member": {"id": member_id},
        "lines": [{"sku": "x", "quantity": 1, "unit_price_minor": 100}]})
    assert quoted.status_code == 200, quoted.text
    level: str = quoted.json()["member"]["level"]
    return level


def by_level(client: TestClient, shop: Shop, ids: list[int]) -> dict[str, list[int]]:
    """Each level's segment members, checked against the level the quote gives each."""
    found = {lv["code"]: listed(client, shop, segment(client, shop, lv["code"])["id"])
             for lv in LEVELS}
    for member_id in ids:
        assert member_id in found[level_of(client, shop, member_id)]
    return found


def test_level_rule_lifetime(client: TestClient, shop: Shop, clock: FakeClock) -> None:
    set_program(client, shop, levels=LEVELS)
    base = member(client, shop, "+7 800 775-02-01")
    silver = member(client, shop, "+7 800 775-02-02")
    gold = member(client, shop, "+7 800 775-02-03")
    buy(client, shop, silver, "S-1", amount_minor=150_000)
    buy(client, shop, gold, "G-1", amount_minor=600_000)
    buy(client, shop, gold, "G-2", amount_minor=600_000)
    clock.advance(minutes=1)
    assert by_level(client, shop, [base, silver, gold]) == {
        "base": [base], "silver": [silver], "gold": [gold]}
    both = segment(client, shop, "silver", "Gold")  # by code or by name
    assert both["members_count"] == 2 and listed(client, shop, both["id"]) == [silver, gold]
    refused = client.post(S, headers=shop.owner, json={
        "name": "X", "rules": [{"kind": "level", "levels": ["platinum"]}]})
    assert refused.status_code == 422 and refused.json()["field"] == "rules"
    empty = client.post(S, headers=shop.owner, json={
        "name": "X", "rules": [{"kind": "level", "levels": []}]})
    assert empty.status_code == 422


def test_level_rule_follows_windows_and_the_floor(client: TestClient, shop: Shop,
                                                   clock: FakeClock) -> None:
    set_program(client, shop, levels=LEVELS, level_window="rolling_12_months",
                downgrade_policy="never")
    kept = member(client, shop, "+7 800 775-02-04")
    buy(client, shop, kept, "K-1", amount_minor=150_000)
    clock.advance(days=400)  # out of the rolling window, but the floor keeps silver
    fresh = member(client, shop, "+7 800 775-02-05")
    assert by_level(client, shop, [kept, fresh])["silver"] == [kept]
    set_program(client, shop, levels=LEVELS, level_window="rolling_12_months",
                downgrade_policy="window_end")
    assert by_level(client, shop, [kept, fresh])["base"] == [kept, fresh]
    set_program(client, shop, levels=LEVELS, level_window="calendar_year")
    buy(client, shop, fresh, "F-1", amount_minor=150_000)  # 2027-04: this year
    clock.advance(days=300)  # 2028: last year's spend holds the level through this year
    assert by_level(client, shop, [kept, fresh])["silver"] == [fresh]


def test_targeted_promotion_for_a_level(client: TestClient, shop: Shop,
                                        clock: FakeClock) -> None:
    set_program(client, shop, levels=LEVELS)
    silver = member(client, shop, "+7 800 775-02-06")
    base = member(client, shop, "+7 800 775-02-07")
    buy(client, shop, silver, "S-1", amount_minor=150_000)
    clock.advance(minutes=1)
    made = client.post("/v1/admin/promotions", headers=shop.owner, json={
        "name": "Silver bonus", "segment_id": segment(client, shop, "silver")["id"],
        "effects": [{"kind": "bonus_points", "points": 50}]})
    assert made.status_code == 201, made.text
    assert buy(client, shop, silver, "S-2")["promotions"][0]["points"] == 50
    assert buy(client, shop, base, "B-1")["promotions"] == []
