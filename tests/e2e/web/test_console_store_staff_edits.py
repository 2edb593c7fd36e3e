"""The settings pages: a store code with a space and a second store of one name are refused
beside their fields; a store is renamed (its code kept), and a staff member's name and store
changed, each recorded as the owner; another business's store or staff member answers 404,
and another business's store chosen for one's own staff member is refused beside the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.errors import InvalidInput
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import Shop, make_shop
from tests.e2e.web.test_console_settings import as_owner, post


def _owner_id(rt: Runtime, shop: Shop) -> int:
    return next(s.id for s in tenants.list_staff(rt, shop.tenant_id)
                if s.email == "owner@example.com")


def test_a_code_with_a_space_and_a_name_taken_are_refused_beside_their_fields(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    spaced = post(client, "/console/settings/stores", csrf, store_code="north mall",
                  store_name="North mall")
    assert spaced.status_code == 422 and 'id="e-store_code"' in spaced.text
    assert "without spaces" in spaced.text and 'value="north mall"' in spaced.text
    taken = post(client, "/console/settings/stores", csrf, store_code="again",
                 store_name="MAIN STREET")
    assert taken.status_code == 422 and 'id="e-store_name"' in taken.text
    assert "MAIN STREET" in taken.text and 'id="e-store_code"' not in taken.text
    assert [s.code for s in tenants.list_stores(rt, shop.tenant_id)] == ["main"]


def test_the_refusals_read_in_the_owners_language(client: TestClient, rt: Runtime,
                                                  shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    web_auth.set_staff_locale(rt, shop.tenant_id, _owner_id(rt, shop), "ru")
    spaced = post(client, "/console/settings/stores", csrf, store_code="a b", store_name="B")
    assert "без пробелов" in spaced.text
    taken = post(client, "/console/settings/stores", csrf, store_code="main", store_name="B")
    assert "магазин с кодом" in taken.text


def test_a_store_is_renamed_on_its_page_and_keeps_its_code(client: TestClient, rt: Runtime,
                                                          shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    north = tenants.create_store(rt, shop.tenant_id, code="north", name="North",
                                 actor=audit.SYSTEM)
    assert f'href="/console/settings/stores/{north.id}"' in client.get("/console/settings").text
    page = client.get(f"/console/settings/stores/{north.id}")
    assert page.status_code == 200 and 'value="North"' in page.text and "north" in page.text
    clash = post(client, f"/console/settings/stores/{north.id}", csrf, name="main street")
    assert clash.status_code == 422 and 'id="e-name"' in clash.text
    assert 'value="main street"' in clash.text
    empty = post(client, f"/console/settings/stores/{north.id}", csrf, name="  ")
    assert empty.status_code == 422 and 'id="e-name"' in empty.text
    saved = post(client, f"/console/settings/stores/{north.id}", csrf, name="North mall")
    assert saved.status_code == 303
    assert "The store was renamed." in client.get(saved.headers["location"]).text
    store = tenants.get_store(rt, shop.tenant_id, north.id)
    assert (store.code, store.name) == ("north", "North mall")
    who = [e.actor for e in audit.entries(rt, shop.tenant_id, Filters())
           if e.action == "store.update"]
    assert who == [f"staff {_owner_id(rt, shop)}"]


def test_a_staff_members_name_and_store_are_changed_on_their_page(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    north = tenants.create_store(rt, shop.tenant_id, code="north", name="North",
                                 actor=audit.SYSTEM)
    anna = tenants.create_staff(rt, shop.tenant_id, name="Anna", email=None, role="cashier",
                                store_id=shop.store_id, actor=audit.SYSTEM)
    page = client.get(f"/console/settings/staff/{anna.id}")
    assert 'id="details-form"' in page.text and 'value="Anna"' in page.text
    assert f'<option value="{shop.store_id}" selected>' in page.text
    empty = post(client, f"/console/settings/staff/{anna.id}/details", csrf, name="",
                 store=str(north.id))
    assert empty.status_code == 422 and 'id="e-name"' in empty.text
    assert f'<option value="{north.id}" selected>' in empty.text  # what was chosen stays
    saved = post(client, f"/console/settings/staff/{anna.id}/details", csrf,
                 name="Anna Petrova", store=str(north.id))
    assert saved.status_code == 303
    assert "The name and store were saved." in client.get(saved.headers["location"]).text
    person = tenants.get_staff(rt, shop.tenant_id, anna.id)
    assert (person.name, person.store_id, person.role) == ("Anna Petrova", north.id, "cashier")
    assert post(client, f"/console/settings/staff/{anna.id}/details", csrf,
                name="Anna Petrova", store="").status_code == 303
    assert tenants.get_staff(rt, shop.tenant_id, anna.id).store_id is None
    who = [e.actor for e in audit.entries(rt, shop.tenant_id, Filters())
           if e.action == "staff.update"]
    assert who == [f"staff {_owner_id(rt, shop)}"] * 2


def test_another_business_store_or_staff_member_is_refused_and_keeps_its_own(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    other = make_shop(rt, "Other Shop")
    theirs = tenants.create_staff(rt, other.tenant_id, name="Olga", email=None, role="cashier",
                                  store_id=other.store_id, actor=audit.SYSTEM)
    mine = tenants.create_staff(rt, shop.tenant_id, name="Anna", email=None, role="cashier",
                                store_id=shop.store_id, actor=audit.SYSTEM)
    assert client.get(f"/console/settings/stores/{other.store_id}").status_code == 404
    assert post(client, f"/console/settings/stores/{other.store_id}", csrf,
                name="Taken over").status_code == 404
    assert post(client, f"/console/settings/staff/{theirs.id}/details", csrf, name="Eve",
                store="").status_code == 404
    # Another business's store for one's own staff member: refused beside the store field.
    foreign = post(client, f"/console/settings/staff/{mine.id}/details", csrf, name="Anna",
                   store=str(other.store_id))
    assert foreign.status_code == 422 and 'id="e-store"' in foreign.text
    assert "no such store" in foreign.text
    assert tenants.get_store(rt, other.tenant_id, other.store_id).name == "Main street"
    olga = tenants.get_staff(rt, other.tenant_id, theirs.id)
    assert (olga.name, olga.store_id) == ("Olga", other.store_id)
    assert tenants.get_staff(rt, shop.tenant_id, mine.id).store_id == shop.store_id


def test_a_staff_member_and_a_store_are_named_by_one_rule_with_one_message(
        rt: Runtime, shop: Shop) -> None:
    anna = tenants.create_staff(rt, shop.tenant_id, name=" Anna ", email=None, role="cashier",
                                store_id=None, actor=audit.SYSTEM)
    assert anna.name == "Anna"
    for name in ("  ", "N" * 201):
        with pytest.raises(InvalidInput) as staff:
            tenants.update_staff(rt, shop.tenant_id, anna.id, name=name, store_id=None,
                                 actor=audit.SYSTEM)
        with pytest.raises(InvalidInput) as store:
            tenants.rename_store(rt, shop.tenant_id, shop.store_id, name=name,
                                 actor=audit.SYSTEM)
        with pytest.raises(InvalidInput) as added:
            tenants.create_staff(rt, shop.tenant_id, name=name, email=None, role="cashier",
                                 store_id=None, actor=audit.SYSTEM)
        assert staff.value.field == store.value.field == added.value.field == "name"
        assert staff.value.detail == store.value.detail == added.value.detail
