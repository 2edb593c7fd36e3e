"""Settings over HTTP: stores, tills with keys shown once, staff with passwords and PINs,
deactivation that ends sessions, owner keys; errors next to their fields; owners only."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import settings, tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import Shop, make_shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in

SECRET = re.compile(r'id="secret-value">([^<]+)<')


def as_owner(client: TestClient, rt: Runtime, shop: Shop) -> str:
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    sign_in(client, "owner@example.com")
    page = client.get("/console/settings")
    assert page.status_code == 200
    return csrf_of(page.text)


def post(client: TestClient, path: str, csrf: str, **data: Any) -> Any:
    return client.post(path, data={**data, "csrf": csrf}, follow_redirects=False)


def test_stores_and_tills_with_the_key_shown_once(client: TestClient, rt: Runtime,
                                                  shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    page = client.get("/console/settings")
    assert "Corner Café" in page.text and "RUB" in page.text and "Main street" in page.text
    dup = post(client, "/console/settings/stores", csrf, store_code="main", store_name="Again")
    assert dup.status_code == 422 and 'id="e-store_code"' in dup.text
    assert 'value="Again"' in dup.text
    added = post(client, "/console/settings/stores", csrf, store_code="north",
                 store_name="North mall")
    assert added.status_code == 303
    store = [s for s in tenants.list_stores(rt, shop.tenant_id) if s.code == "north"][0]
    empty = post(client, "/console/settings/tills", csrf, till_store=str(store.id),
                 till_code="", till_name="")
    assert empty.status_code == 422 and 'id="e-till_code"' in empty.text
    for bad in ("north 1", "n/1", "N" * 33):  # the rule of a store's code
        spaced = post(client, "/console/settings/tills", csrf, till_store=str(store.id),
                      till_code=bad, till_name="North 1")
        assert spaced.status_code == 422 and 'id="e-till_code"' in spaced.text
        assert "a till code is 1 to 32 Latin letters" in spaced.text
    refused = client.post("/v1/admin/terminals", headers=shop.owner,
                          json={"store_id": store.id, "code": "north 1"})
    assert refused.status_code == 422 and refused.json()["field"] == "code", refused.text
    assert [t.code for t in tenants.list_terminals(rt, shop.tenant_id)] == ["till-1", "till-2"]
    made = post(client, "/console/settings/tills", csrf, till_store=str(store.id),
                till_code="n-1", till_name="North 1")
    assert made.status_code == 200 and "will not be shown again" in made.text
    # Where the key goes: the terminal's address, beside the key.
    assert 'id="pair-hint"' in made.text and "/terminal</" not in made.text
    assert "http://testserver/terminal" in made.text and 'href="/terminal"' in made.text
    found = SECRET.search(made.text)
    assert found
    key = found.group(1)
    assert authenticate(rt, key).kind == "till"
    assert key not in client.get("/console/settings").text
    # Rotate: a new key works, the old one no longer does; revoke: none works.
    till = [t for t in tenants.list_terminals(rt, shop.tenant_id) if t.code == "n-1"][0]
    rotated = post(client, f"/console/settings/tills/{till.id}/rotate", csrf)
    found = SECRET.search(rotated.text)
    assert found
    new_key = found.group(1)
    assert new_key != key and authenticate(rt, new_key).terminal_id == till.id
    assert post(client, f"/console/settings/tills/{till.id}/revoke",
                csrf).status_code == 303
    assert "revoked" in client.get("/console/settings").text
    # Another tenant's till: 404; another's store for a new till: told beside the store field.
    other = make_shop(rt, "Other")
    assert post(client, f"/console/settings/tills/{other.terminal_ids[0]}/rotate",
                csrf).status_code == 404
    foreign = post(client, "/console/settings/tills", csrf, till_store=str(other.store_id),
                   till_code="x", till_name="x")
    assert foreign.status_code == 422 and 'id="e-till_store"' in foreign.text
    assert "no such store" in foreign.text
    api = client.post("/v1/admin/terminals", headers=shop.owner,
                      json={"store_id": other.store_id, "code": "x"})
    assert api.status_code == 422 and api.json()["field"] == "store_id", api.text


def test_staff_with_password_and_pin_and_errors_by_field(client: TestClient, rt: Runtime,
                                                         shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    form = {"staff_name": "Ivan", "staff_email": "", "staff_role": "cashier",
            "staff_store": str(shop.store_id), "staff_password": "", "staff_pin": "12"}
    short_pin = post(client, "/console/settings/staff", csrf, **form)
    assert short_pin.status_code == 422 and 'id="e-staff_pin"' in short_pin.text
    assert "4 to 6 digits" in short_pin.text
    bad_email = post(client, "/console/settings/staff", csrf,
                     **{**form, "staff_role": "marketer", "staff_email": "nope",
                        "staff_pin": ""})
    assert bad_email.status_code == 422 and 'id="e-staff_email"' in bad_email.text
    short_pw = post(client, "/console/settings/staff", csrf,
                    **{**form, "staff_role": "marketer", "staff_email": "m@example.com",
                       "staff_pin": "", "staff_password": "short"})
    assert short_pw.status_code == 422 and 'id="e-staff_password"' in short_pw.text
    foreign = post(client, "/console/settings/staff", csrf,
                   **{**form, "staff_store": str(make_shop(rt, "Other").store_id),
                      "staff_pin": ""})
    assert foreign.status_code == 422 and 'id="e-staff_store"' in foreign.text
    assert "no such store" in foreign.text
    assert [p.name for p in tenants.list_staff(rt, shop.tenant_id)] == ["Owner Person"]
    assert post(client, "/console/settings/staff", csrf,
                **{**form, "staff_pin": "4321"}).status_code == 303
    ivan = [p for p in settings.overview(rt, shop.tenant_id).staff if p.name == "Ivan"][0]
    assert ivan.has_pin and not ivan.has_password and ivan.store == "Main street"
    dup = post(client, "/console/settings/staff", csrf,
               **{**form, "staff_name": "Ann", "staff_role": "analyst",
                  "staff_email": "owner@example.com", "staff_pin": ""})
    assert dup.status_code == 422 and 'id="e-staff_email"' in dup.text
    # The person's page: PIN and password.
    page = client.get(f"/console/settings/staff/{ivan.id}")
    assert page.status_code == 200 and "Till PIN" in page.text
    assert "Console password" not in page.text
    bad = post(client, f"/console/settings/staff/{ivan.id}/pin", csrf, pin="12a4")
    assert bad.status_code == 422 and 'id="e-pin"' in bad.text
    assert post(client, f"/console/settings/staff/{ivan.id}/pin", csrf,
                pin="987654").status_code == 303


def test_deactivation_ends_the_sessions(client: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    marketer_id = add_staff(rt, shop.tenant_id, role="marketer", email="m@example.com")
    session = web_auth.staff_sign_in(rt, email="m@example.com", password="correct horse")
    assert web_auth.resolve(rt, session.token) is not None
    assert post(client, f"/console/settings/staff/{marketer_id}/deactivate",
                csrf).status_code == 303
    assert web_auth.resolve(rt, session.token) is None
    with rt.db.read() as conn:
        from sqlalchemy import text

        revoked = conn.execute(text("select count(*) from web_sessions where staff_id = :s "
                                    "and revoked_at is not null"), {"s": marketer_id})
        assert revoked.scalar_one() == 1
    page = client.get("/console/settings")
    assert "deactivated" in page.text
    # Nobody deactivates themselves.
    me = [p for p in settings.overview(rt, shop.tenant_id).staff
          if p.email == "owner@example.com"][0]
    assert post(client, f"/console/settings/staff/{me.id}/deactivate",
                csrf).status_code == 409
    assert client.get("/console/settings").status_code == 200


def test_owner_keys_are_shown_once_and_revoked(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    assert post(client, "/console/settings/keys", csrf, key_label="").status_code == 422
    unscoped = post(client, "/console/settings/keys", csrf, key_label="accounting")
    assert unscoped.status_code == 422 and "choose one or more" in unscoped.text
    made = post(client, "/console/settings/keys", csrf, key_label="accounting",
                scopes=["analytics", "events"])
    found = SECRET.search(made.text)
    assert found and authenticate(rt, found.group(1)).kind == "owner"
    assert authenticate(rt, found.group(1)).scopes == {"analytics", "events"}
    assert "read reports and data" in client.get("/console/settings").text
    key = [k for k in settings.overview(rt, shop.tenant_id).keys
           if k.label == "accounting"][0]
    assert post(client, f"/console/settings/keys/{key.id}/revoke", csrf).status_code == 303
    assert post(client, f"/console/settings/keys/{key.id}/revoke", csrf).status_code == 404


def test_only_owners_see_settings(client: TestClient, rt: Runtime, shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="marketer", email="m@example.com")
    sign_in(client, "m@example.com")
    assert client.get("/console/settings").status_code == 403
    csrf = csrf_of(client.get("/console/program").text)
    assert post(client, "/console/settings/stores", csrf, store_code="x",
                store_name="X").status_code == 403
    assert len(tenants.list_stores(rt, shop.tenant_id)) == 1


def test_the_header_names_the_person_and_the_role_once(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    staff = tenants.create_staff(rt, shop.tenant_id, name="Owner", email="ann@example.com",
                                 role="owner", store_id=None, actor=audit.SYSTEM)
    web_auth.set_password(rt, shop.tenant_id, int(staff.id), "correct horse")
    web_auth.set_staff_locale(rt, shop.tenant_id, int(staff.id), "ru")
    sign_in(client, "ann@example.com")
    page = client.get("/console/settings").text
    assert "Owner (" not in page and "· владелец</span>" in page
    staff_head = page.split('<th>Роль</th>')[0].rsplit("<thead>", 1)[1]
    assert "Имя" in staff_head and "Название" not in staff_head
