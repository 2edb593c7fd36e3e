"""Referrals over several levels over HTTP: rewards per level paid up the chain on the first
purchase (once, however often the job runs) or at registration, and a full refund of that
first purchase reversing every payment through the ledger."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from regulars.cli.main import app
from tests.conftest import Shop

REFERRAL = {"enabled": True, "referrer_points": 200, "referred_points": 50,
            "trigger": "first_purchase", "upper_level_points": [50, 20]}


def settings(client: TestClient, shop: Shop, **referral: Any) -> None:
    saved = client.put("/v1/admin/rewards", headers=shop.owner,
                       json={"referral": {**REFERRAL, **referral}})
    assert saved.status_code == 200, saved.text


def join(client: TestClient, shop: Shop, phone: str, by: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    body: dict[str, Any] = {"phone": phone}
    if by is not None:
        body["referral_code"] = by["referral"]["code"]
    made = client.post("/v1/admin/members", headers=shop.owner, json=body)
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


def chain(client: TestClient, shop: Shop) -> list[dict[str, Any]]:
    """A invites B, B invites C, C invites D."""
    people: list[dict[str, Any]] = []
    for n in range(4):
        people.append(join(client, shop, f"+7 800 775-03-0{n}", people[-1] if people else None))
    return people


def balance(client: TestClient, shop: Shop, member: dict[str, Any]) -> int:
    found: int = client.get(f"/v1/admin/members/{member['id']}",
                            headers=shop.owner).json()["balance_points"]
    return found


def history(client: TestClient, shop: Shop, member: dict[str, Any]) -> list[str]:
    return [e["code"] for e in client.get(f"/v1/admin/members/{member['id']}/history",
                                          headers=shop.owner).json()]


def run_job(database_url: str, expected: str) -> None:
    result = CliRunner().invoke(app, ["rewards", "run", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert expected in result.stdout


def test_levels_paid_on_first_purchase_and_reversed_by_its_refund(
        client: TestClient, shop: Shop, database_url: str) -> None:
    settings(client, shop)
    a, b, c, d = chain(client, shop)
    # Levels 2 and 3 are paid to the upper members; the policy is set on the program.
    committed = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "k1"},
                            json={"receipt_id": "D-1", "member": {"id": d["id"]},
                                  "lines": [{"sku": "tea", "quantity": 1,
                                             "unit_price_minor": 1000}]})
    assert committed.status_code == 200, committed.text
    earned = committed.json()["points_earned"]
    run_job(database_url, "paid 1 referrals")
    run_job(database_url, "paid 0 referrals")
    assert [balance(client, shop, m) for m in (a, b, c, d)] == [20, 50, 200, 50 + earned]
    assert history(client, shop, a) == ["referral"]
    told = client.get(f"/v1/admin/members/{a['id']}/history", headers=shop.owner).json()
    assert "уровень 3" in told[0]["explanations"][0]

    refund = client.post(f"/v1/pos/receipts/{committed.json()['receipt']['id']}/refund",
                         headers={**shop.till(), "Idempotency-Key": "r1"}, json={})
    assert refund.status_code == 200, refund.text
    assert [balance(client, shop, m) for m in (a, b, c, d)] == [0, 0, 0, 0]
    assert history(client, shop, a) == ["referral_reversal", "referral"]
    assert history(client, shop, c)[0] == "referral_reversal"
    again = client.post(f"/v1/pos/receipts/{committed.json()['receipt']['id']}/refund",
                        headers={**shop.till(), "Idempotency-Key": "r1"}, json={})
    assert again.json() == refund.json()
    # A reversed referral is not paid again by a later purchase.
    client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "k2"},
                json={"receipt_id": "D-2", "member": {"id": d["id"]},
                      "lines": [{"sku": "tea", "quantity": 1, "unit_price_minor": 1000}]})
    run_job(database_url, "paid 0 referrals")
    assert balance(client, shop, a) == 0
    check = client.get("/v1/admin/ledger/check", headers=shop.owner)
    assert check.status_code == 200 and check.json()["ok"] is True, check.text


def test_levels_paid_at_registration_and_levels_are_optional(client: TestClient,
                                                              shop: Shop) -> None:
    settings(client, shop, trigger="registration")
    a, b, c, d = chain(client, shop)
    # Each registration pays up the chain: A got 200 for B, 50 for C, 20 for D.
    assert [balance(client, shop, m) for m in (a, b, c, d)] == [
        200 + 50 + 20, 50 + 200 + 50, 50 + 200, 50]
    settings(client, shop, trigger="registration", upper_level_points=[])
    e = join(client, shop, "+7 800 775-03-09", d)
    assert [balance(client, shop, m) for m in (c, d, e)] == [250, 250, 50]
    bad = client.put("/v1/admin/rewards", headers=shop.owner, json={"referral": {
        **REFERRAL, "upper_level_points": [1, 2, 3, 4, 5]}})
    assert bad.status_code == 422 and bad.json()["field"] == "referral.upper_level_points"
