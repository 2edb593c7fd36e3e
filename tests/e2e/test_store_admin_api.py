"""``/v1/admin/stores``: a code a till, URL or CSV cannot carry is refused (422 on ``code``), a
second store of one name in any case too (409 on ``name``), and a store is renamed by PATCH
with its code kept, recorded as the key that did it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.services.audit import audit
from regulars.services.audit.audit import Filters
from regulars.services.runtime import Runtime
from tests.conftest import Shop

STORES = "/v1/admin/stores"


def test_a_code_with_a_space_or_a_comma_is_refused_on_its_field(client: TestClient,
                                                                shop: Shop) -> None:
    for code in ("north mall", "north,2", "север"):
        refused = client.post(STORES, headers=shop.owner, json={"code": code, "name": "N"})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "invalid_input" and refused.json()["field"] == "code"
    made = client.post(STORES, headers=shop.owner, json={"code": "north_2", "name": "North"})
    assert made.status_code == 201 and made.json()["code"] == "north_2"


def test_a_second_store_of_one_name_is_refused_on_the_name(client: TestClient,
                                                          shop: Shop) -> None:
    refused = client.post(STORES, headers=shop.owner,
                          json={"code": "again", "name": "MAIN street"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "conflict" and refused.json()["field"] == "name"
    assert [s["code"] for s in client.get(STORES, headers=shop.owner).json()] == ["main"]


def test_a_store_is_renamed_and_keeps_its_code(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    north = client.post(STORES, headers=shop.owner,
                        json={"code": "north", "name": "North"}).json()
    renamed = client.patch(f"{STORES}/{north['id']}", headers=shop.owner,
                           json={"name": "North mall"})
    assert renamed.status_code == 200, renamed.text
    assert {k: renamed.json()[k] for k in ("id", "code", "name")} == {
        "id": north["id"], "code": "north", "name": "North mall"}
    listed = {s["id"]: s["name"] for s in client.get(STORES, headers=shop.owner).json()}
    assert listed[north["id"]] == "North mall"
    clash = client.patch(f"{STORES}/{north['id']}", headers=shop.owner,
                         json={"name": "main street"})
    assert clash.status_code == 409 and clash.json()["field"] == "name"
    code = client.patch(f"{STORES}/{north['id']}", headers=shop.owner,
                        json={"name": "X", "code": "n"})
    assert code.status_code == 422  # the code is not a field to change
    assert client.patch(f"{STORES}/999999", headers=shop.owner,
                        json={"name": "Ghost"}).status_code == 404
    [entry] = [e for e in audit.entries(rt, shop.tenant_id, Filters())
               if e.action == "store.update"]
    assert entry.actor.startswith("key ") and entry.subject == f"store {north['id']}"
