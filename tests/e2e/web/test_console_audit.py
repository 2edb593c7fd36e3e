"""The console's audit page: staff changes listed with who, what and when, filtered, and
exported as CSV (the export recorded too); owners only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.support import add_staff, sign_in
from tests.e2e.web.test_console_settings import as_owner, post


def test_owner_sees_filters_and_exports_the_trail(client: TestClient, rt: Runtime,
                                                  shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    assert post(client, "/console/settings/keys", csrf, key_label="books",
                scopes=["analytics"]).status_code == 200
    client.post("/v1/admin/promotions", headers=shop.owner, json={
        "name": "Bonus", "effects": [{"kind": "bonus_points", "points": 5}]})
    page = client.get("/console/audit")
    assert page.status_code == 200
    assert "key.create" in page.text and "promotion.create" in page.text
    assert "staff " in page.text and "key " in page.text
    keys_only = client.get("/console/audit", params={"what": "key"})
    assert "key.create" in keys_only.text and "promotion.create" not in keys_only.text
    by_staff = client.get("/console/audit", params={"who": "staff"})
    assert "key.create" in by_staff.text and "promotion.create" not in by_staff.text
    future = client.get("/console/audit", params={"date_from": "2999-01-01"})
    assert "No entries match." in future.text
    bad = client.get("/console/audit", params={"date_to": "soon"})
    assert bad.status_code == 422 and 'id="e-date_to"' in bad.text
    exported = client.get("/console/audit.csv", params={"what": "promotion"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[0].startswith("seq,at,actor,action")
    assert len(exported.text.splitlines()) == 2
    assert "audit.export" in client.get("/console/audit").text


def test_only_owners_see_the_trail(client: TestClient, rt: Runtime, shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="marketer", email="m@example.com")
    sign_in(client, "m@example.com")
    assert client.get("/console/audit").status_code == 403
    assert client.get("/console/audit.csv").status_code == 403
