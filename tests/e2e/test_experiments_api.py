"""Experiments, the holdout and uplift over HTTP: each member gets only their variant at the
till, held-out members get no promotion, the results and the sample size answer in the
documented shapes, and reads need only the analytics scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db.promotions.tables import coupon_secrets
from regulars.domain.promotions.experiments import in_holdout, variant_of
from regulars.services.promotions import experiments
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.test_key_scopes_api import make_key
from tests.integration.test_experiment_results import three_variants

P = "/v1/admin/promotions"
EX = "/v1/admin/experiments"
UP = "/v1/admin/analytics/uplift"
LINES = [{"sku": "cup", "category": "drinks", "quantity": 1, "unit_price_minor": 10_000}]


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def member(client: TestClient, shop: Shop, n: int) -> int:
    return int(ok(client.post("/v1/admin/members", headers=shop.owner,
                              json={"phone": f"+7 800 775-09-{n:02d}"}))["id"])


def discount(client: TestClient, shop: Shop, amount_minor: int) -> int:
    return int(ok(client.post(P, headers=shop.owner, json={
        "name": f"{amount_minor} off",
        "effects": [{"kind": "fixed_discount", "amount_minor": amount_minor}]}))["id"])


def got(client: TestClient, shop: Shop, member_id: int | None) -> list[int]:
    body: dict[str, Any] = {"lines": LINES}
    if member_id is not None:
        body["member"] = {"id": member_id}
    answer = ok(client.post("/v1/pos/quote", headers=shop.till(), json=body))
    return [p["id"] for p in answer["promotions"]]


def key_of(rt: Runtime, tenant_id: int) -> bytes:
    with rt.db.read() as conn:
        return bytes.fromhex(conn.execute(select(coupon_secrets.c.secret).where(
            coupon_secrets.c.tenant_id == tenant_id)).scalar_one())


def test_each_member_gets_only_their_variant_and_anonymous_receipts_the_first(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    five, ten, other = discount(client, shop, 500), discount(client, shop, 1000), \
        discount(client, shop, 100)
    # 30 members: all of them drawn into one of two variants by chance is 1 in 2**29.
    ids = [member(client, shop, n) for n in range(30)]
    made = ok(client.post(EX, headers=shop.owner, json={
        "name": "5 or 10", "variants": [{"name": "five", "promotion_id": five},
                                        {"name": "ten", "promotion_id": ten}]}))
    assert made["status"] == "running" and [v["position"] for v in made["variants"]] == [0, 1]
    key = key_of(rt, shop.tenant_id)
    seen = set()
    for member_id in ids:
        index = variant_of(key, experiment_id=made["id"], member_id=member_id, variants=2)
        seen.add(index)
        assert sorted(got(client, shop, member_id)) == sorted([(five, ten)[index], other])
    assert seen == {0, 1}
    assert sorted(got(client, shop, None)) == sorted([five, other])
    # Stopped, every variant applies again as its promotion says.
    assert ok(client.post(f"{EX}/{made['id']}/stop", headers=shop.owner))["status"] == "stopped"
    assert sorted(got(client, shop, ids[0])) == sorted([five, ten, other])
    again = client.post(f"{EX}/{made['id']}/stop", headers=shop.owner)
    assert again.status_code == 409


def test_a_promotion_is_a_variant_of_one_experiment_and_variants_are_checked(
        client: TestClient, shop: Shop) -> None:
    a, b = discount(client, shop, 500), discount(client, shop, 600)
    body = {"name": "A/B", "variants": [{"name": "a", "promotion_id": a},
                                        {"name": "b", "promotion_id": b}]}
    ok(client.post(EX, headers=shop.owner, json=body))
    for wrong in (body, {**body, "variants": body["variants"][:1]},
                  {**body, "variants": [body["variants"][0]] * 2},
                  {**body, "variants": [{"name": "a", "promotion_id": 999_999},
                                        body["variants"][1]]}):
        refused = client.post(EX, headers=shop.owner, json=wrong)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "variants"
    assert len(ok(client.get(EX, headers=shop.owner))) == 1


def test_held_out_members_get_no_promotion_and_messaging_can_ask(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    promo = discount(client, shop, 500)
    ids = [member(client, shop, n) for n in range(20)]
    assert ok(client.get(f"{EX}/holdout", headers=shop.owner)) == {"share_bp": 0}
    assert ok(client.put(f"{EX}/holdout", headers=shop.owner,
                         json={"share_bp": 5000})) == {"share_bp": 5000}
    key = key_of(rt, shop.tenant_id)
    held = [m for m in ids if in_holdout(key, member_id=m, share_bp=5000)]
    assert 0 < len(held) < len(ids)
    for member_id in ids:
        assert got(client, shop, member_id) == ([] if member_id in held else [promo])
        assert experiments.in_holdout(rt, shop.tenant_id, member_id) is (member_id in held)
    assert got(client, shop, None) == [promo]
    too_big = client.put(f"{EX}/holdout", headers=shop.owner, json={"share_bp": 5001})
    assert too_big.status_code == 422 and too_big.json()["field"] == "share_bp"
    report = ok(client.get(f"{UP}/holdout", headers=shop.owner))
    assert (report["held_out"], report["rest"]) == (len(held), len(ids) - len(held))
    assert report["spend"]["verdict"] == "too_small"


def test_results_sample_size_and_uplift_answer_analytics_keys(
        client: TestClient, shop: Shop, clock: FakeClock) -> None:
    a, b = discount(client, shop, 500), discount(client, shop, 1000)
    made = ok(client.post(EX, headers=shop.owner, json={
        "name": "A/B", "variants": [{"name": "a", "promotion_id": a},
                                    {"name": "b", "promotion_id": b}]}))
    ids = [member(client, shop, n) for n in range(6)]
    for n, member_id in enumerate(ids):
        ok(client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": f"r{n}"},
                       json={"receipt_id": f"r{n}", "member": {"id": member_id},
                             # baskets of their own: a spread whatever variants they fall in
                             "lines": [{**LINES[0], "quantity": n + 1}]}))
    reader = make_key(client, shop, scopes=["analytics"])
    clock.now += timedelta(hours=1)
    results = ok(client.get(f"{EX}/{made['id']}/results", headers=reader))
    assert results["verdict"] == "too_small" and results["winner_position"] is None
    assert sum(v["members"] for v in results["variants"]) == 6
    assert results["variants"][0]["against_baseline"] is None
    assert results["variants"][1]["always_valid"]["verdict"] == "too_small"
    size = ok(client.get(f"{EX}/sample-size", headers=reader,
                         params={"effect_minor": 500, "sd_minor": 1000}))
    assert (size["per_arm"], size["total"]) == (64, 128)
    assert size["per_arm_always_valid"] == 124  # the interval the winner is named by is wider
    no_spread = client.get(f"{EX}/sample-size", headers=reader, params={"effect_minor": 5})
    assert no_spread.status_code == 200, no_spread.text  # the spread of the six receipts
    uplift = ok(client.get(f"{UP}/promotions/{a}", headers=reader))
    assert uplift["too_small"] is True and uplift["test_members"] == 0
    bad = client.get(f"{UP}/promotions/{a}", headers=reader,
                     params={"from": "2026-03-05", "to": "2026-03-01"})
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    assert client.get(f"{UP}/promotions/999999", headers=reader).status_code == 404
    ancient = client.get(f"{UP}/promotions/{a}", headers=reader, params={"from": "0001-01-01"})
    assert ancient.status_code == 422 and ancient.json()["field"] == "from"
    refused = client.post(EX, headers=reader, json={"name": "x", "variants": []})
    assert refused.status_code == 403
    assert client.put(f"{EX}/holdout", headers=reader, json={"share_bp": 1}).status_code == 403


def test_results_name_the_variants_that_beat_the_first_when_none_is_shown_best(
        client: TestClient, shop: Shop, rt: Runtime, clock: FakeClock) -> None:
    trial = three_variants(rt, shop, clock)
    reader = make_key(client, shop, scopes=["analytics"])
    results = ok(client.get(f"{EX}/{trial.experiment_id}/results", headers=reader))
    assert (results["verdict"], results["winner_position"], results["beats_baseline"]) == (
        "no_best_yet", None, [1, 2])
