"""Segments over HTTP: each rule kind, counts and member pages, validation, and promotions
targeted at a segment (only its members get them; they draw from the targeted bucket)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import FakeClock, Shop

S = "/v1/admin/segments"
P = "/v1/admin/promotions"
B = "/v1/admin/budget"


def member(client: TestClient, shop: Shop, phone: str, **extra: Any) -> int:
    response = client.post("/v1/admin/members", headers=shop.owner,
                           json={"phone": phone, **extra})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def buy(client: TestClient, shop: Shop, member_id: int, receipt: str, *,
        amount_minor: int = 10_000, till: int = 0) -> dict[str, Any]:
    response = client.post("/v1/pos/commit",
                           headers={**shop.till(till), "Idempotency-Key": receipt},
                           json={"receipt_id": receipt, "member": {"id": member_id},
                                 "lines": [{"sku": "cup", "category": "drinks", "quantity": 1,
                                            "unit_price_minor": amount_minor}]})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def members_of(client: TestClient, shop: Shop, rules: list[dict[str, Any]]) -> list[int]:
    made = client.post(S, headers=shop.owner, json={"name": "S", "rules": rules})
    assert made.status_code == 201, made.text
    page = client.get(f"{S}/{made.json()['id']}/members", headers=shop.owner,
                      params={"limit": 1000})
    assert page.status_code == 200, page.text
    assert page.json()["total"] == made.json()["members_count"]
    return list(page.json()["member_ids"])


def test_each_rule_kind(client: TestClient, shop: Shop, clock: FakeClock) -> None:
    regular = member(client, shop, "+7 800 775-01-11", birthday="1990-05-01",
                     profile={"tags": ["vip", "coffee"], "city": "Kazan"})
    lapsed = member(client, shop, "+7 800 775-01-12", consent="earn_only",
                    profile={"tags": ["coffee"], "city": "Moscow"})
    never = member(client, shop, "+7 800 775-01-13", consent="none")
    buy(client, shop, lapsed, "L-1", amount_minor=50_000)
    clock.advance(days=40)
    for n in range(3):
        buy(client, shop, regular, f"R-{n}")
    clock.advance(hours=1)

    assert members_of(client, shop, [{"kind": "recency", "compare": "le", "days": 30}]) \
        == [regular]
    assert members_of(client, shop, [{"kind": "recency", "compare": "ge", "days": 30}]) \
        == [lapsed, never]
    assert members_of(client, shop, [{"kind": "frequency", "compare": "ge", "days": 30,
                                      "count": 3}]) == [regular]
    assert members_of(client, shop, [{"kind": "frequency", "compare": "le", "days": 30,
                                      "count": 0}]) == [lapsed, never]
    assert members_of(client, shop, [{"kind": "spend", "compare": "ge", "days": 60,
                                      "amount_minor": 40_000}]) == [lapsed]
    assert members_of(client, shop, [{"kind": "spend", "compare": "le", "days": 10,
                                      "amount_minor": 30_000}]) == [regular, lapsed, never]
    assert members_of(client, shop, [{"kind": "store_share", "store_id": shop.store_id,
                                      "days": 365, "min_percent": 100}]) == [regular, lapsed]
    assert members_of(client, shop, [{"kind": "tags", "match": "any",
                                      "tags": ["vip", "tea"]}]) == [regular]
    assert members_of(client, shop, [{"kind": "tags", "match": "all",
                                      "tags": ["coffee"]}]) == [regular, lapsed]
    assert members_of(client, shop, [{"kind": "tags", "match": "all",
                                      "tags": ["coffee", "vip"]}]) == [regular]
    assert members_of(client, shop, [{"kind": "profile", "field": "city",
                                      "value": "Moscow"}]) == [lapsed]
    assert members_of(client, shop, [{"kind": "birthday"}]) == [regular]
    assert members_of(client, shop, [{"kind": "consent", "values": ["none", "earn_only"]}]) \
        == [lapsed, never]
    # Rules are AND-ed.
    assert members_of(client, shop, [{"kind": "tags", "match": "any", "tags": ["coffee"]},
                                     {"kind": "recency", "compare": "ge", "days": 30}]) \
        == [lapsed]


def test_counts_pages_changes_and_validation(client: TestClient, shop: Shop) -> None:
    ids = [member(client, shop, f"+7 800 775-02-{n:02d}") for n in range(5)]
    rules = [{"kind": "consent", "values": ["full"]}]
    made = client.post(S, headers=shop.owner, json={"name": "All", "rules": rules}).json()
    assert made["members_count"] == 5 and made["rules"] == rules
    page = client.get(f"{S}/{made['id']}/members", headers=shop.owner,
                      params={"limit": 2, "offset": 2}).json()
    assert page == {"total": 5, "member_ids": ids[2:4], "limit": 2, "offset": 2}
    changed = client.put(f"{S}/{made['id']}", headers=shop.owner,
                         json={"name": "Nobody", "rules": [{"kind": "birthday"}]})
    assert changed.status_code == 200 and changed.json()["members_count"] == 0
    assert client.get(f"{S}/{made['id']}", headers=shop.owner).json()["name"] == "Nobody"
    assert [s["id"] for s in client.get(S, headers=shop.owner).json()] == [made["id"]]
    assert client.get(f"{S}/999999", headers=shop.owner).status_code == 404
    assert client.get(f"{S}/{made['id']}/members", headers=shop.owner,
                      params={"limit": 0}).status_code == 422

    def refused(rule: dict[str, Any]) -> str:
        response = client.post(S, headers=shop.owner, json={"name": "Bad", "rules": [rule]})
        assert response.status_code == 422, response.text
        return str(response.json()["detail"])

    assert "unknown rule kind" in refused({"kind": "python", "code": "True"})
    assert "days" in refused({"kind": "recency", "compare": "le", "days": 0})
    assert "compare" in refused({"kind": "recency", "compare": "lt", "days": 3})
    assert "unknown field" in refused({"kind": "birthday", "extra": 1})
    assert "consents" in refused({"kind": "consent", "values": ["maybe"]})
    assert "tags" in refused({"kind": "tags", "match": "any", "tags": []})
    foreign = client.post(S, headers=shop.owner, json={"name": "Elsewhere", "rules": [
        {"kind": "store_share", "store_id": 999999, "days": 30, "min_percent": 50}]})
    assert foreign.status_code == 422 and foreign.json()["field"] == "rules"


def test_targeted_promotion_applies_inside_the_segment_only(client: TestClient,
                                                            shop: Shop) -> None:
    vip = member(client, shop, "+7 800 775-03-01", profile={"tags": ["vip"]})
    other = member(client, shop, "+7 800 775-03-02")
    segment = client.post(S, headers=shop.owner, json={"name": "VIP", "rules": [
        {"kind": "tags", "match": "any", "tags": ["vip"]}]}).json()
    bad = client.post(P, headers=shop.owner, json={
        "name": "Nowhere", "segment_id": 999999,
        "effects": [{"kind": "fixed_discount", "amount_minor": 500}]})
    assert bad.status_code == 422 and bad.json()["field"] == "segment_id"
    promotion = client.post(P, headers=shop.owner, json={
        "name": "VIP 5", "segment_id": segment["id"],
        "effects": [{"kind": "fixed_discount", "amount_minor": 500}]})
    assert promotion.status_code == 201, promotion.text
    assert promotion.json()["segment_id"] == segment["id"]
    quote = {"lines": [{"sku": "cup", "category": "drinks", "quantity": 1,
                        "unit_price_minor": 10_000}]}
    for who, expected in ((vip, [promotion.json()["id"]]), (other, [])):
        got = client.post("/v1/pos/quote", headers=shop.till(),
                          json={**quote, "member": {"id": who}}).json()
        assert [p["id"] for p in got["promotions"]] == expected
    anonymous = client.post("/v1/pos/quote", headers=shop.till(), json=quote).json()
    assert anonymous["promotions"] == []
    first = buy(client, shop, vip, "V-1")
    assert [p["id"] for p in first["promotions"]] == [promotion.json()["id"]]
    assert buy(client, shop, other, "O-1")["promotions"] == []

    # It draws from the targeted bucket, which is enforced; the mass bucket is untouched.
    report = client.get(f"{B}/burn", headers=shop.owner).json()
    assert report["buckets"]["targeted"]["spent_minor"] == 500
    assert report["buckets"]["mass"]["spent_minor"] == 0
    assert client.put(B, headers=shop.owner, json={
        "total_minor": 10_000, "base_bp": 5000, "mass_bp": 4200,
        "targeted_bp": 800}).status_code == 200  # targeted cap 800: 300 left
    assert buy(client, shop, vip, "V-2")["promotions"] == []
    # A refund gives back to the bucket that was charged.
    refunded = client.post(f"/v1/pos/receipts/{first['receipt']['id']}/refund",
                           headers={**shop.till(), "Idempotency-Key": "ref-V-1"}, json={})
    assert refunded.status_code == 200, refunded.text
    report = client.get(f"{B}/burn", headers=shop.owner).json()
    assert report["buckets"]["targeted"]["spent_minor"] == 0
    assert report["buckets"]["mass"]["spent_minor"] == 0


def test_targeted_membership_follows_the_member_and_the_clock(client: TestClient, shop: Shop,
                                                              clock: FakeClock) -> None:
    """Checkout builds the membership statement once and runs it again for each member and
    moment: a win-back offer (no purchase in 7 days) must follow both."""
    lapsed = member(client, shop, "+7 800 775-04-01")
    regular = member(client, shop, "+7 800 775-04-02")
    buy(client, shop, lapsed, "L-1")
    segment = client.post(S, headers=shop.owner, json={"name": "Lapsed", "rules": [
        {"kind": "recency", "compare": "ge", "days": 7}]}).json()
    offer = client.post(P, headers=shop.owner, json={
        "name": "Come back", "segment_id": segment["id"],
        "effects": [{"kind": "bonus_points", "points": 100}]}).json()
    quote = {"lines": [{"sku": "cup", "category": "drinks", "quantity": 1,
                        "unit_price_minor": 10_000}]}

    def offered(who: int) -> bool:
        got = client.post("/v1/pos/quote", headers=shop.till(),
                          json={**quote, "member": {"id": who}}).json()
        return offer["id"] in [p["id"] for p in got["promotions"]]

    clock.advance(days=2)
    buy(client, shop, regular, "R-1")
    for _ in range(2):  # the second round runs the statement built in the first
        assert not offered(lapsed) and not offered(regular)
    clock.advance(days=6)  # lapsed bought 8 days ago, regular 6: only lapsed has lapsed
    assert offered(lapsed) and not offered(regular)
    clock.advance(days=2)
    assert offered(lapsed) and offered(regular)
    buy(client, shop, lapsed, "L-2")
    assert not offered(lapsed) and offered(regular)
