"""Erasure and export of a member over the admin API: owner keys only, an erased member is
found by nothing, the export holds what is kept, and both are on the audit trail."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from tests.conftest import Shop

M = "/v1/admin/members"
PHONE, E164 = "+7 916 555-12-34", "+79165551234"


def _member_with_a_sale(client: TestClient, shop: Shop) -> int:
    member = client.post(M, headers=shop.owner, json={
        "phone": PHONE, "card": "CARD4242", "first_name": "Olga"}).json()
    sale = {"receipt_id": "R-1", "member": {"id": member["id"]}, "lines": [
        {"sku": "beans", "name": "Beans", "quantity": 1, "unit_price_minor": 100_000}]}
    answer = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "c-1"},
                         json=sale)
    assert answer.status_code == 200, answer.text
    return int(member["id"])


def test_an_owner_key_erases_a_member_who_is_then_found_by_nothing(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    member_id = _member_with_a_sale(client, shop)
    erased = client.post(f"{M}/{member_id}/erase", headers=shop.owner)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["member_id"] == member_id and not body["already_erased"]
    assert body["receipts_kept"] == 1 and body["balance_points"] > 0
    again = client.post(f"{M}/{member_id}/erase", headers=shop.owner).json()
    assert again["already_erased"] and again["erased_at"] == body["erased_at"]

    assert client.get(f"{M}/{member_id}", headers=shop.owner).status_code == 404
    assert client.get(M, headers=shop.owner, params={"q": "Olga"}).json() == []
    for ref in ({"phone": PHONE}, {"card": "CARD4242"}, {"id": member_id}):
        found = client.post("/v1/pos/members/lookup", headers=shop.till(), json=ref)
        assert found.status_code == 404, (ref, found.text)
    assert client.get("/v1/admin/ledger/check", headers=shop.owner).json()["ok"]
    anew = client.post(M, headers=shop.owner, json={"phone": PHONE})
    assert anew.status_code == 201 and anew.json()["id"] != member_id
    assert [e.action for e in audit.entries(rt, shop.tenant_id, Filters(action="member"))] == [
        "member.erase"]


def test_the_export_names_everything_held_and_is_recorded(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    member_id = _member_with_a_sale(client, shop)
    found = client.get(f"{M}/{member_id}/export", headers=shop.owner)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["profile"]["phone"] == E164 and body["profile"]["first_name"] == "Olga"
    assert {(i["kind"], i["value"]) for i in body["identifiers"]} >= {
        ("phone", E164), ("card", "CARD4242")}
    assert [r["receipt_no"] for r in body["receipts"]] == ["R-1"]
    assert sum(e["points"] for e in body["entries"]) == body["accounts"][0]["balance"]
    assert [e.action for e in audit.entries(rt, shop.tenant_id, Filters(action="member"))] == [
        "member.export"]


def test_only_the_admin_scope_erases_or_exports(client: TestClient, shop: Shop) -> None:
    member_id = _member_with_a_sale(client, shop)
    reader = client.post("/v1/admin/keys", headers=shop.owner,
                         json={"label": "bi", "scopes": ["analytics"]}).json()["key"]
    for headers in ({"Authorization": f"Bearer {reader}"}, shop.till()):
        assert client.post(f"{M}/{member_id}/erase", headers=headers).status_code == 403
        assert client.get(f"{M}/{member_id}/export", headers=headers).status_code == 403
    assert client.get(f"{M}/{member_id}", headers=shop.owner).status_code == 200
