"""``/v1/admin/business``: read and change the business's name, language, time zone and
colours; a bad value answers 422 naming the field as the request spelled it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from tests.conftest import Shop


def test_an_owner_key_reads_and_changes_the_business(client: TestClient, rt: Runtime,
                                                     shop: Shop) -> None:
    before = client.get("/v1/admin/business", headers=shop.owner)
    assert before.status_code == 200
    assert before.json()["name"] == "Corner Café" and before.json()["logo_url"] is None
    changed = client.patch("/v1/admin/business", headers=shop.owner,
                           json={"name": "Bean & Leaf", "timezone": "Asia/Almaty",
                                 "brand_colour": "#abc"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["timezone"], body["brand_colour"]) == (
        "Bean & Leaf", "Asia/Almaty", "#aabbcc")
    assert body["locale"] == "ru_RU" and body["currency"] == "RUB"  # untouched
    # Everything that reads the business sees the change at once.
    assert client.get("/v1/admin/tenant", headers=shop.owner).json()["timezone"] == "Asia/Almaty"
    entry, = audit.entries(rt, shop.tenant_id, Filters(action="settings.business"))
    assert entry.actor.startswith("key ")
    reset = client.patch("/v1/admin/business", headers=shop.owner, json={"brand_colour": ""})
    assert reset.json()["brand_colour"] is None


def test_a_bad_value_is_refused_naming_its_field(client: TestClient, shop: Shop) -> None:
    for field, value in (("timezone", "Mars/Olympus"), ("locale", "xx_ZZ"),
                         ("brand_colour", "red"), ("name", " ")):
        refused = client.patch("/v1/admin/business", headers=shop.owner, json={field: value})
        assert refused.status_code == 422, (field, refused.text)
        assert refused.json()["field"] == field
    assert client.get("/v1/admin/business", headers=shop.owner).json()["name"] == "Corner Café"
