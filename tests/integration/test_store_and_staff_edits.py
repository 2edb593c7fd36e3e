"""Stores keep codes a till can carry and names of their own within a business, whatever the
case, also when two requests race; a store is renamed and a staff member's name and store
changed, each in the audit trail (SQLite, and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import text

from regulars.db.engine import make_engine
from regulars.db.imports import history
from regulars.db.migrate import upgrade
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.audit.audit import Filters
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.tenancy.results import NewStore
from tests.conftest import Shop, make_shop
from tests.integration.support import migrating, run_together

OWNER = audit.staff(7)


def test_a_code_with_a_space_is_refused_and_nothing_is_added(rt: Runtime, shop: Shop) -> None:
    with pytest.raises(InvalidInput) as refused:
        tenants.create_store(rt, shop.tenant_id, code="north mall", name="North",
                             actor=audit.SYSTEM)
    assert refused.value.field == "code"
    assert [s.code for s in tenants.list_stores(rt, shop.tenant_id)] == ["main"]


def test_a_second_store_of_one_name_in_any_case_is_refused_on_the_name(
        rt: Runtime, shop: Shop) -> None:
    for name in ("Main street", "MAIN STREET", " main  street "):
        with pytest.raises(Conflict) as refused:
            tenants.create_store(rt, shop.tenant_id, code="second", name=name,
                                 actor=audit.SYSTEM)
        assert refused.value.field == "name"
    tenants.create_store(rt, shop.tenant_id, code="centre", name="Центр", actor=audit.SYSTEM)
    with pytest.raises(Conflict) as cyrillic:
        tenants.create_store(rt, shop.tenant_id, code="centre2", name="ЦЕНТР",
                             actor=audit.SYSTEM)
    assert cyrillic.value.field == "name"
    with pytest.raises(Conflict) as code:
        tenants.create_store(rt, shop.tenant_id, code="main", name="Elsewhere",
                             actor=audit.SYSTEM)
    assert code.value.field == "code"
    assert len(tenants.list_stores(rt, shop.tenant_id)) == 2


def test_two_businesses_may_name_their_stores_alike(rt: Runtime, shop: Shop) -> None:
    other = make_shop(rt, "Other Café")
    assert [s.name for s in tenants.list_stores(rt, other.tenant_id)] == ["Main street"]
    tenants.create_store(rt, other.tenant_id, code="north", name="North", actor=audit.SYSTEM)
    tenants.create_store(rt, shop.tenant_id, code="north", name="north", actor=audit.SYSTEM)


def test_of_many_requests_adding_one_name_at_once_one_store_is_added(
        rt: Runtime, shop: Shop) -> None:
    def add(index: int) -> NewStore:
        return tenants.create_store(rt, shop.tenant_id, code=f"s{index}",
                                    name="Station" if index % 2 else "STATION",
                                    actor=audit.SYSTEM)

    results = run_together(6, add)
    assert sum(isinstance(r, NewStore) for r in results) == 1
    assert all(isinstance(r, NewStore) or (isinstance(r, Conflict) and r.field == "name")
               for r in results)
    assert sum(s.name.casefold() == "station"
               for s in tenants.list_stores(rt, shop.tenant_id)) == 1


def test_a_store_is_renamed_with_its_code_kept_and_the_trail_names_both_names(
        rt: Runtime, shop: Shop) -> None:
    north = tenants.create_store(rt, shop.tenant_id, code="north", name="North",
                                 actor=audit.SYSTEM)
    renamed = tenants.rename_store(rt, shop.tenant_id, north.id, name=" North mall ",
                                   actor=OWNER)
    assert (renamed.code, renamed.name) == ("north", "North mall")
    assert tenants.get_store(rt, shop.tenant_id, north.id).name == "North mall"
    # Its own name in another case is no clash with itself.
    tenants.rename_store(rt, shop.tenant_id, north.id, name="NORTH MALL", actor=OWNER)
    first, second = sorted((e for e in audit.entries(rt, shop.tenant_id, Filters())
                            if e.action == "store.update"), key=lambda e: e.seq)
    assert first.actor == "staff 7" and first.subject == f"store {north.id}"
    assert json.loads(first.detail) == {"before": "North", "after": "North mall"}
    assert json.loads(second.detail) == {"before": "North mall", "after": "NORTH MALL"}


def test_a_rename_onto_another_stores_name_or_of_another_business_store_is_refused(
        rt: Runtime, shop: Shop) -> None:
    north = tenants.create_store(rt, shop.tenant_id, code="north", name="North",
                                 actor=audit.SYSTEM)
    with pytest.raises(Conflict) as taken:
        tenants.rename_store(rt, shop.tenant_id, north.id, name="main STREET", actor=OWNER)
    assert taken.value.field == "name"
    with pytest.raises(InvalidInput):
        tenants.rename_store(rt, shop.tenant_id, north.id, name="  ", actor=OWNER)
    other = make_shop(rt, "Other Café")
    with pytest.raises(NotFound):
        tenants.rename_store(rt, other.tenant_id, north.id, name="Mine", actor=OWNER)
    assert tenants.get_store(rt, shop.tenant_id, north.id).name == "North"
    assert not [e for e in audit.entries(rt, shop.tenant_id, Filters())
                if e.action == "store.update"]


def test_a_staff_members_name_and_store_change_and_the_trail_says_which(
        rt: Runtime, shop: Shop) -> None:
    north = tenants.create_store(rt, shop.tenant_id, code="north", name="North",
                                 actor=audit.SYSTEM)
    anna = tenants.create_staff(rt, shop.tenant_id, name="Anna", email=None, role="cashier",
                                store_id=shop.store_id, actor=audit.SYSTEM)
    changed = tenants.update_staff(rt, shop.tenant_id, anna.id, name=" Anna Petrova ",
                                   store_id=north.id, actor=OWNER)
    assert (changed.name, changed.store_id, changed.role) == ("Anna Petrova", north.id,
                                                              "cashier")
    tenants.update_staff(rt, shop.tenant_id, anna.id, name="Anna Petrova", store_id=None,
                         actor=OWNER)
    assert tenants.get_staff(rt, shop.tenant_id, anna.id).store_id is None
    tenants.update_staff(rt, shop.tenant_id, anna.id, name="Anna Petrova", store_id=None,
                         actor=OWNER)  # nothing changes: nothing is recorded
    details = [json.loads(e.detail) for e in audit.entries(rt, shop.tenant_id, Filters())
               if e.action == "staff.update"]
    assert sorted(details, key=lambda d: len(d["changed"])) == [
        {"changed": ["store_id"], "store_before": north.id, "store_after": None},
        {"changed": ["name", "store_id"], "store_before": shop.store_id,
         "store_after": north.id}]
    assert not any("Anna" in str(d) for d in details)


def test_a_staff_member_is_not_moved_to_another_business_store_nor_left_nameless(
        rt: Runtime, shop: Shop) -> None:
    anna = tenants.create_staff(rt, shop.tenant_id, name="Anna", email=None, role="cashier",
                                store_id=shop.store_id, actor=audit.SYSTEM)
    other = make_shop(rt, "Other Café")
    # Another business's store is refused as a wrong value of the field, not as not found.
    with pytest.raises(InvalidInput) as foreign:
        tenants.update_staff(rt, shop.tenant_id, anna.id, name="Anna", store_id=other.store_id,
                             actor=OWNER)
    assert foreign.value.field == "store_id"
    with pytest.raises(InvalidInput) as added:  # and so is it on someone new
        tenants.create_staff(rt, shop.tenant_id, name="Boris", email=None, role="cashier",
                             store_id=other.store_id, actor=OWNER)
    assert added.value.field == "store_id"
    assert [p.name for p in tenants.list_staff(rt, shop.tenant_id)
            if p.role == "cashier"] == ["Anna"]
    with pytest.raises(NotFound):
        tenants.update_staff(rt, other.tenant_id, anna.id, name="Eve", store_id=None,
                             actor=OWNER)
    for name in ("  ", "A" * 201):
        with pytest.raises(InvalidInput) as refused:
            tenants.update_staff(rt, shop.tenant_id, anna.id, name=name, store_id=None,
                                 actor=OWNER)
        assert refused.value.field == "name"
    kept = tenants.get_staff(rt, shop.tenant_id, anna.id)
    assert (kept.name, kept.store_id) == ("Anna", shop.store_id)


def test_0062_renames_the_later_stores_of_one_name_and_builds_the_unique_index(
        database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with migrating(engine) as (config, conn):
            command.downgrade(config, "0059")
            conn.commit()
            conn.execute(text(
                "INSERT INTO tenants (name, currency, locale, timezone, phone_region, "
                "created_at) VALUES ('Old', 'EUR', 'en', 'UTC', 'GB', :at)"), {"at": "2026-01-01"})
            tenant = conn.execute(text("SELECT max(id) FROM tenants")).scalar_one()
            for code, name in (("a", "Centre"), ("b", "CENTRE"), ("c", "Station"),
                               ("d", "centre ")):
                conn.execute(text("INSERT INTO stores (tenant_id, code, name, created_at) "
                                  "VALUES (:t, :code, :name, :at)"),
                             {"t": tenant, "code": code, "name": name, "at": "2026-01-01"})
            conn.commit()
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT code, name, name_folded FROM stores "
                                     "WHERE tenant_id = :t ORDER BY id"), {"t": tenant}).all()
        assert [tuple(r) for r in rows] == [
            ("a", "Centre", "centre"), ("b", "CENTRE (b)", "centre (b)"),
            ("c", "Station", "station"), ("d", "centre (d)", "centre (d)")]
    finally:
        engine.dispose()


def test_the_store_an_import_makes_for_a_business_without_one_holds_its_name_too(
        rt: Runtime) -> None:
    created = tenants.create_tenant(rt, name="New Café", currency="EUR", locale="en",
                                    timezone="UTC", phone_region="GB")
    with rt.db.write() as conn:
        history.add_history_store(conn, created.tenant_id, now=rt.now())
    with pytest.raises(Conflict) as taken:
        tenants.create_store(rt, created.tenant_id, code="main", name="IMPORTED HISTORY",
                             actor=audit.SYSTEM)
    assert taken.value.field == "name"
