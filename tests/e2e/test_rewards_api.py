"""Rewards over HTTP: strict settings, events (idempotent by event_id), referral codes at the
till, and the ``regulars rewards run`` job."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from regulars.cli.main import app
from tests.conftest import Shop

SETTINGS = {
    "referral": {"enabled": True, "referrer_points": 200, "referred_points": 50,
                 "trigger": "first_purchase", "link_base": "https://join.example.com",
                 "upper_level_points": []},
    "birthday": {"enabled": True, "points": 300},
    "profile": {"enabled": False, "points": 0},
    "events": [{"type": "review", "points": 15, "limit": 1, "period": "week"}],
}


def test_settings_round_trip_and_bad_input_names_the_field(client: TestClient,
                                                           shop: Shop) -> None:
    empty = client.get("/v1/admin/rewards", headers=shop.owner).json()
    assert empty["referral"]["enabled"] is False and empty["events"] == []
    saved = client.put("/v1/admin/rewards", headers=shop.owner, json=SETTINGS)
    assert saved.status_code == 200, saved.text
    assert client.get("/v1/admin/rewards", headers=shop.owner).json() == saved.json() == {
        **SETTINGS, "events": [{"type": "review", "points": 15, "limit": 1, "period": "week"}]}
    for body, field in (
            ({"referral": {"trigger": "someday"}}, "referral.trigger"),
            ({"birthday": {"points": "300"}}, "birthday.points"),
            ({"birthday": {"points": -1}}, "birthday.points"),
            ({"events": [{"type": "a", "points": 1}, {"type": "a", "points": 2}]}, "events"),
            ({"events": [{"type": "a", "points": 1, "limit": 0}]}, "events.0.limit"),
            ({"referral": {"link_base": "join.example.com"}}, "referral.link_base"),
            ({"bonus": 1}, "bonus")):
        answer = client.put("/v1/admin/rewards", headers=shop.owner, json=body)
        assert answer.status_code == 422, body
        assert answer.json()["field"] == field, answer.json()
    assert client.get("/v1/admin/rewards", headers=shop.owner).json() == saved.json()


def test_events_over_http(client: TestClient, shop: Shop) -> None:
    client.put("/v1/admin/rewards", headers=shop.owner, json=SETTINGS)
    member = client.post("/v1/pos/members", headers=shop.till(),
                         json={"phone": "+79161234567"}).json()
    body = {"event_id": "rev-1", "member": {"phone": "8 916 123-45-67"}, "type": "review"}
    first = client.post("/v1/events", headers=shop.owner, json=body)
    assert first.status_code == 200 and first.json()["points"] == 15
    assert client.post("/v1/events", headers=shop.owner, json=body).json() == first.json()
    other = client.post("/v1/events", headers=shop.owner, json={**body, "data": {"x": 1}})
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
    limited = client.post("/v1/events", headers=shop.owner, json={**body, "event_id": "rev-2"})
    assert limited.json()["reason"] == "limit_reached"
    unknown = client.post("/v1/events", headers=shop.owner, json={**body, "type": "tweet",
                                                                  "event_id": "t-1"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "type"
    assert client.post("/v1/events", headers=shop.till(), json=body).status_code == 403
    history = client.get(f"/v1/admin/members/{member['id']}/history",
                         headers=shop.owner).json()
    assert [e["code"] for e in history] == ["event"]
    assert history[0]["explanations"] == ["15 баллов за «review»."]


def test_referral_code_at_the_till_and_the_job(client: TestClient, shop: Shop,
                                              database_url: str) -> None:
    client.put("/v1/admin/rewards", headers=shop.owner, json=SETTINGS)
    referrer = client.post("/v1/pos/members", headers=shop.till(),
                           json={"phone": "+79161234567"}).json()
    info = client.get(f"/v1/pos/members/{referrer['id']}/referral", headers=shop.till()).json()
    assert info["link"] == f"https://join.example.com/r/{info['code']}"
    friend = client.post("/v1/admin/members", headers=shop.owner,
                         json={"phone": "+79161234568", "referral_code": info["code"],
                               "device_token": "app-device-0001"})
    assert friend.status_code == 201 and friend.json()["referral"]["linked"] is True
    committed = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c1"},
                            json={"receipt_id": "R-1", "member": {"id": friend.json()["id"]},
                                  "lines": [{"sku": "tea", "quantity": 1,
                                             "unit_price_minor": 50_000}]})
    assert committed.status_code == 200, committed.text
    runner = CliRunner()
    for expected in ("paid 1 referrals", "paid 0 referrals"):
        result = runner.invoke(app, ["rewards", "run", "--database-url", database_url])
        assert result.exit_code == 0, result.output
        assert expected in result.stdout
    after = client.get(f"/v1/admin/members/{referrer['id']}/referral", headers=shop.owner)
    assert after.json()["invited_members"] == 1
    balance = client.get(f"/v1/admin/members/{referrer['id']}", headers=shop.owner).json()
    assert balance["balance_points"] == 200
