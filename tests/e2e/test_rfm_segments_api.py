"""The ``rfm`` segment rule over HTTP: a segment of RFM groups holds exactly the members the
CLV report puts in those groups, and a promotion targeted at it reaches exactly them
(SQLite, and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from regulars.analytics.rfm import RfmGroup
from regulars.domain.promotions.segments import RFM_GROUPS
from tests.conftest import FakeClock, Shop
from tests.e2e.test_level_segments_api import listed
from tests.e2e.test_segments_api import buy, member

S = "/v1/admin/segments"


def test_the_rule_names_the_reports_groups() -> None:
    assert {g.value for g in RfmGroup} == RFM_GROUPS


@pytest.fixture
def history(client: TestClient, shop: Shop, clock: FakeClock) -> list[int]:
    """Ten members; member i buys 1 + i // 2 times, three days apart, starting 5·i days
    after a day 120 days ago: 8 and 9 bought most often and most lately."""
    today = clock.now
    ids = [member(client, shop, f"+7 800 775-06-{i:02d}") for i in range(10)]
    for i, member_id in enumerate(ids):
        for k in range(1 + i // 2):
            clock.now = today - timedelta(days=120 - 5 * i - 3 * k)
            buy(client, shop, member_id, f"H-{i}-{k}", amount_minor=1000 * (i + 1))
    clock.now = today
    return ids


def _report_groups(client: TestClient, shop: Shop) -> dict[str, list[int]]:
    report = client.get("/v1/admin/analytics/clv", headers=shop.owner, params={"limit": 500})
    assert report.status_code == 200, report.text
    found: dict[str, list[int]] = defaultdict(list)
    for item in report.json()["items"]:
        found[item["group"]].append(item["member_id"])
    return {group: sorted(ids) for group, ids in found.items()}


def _segment(client: TestClient, shop: Shop, *groups: str) -> int:
    made = client.post(S, headers=shop.owner, json={
        "name": "RFM", "rules": [{"kind": "rfm", "groups": list(groups)}]})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_a_segment_of_rfm_groups_holds_the_reports_members(
        client: TestClient, shop: Shop, history: list[int]) -> None:
    groups = _report_groups(client, shop)
    assert groups["champions"] == [history[8], history[9]]
    for group, ids in groups.items():
        assert listed(client, shop, _segment(client, shop, group)) == ids, group
    both = _segment(client, shop, "champions", "lost")
    assert listed(client, shop, both) == sorted(groups["champions"] + groups.get("lost", []))
    for bad in ([], ["whales"]):
        refused = client.post(S, headers=shop.owner, json={
            "name": "X", "rules": [{"kind": "rfm", "groups": bad}]})
        assert refused.status_code == 422, bad


def test_a_promotion_for_champions_reaches_exactly_them(
        client: TestClient, shop: Shop, clock: FakeClock, history: list[int]) -> None:
    champions = _report_groups(client, shop)["champions"]
    made = client.post("/v1/admin/promotions", headers=shop.owner, json={
        "name": "For champions", "segment_id": _segment(client, shop, "champions"),
        "effects": [{"kind": "bonus_points", "points": 50}]})
    assert made.status_code == 201, made.text
    clock.advance(minutes=1)
    reached = [member_id for n, member_id in enumerate(history)
               if buy(client, shop, member_id, f"T-{n}")["promotions"]]
    assert reached == champions
    # Today's receipts count from tomorrow on: the groups, and who is reached, hold all day.
    again = [member_id for n, member_id in enumerate(history)
             if buy(client, shop, member_id, f"U-{n}")["promotions"]]
    assert again == champions
