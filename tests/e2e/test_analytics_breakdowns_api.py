"""``/v1/admin/analytics/levels`` and ``/segments``: the figures by level and by segment,
against values computed by hand on a small shop (SQLite, and PostgreSQL for tests marked
``postgres``)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock, Shop
from tests.e2e.test_api_behaviour import LEVELS, set_program
from tests.e2e.test_segments_api import buy, member

A = "/v1/admin/analytics"
MONTH = {"range": "this_month"}


def _anonymous(client: TestClient, shop: Shop, receipt: str, amount_minor: int) -> None:
    answer = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                         json={"receipt_id": receipt, "lines": [
                             {"sku": "cup", "quantity": 1, "unit_price_minor": amount_minor}]})
    assert answer.status_code == 200, answer.text


@pytest.fixture
def earned(client: TestClient, shop: Shop, clock: FakeClock) -> dict[str, int]:
    """Levels base / silver (1 000.00) / gold (10 000.00) over a lifetime. Silver buys once
    for 1 500.00; Gold twice for 6 000.00; Base-buyer once for 400.00 and once for 300.00
    that is refunded in full; Idle never; an anonymous receipt of 100.00. Segments: "big"
    (spent 5 000.00 or more in a year) and "once" (at most one receipt in a year).
    Returns the points each member earned."""
    set_program(client, shop, levels=LEVELS)
    ids = {name: member(client, shop, f"+7 800 775-09-0{n}")
           for n, name in enumerate(("idle", "base", "silver", "gold"), start=1)}
    points = dict.fromkeys(ids, 0)
    for who, receipt, amount in (("silver", "S-1", 150_000), ("gold", "G-1", 600_000),
                                 ("gold", "G-2", 600_000), ("base", "B-1", 40_000)):
        points[who] += buy(client, shop, ids[who], receipt,
                           amount_minor=amount)["points_earned"]
    refunded = buy(client, shop, ids["base"], "B-2", amount_minor=30_000)["receipt"]["id"]
    back = client.post(f"/v1/pos/receipts/{refunded}/refund",
                       headers={**shop.till(), "Idempotency-Key": "refund-B-2"}, json={})
    assert back.status_code == 200, back.text
    _anonymous(client, shop, "N-1", 10_000)
    for name, rules in (("big", [{"kind": "spend", "compare": "ge", "days": 365,
                                  "amount_minor": 500_000}]),
                        ("once", [{"kind": "frequency", "compare": "le", "days": 365,
                                   "count": 1}])):
        made = client.post("/v1/admin/segments", headers=shop.owner,
                           json={"name": name, "rules": rules})
        assert made.status_code == 201, made.text
    clock.advance(minutes=1)
    return points


def _rows(body: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Per row name: members, buyers, receipts, revenue, average, visits per buyer, share of
    buyers, share of revenue."""
    return {r["name"]: tuple(r["figures"][k] for k in (
        "members", "buyers", "receipts", "revenue_minor", "average_minor",
        "visits_per_buyer_milli", "active_share_bp", "revenue_share_bp"))
        for r in [*body["rows"], {"name": "all", "figures": body["all_members"]}]}


def test_figures_by_level(client: TestClient, shop: Shop, earned: dict[str, int]) -> None:
    answer = client.get(f"{A}/levels", headers=shop.owner, params=MONTH)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["key"] for r in body["rows"]] == ["base", "silver", "gold"]
    # All revenue 1 400 000 (the refunded receipt is no sale, the anonymous one counts).
    assert _rows(body) == {
        "Base": (2, 1, 1, 40_000, 40_000, 1000, 5000, 286),
        "Silver": (1, 1, 1, 150_000, 150_000, 1000, 10000, 1071),
        "Gold": (1, 1, 2, 1_200_000, 600_000, 2000, 10000, 8571),
        "all": (4, 3, 4, 1_390_000, 347_500, 1333, 7500, 9929)}
    issued = {r["key"]: r["figures"]["points_issued"] for r in body["rows"]}
    assert issued == {"base": earned["base"] + earned["idle"], "silver": earned["silver"],
                      "gold": earned["gold"]}
    assert body["all_members"]["points_issued"] == sum(earned.values())


def test_figures_by_segment(client: TestClient, shop: Shop, earned: dict[str, int]) -> None:
    body = client.get(f"{A}/segments", headers=shop.owner, params=MONTH).json()
    assert _rows(body) == {
        "big": (1, 1, 2, 1_200_000, 600_000, 2000, 10000, 8571),
        # A fully refunded receipt is no visit to a segment rule (as to the figures), so
        # Base-buyer, whose other receipt went back whole, has bought once: in "once" too.
        "once": (3, 2, 2, 190_000, 95_000, 1000, 6667, 1357),
        "all": (4, 3, 4, 1_390_000, 347_500, 1333, 7500, 9929)}
    assert body["rows"][0]["figures"]["points_issued"] == earned["gold"]


def test_an_earlier_period_has_members_but_no_sales(client: TestClient, shop: Shop,
                                                    earned: dict[str, int]) -> None:
    assert earned
    body = client.get(f"{A}/levels", headers=shop.owner, params={
        "range": "custom", "from": "2020-01-01", "to": "2020-01-31"}).json()
    assert body["members_at_day"] == "2020-01-31"
    assert [r["figures"]["receipts"] for r in body["rows"]] == [0, 0, 0]
    assert body["rows"][0]["figures"]["members"] == 0  # nobody had joined yet


def test_readers_only_and_a_bad_range(client: TestClient, shop: Shop) -> None:
    reader = client.post("/v1/admin/keys", headers=shop.owner,
                         json={"label": "bi", "scopes": ["analytics"]}).json()["key"]
    for path in ("levels", "segments"):
        assert client.get(f"{A}/{path}", headers={"Authorization": f"Bearer {reader}"},
                          params=MONTH).status_code == 200
        assert client.get(f"{A}/{path}", headers=shop.till()).status_code == 403
        bad = client.get(f"{A}/{path}", headers=shop.owner,
                         params={"range": "custom", "from": "2026-03-02"})
        assert bad.status_code == 422 and bad.json()["field"] == "to"
        assert client.get(f"{A}/{path}", headers=shop.owner,
                          params={"range": "someday"}).status_code == 422


@pytest.mark.parametrize(("window", "downgrade"), [
    ("lifetime", "window_end"), ("rolling_12_months", "never"),
    ("calendar_year", "window_end"), ("calendar_year", "never")])
def test_each_level_row_is_the_segment_of_its_level_rule(
        client: TestClient, shop: Shop, earned: dict[str, int], clock: FakeClock,
        window: str, downgrade: str) -> None:
    """The levels are worked out for every member at once; a segment's ``level`` rule looks
    each member's up alone: the same members, so the same figures. A year on, Silver's and
    Gold's spend has left a rolling window but not the floor a program that never downgrades
    keeps, and last year's level still holds in a calendar year."""
    assert earned
    set_program(client, shop, levels=LEVELS, level_window=window, downgrade_policy=downgrade)
    for level in LEVELS:
        made = client.post("/v1/admin/segments", headers=shop.owner, json={
            "name": level["name"], "rules": [{"kind": "level", "levels": [level["code"]]}]})
        assert made.status_code == 201, made.text
    for days in (0, 200, 400):
        clock.advance(days=days)
        levels = client.get(f"{A}/levels", headers=shop.owner, params=MONTH).json()
        segments = client.get(f"{A}/segments", headers=shop.owner, params=MONTH).json()
        assert [r["figures"] for r in levels["rows"]] == [
            r["figures"] for r in segments["rows"] if r["name"] in {lv["name"] for lv in LEVELS}]
