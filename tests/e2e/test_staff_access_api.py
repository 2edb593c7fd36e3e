"""``/v1/admin/staff/{id}``: an owner key hands out a set-password link once, changes roles and
removes staff, and changes a name or store, validated and on the audit trail; the link opens
the console of that business."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop


def _staff(client: TestClient, shop: Shop, role: str, email: str | None = None) -> int:
    answer = client.post("/v1/admin/staff", headers=shop.owner,
                         json={"name": "Mia", "email": email, "role": role})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_the_link_is_given_once_and_opens_the_console(client: TestClient, shop: Shop) -> None:
    mia = _staff(client, shop, "marketer", "mia@example.com")
    answer = client.post(f"/v1/admin/staff/{mia}/invitation", headers=shop.owner)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["staff_id"] == mia and body["url"].startswith("http://testserver/console/invite/")
    assert body["url"] not in client.get(f"/v1/admin/staff/{mia}", headers=shop.owner).text
    path = body["url"].removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200 and "mia@example.com" in page.text
    signed_in = client.post(path, data={"csrf": client.cookies["rg_csrf"],
                                        "password": "a long password"},
                            follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console"
    assert client.get(path).status_code == 404


def test_a_cashier_gets_no_link_and_422s_name_the_field(client: TestClient, shop: Shop) -> None:
    cy = _staff(client, shop, "cashier")
    refused = client.post(f"/v1/admin/staff/{cy}/invitation", headers=shop.owner)
    assert refused.status_code == 422 and refused.json()["field"] == "role"
    bad = client.patch(f"/v1/admin/staff/{cy}", headers=shop.owner, json={"role": "boss"})
    assert bad.status_code == 422 and bad.json()["field"] == "role"


def test_roles_change_and_staff_are_removed_but_one_owner_stays(client: TestClient,
                                                                shop: Shop) -> None:
    mia = _staff(client, shop, "analyst", "mia@example.com")
    assert client.patch(f"/v1/admin/staff/{mia}", headers=shop.owner,
                        json={"role": "owner"}).status_code == 200
    assert client.get(f"/v1/admin/staff/{mia}", headers=shop.owner).json()["role"] == "owner"
    last = client.patch(f"/v1/admin/staff/{mia}", headers=shop.owner, json={"role": "analyst"})
    assert last.status_code == 409 and last.json()["field"] == "role"
    assert client.delete(f"/v1/admin/staff/{mia}", headers=shop.owner).status_code == 409
    cy = _staff(client, shop, "cashier")
    assert client.delete(f"/v1/admin/staff/{cy}", headers=shop.owner).status_code == 204
    assert client.get(f"/v1/admin/staff/{cy}", headers=shop.owner).json()["active"] is False
    assert client.delete(f"/v1/admin/staff/{10**9}", headers=shop.owner).status_code == 404


def test_a_patch_changes_name_and_store_too_validated_and_audited(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    cy = _staff(client, shop, "cashier")
    path = f"/v1/admin/staff/{cy}"
    north = client.post("/v1/admin/stores", headers=shop.owner,
                        json={"code": "north", "name": "North"}).json()["id"]
    done = client.patch(path, headers=shop.owner, json={"name": " Cy Young ",
                                                        "store_id": north})
    assert done.status_code == 200, done.text
    assert (done.json()["name"], done.json()["store_id"], done.json()["role"]) == (
        "Cy Young", north, "cashier")
    kept = client.patch(path, headers=shop.owner, json={"role": "analyst"}).json()
    assert (kept["name"], kept["store_id"], kept["role"]) == ("Cy Young", north, "analyst")
    every = client.patch(path, headers=shop.owner, json={"store_id": None}).json()
    assert every["store_id"] is None and every["name"] == "Cy Young"
    other = make_shop(rt, "Other Shop")
    for body, field in (({"name": "   "}, "name"), ({"name": "N" * 201}, "name"),
                        ({"store_id": other.store_id}, "store_id"),
                        ({"role": "analyst", "store_id": other.store_id}, "store_id")):
        refused = client.patch(path, headers=shop.owner, json=body)
        assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    after = client.get(path, headers=shop.owner).json()
    assert (after["name"], after["store_id"], after["role"]) == ("Cy Young", None, "analyst")
    trail = [(e.action, json.loads(e.detail)) for e in reversed(audit.entries(
        rt, shop.tenant_id, Filters(action="staff."))) if e.subject == f"staff {cy}"]
    assert trail == [  # the refused changes left nothing
        ("staff.create", {"role": "cashier", "store_id": None}),
        ("staff.update", {"changed": ["name", "store_id"], "store_after": north,
                          "store_before": None}),
        ("staff.role", {"after": "analyst", "before": "cashier"}),
        ("staff.update", {"changed": ["store_id"], "store_after": None,
                          "store_before": north})]
