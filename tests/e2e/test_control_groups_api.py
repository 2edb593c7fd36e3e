"""Control groups over HTTP: a targeted promotion holds back a share of its segment. Control
members are eligible but never get the offer (at quote or commit); their group is recorded at
commit only, and the groups report counts them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db.promotions.tables import promotions
from regulars.domain.promotions.control_groups import Group, group_of
from regulars.services.runtime import Runtime
from tests.conftest import Shop

S = "/v1/admin/segments"
P = "/v1/admin/promotions"
LINES = [{"sku": "cup", "category": "drinks", "quantity": 1, "unit_price_minor": 10_000}]


def member(client: TestClient, shop: Shop, n: int, **extra: Any) -> int:
    response = client.post("/v1/admin/members", headers=shop.owner,
                           json={"phone": f"+7 800 775-09-{n:02d}", **extra})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def promotion(client: TestClient, shop: Shop, segment_id: int, **extra: Any) -> dict[str, Any]:
    made = client.post(P, headers=shop.owner, json={
        "name": "Held back", "segment_id": segment_id, "control_share_bp": 5000,
        "effects": [{"kind": "fixed_discount", "amount_minor": 500}], **extra})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def seed_of(rt: Runtime, promotion_id: int) -> str:
    with rt.db.read() as conn:
        return str(conn.execute(select(promotions.c.control_seed).where(
            promotions.c.id == promotion_id)).scalar_one())


def quote(client: TestClient, shop: Shop, member_id: int) -> list[int]:
    got = client.post("/v1/pos/quote", headers=shop.till(),
                      json={"lines": LINES, "member": {"id": member_id}})
    assert got.status_code == 200, got.text
    return [p["id"] for p in got.json()["promotions"]]


def commit(client: TestClient, shop: Shop, member_id: int | None, receipt: str
           ) -> dict[str, Any]:
    body: dict[str, Any] = {"receipt_id": receipt, "lines": LINES}
    if member_id is not None:
        body["member"] = {"id": member_id}
    response = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                           json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def groups(client: TestClient, shop: Shop, promotion_id: int) -> dict[str, Any]:
    response = client.get(f"{P}/{promotion_id}/groups", headers=shop.owner)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_control_members_get_nothing_and_are_recorded_at_commit_only(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    segment = client.post(S, headers=shop.owner, json={
        "name": "Full consent", "rules": [{"kind": "consent", "values": ["full"]}]}).json()
    ids = [member(client, shop, n) for n in range(20)]
    outsider = member(client, shop, 99, consent="earn_only")
    held = promotion(client, shop, segment["id"])
    # The condition never holds on these baskets: its groups are recorded all the same.
    big = promotion(client, shop, segment["id"], condition="basket.total_minor >= 1000000")
    seed = seed_of(rt, held["id"])
    assert held["control_share_bp"] == 5000 and "control_seed" not in held
    assert seed_of(rt, big["id"]) != seed

    def group(member_id: int) -> Group:
        return group_of(seed=seed, promotion_id=held["id"], member_id=member_id,
                        control_share_bp=5000)

    control = [m for m in ids if group(m) is Group.CONTROL]
    test = [m for m in ids if group(m) is Group.TEST]
    assert control and test  # 20 members at 50 %: both groups are all but certain
    for m in ids:
        assert quote(client, shop, m) == ([held["id"]] if m in test else []), m
    assert quote(client, shop, outsider) == []
    empty = {"test": 0, "control": 0, "control_share_bp": 5000}
    assert groups(client, shop, held["id"]) == empty  # quotes never write

    got = commit(client, shop, control[0], "C-1")
    assert got["promotions"] == [] and got["lines"][0]["promotion_discount_minor"] == 0
    assert "control" not in str(got)  # nothing tells the member apart
    got = commit(client, shop, test[0], "T-1")
    assert [p["id"] for p in got["promotions"]] == [held["id"]]
    assert got["lines"][0]["promotion_discount_minor"] == 500
    commit(client, shop, control[0], "C-2")  # a second visit keeps the first record
    commit(client, shop, outsider, "O-1")  # not in the segment: no group
    commit(client, shop, None, "A-1")  # anonymous: no group
    assert groups(client, shop, held["id"]) == {"test": 1, "control": 1,
                                               "control_share_bp": 5000}
    recorded_big = groups(client, shop, big["id"])
    assert recorded_big["test"] + recorded_big["control"] == 2


def test_shares_are_validated_and_reported(client: TestClient, shop: Shop) -> None:
    segment = client.post(S, headers=shop.owner, json={
        "name": "All", "rules": [{"kind": "consent", "values": ["full"]}]}).json()
    base = {"name": "P", "effects": [{"kind": "bonus_points", "points": 5}]}
    for extra in ({"segment_id": segment["id"], "control_share_bp": 5001},
                  {"segment_id": segment["id"], "control_share_bp": -1},
                  {"segment_id": segment["id"], "control_share_bp": "1000"},
                  {"control_share_bp": 1000}):
        refused = client.post(P, headers=shop.owner, json={**base, **extra})
        assert refused.status_code == 422, (extra, refused.text)
        assert refused.json()["field"] == "control_share_bp", refused.text
    plain = client.post(P, headers=shop.owner, json=base).json()
    assert plain["control_share_bp"] == 0
    assert groups(client, shop, plain["id"]) == {"test": 0, "control": 0,
                                                "control_share_bp": 0}
    changed = client.put(f"{P}/{plain['id']}", headers=shop.owner, json={
        **base, "segment_id": segment["id"], "control_share_bp": 1000})
    assert changed.status_code == 200, changed.text
    assert groups(client, shop, plain["id"])["control_share_bp"] == 1000
    assert client.get(f"{P}/999999/groups", headers=shop.owner).status_code == 404
