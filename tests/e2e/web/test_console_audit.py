"""The console's audit page: staff changes listed with who (by name), what (in the reader's
language) and when, filtered, and exported as CSV (the export recorded too); owners only. A
change made in the console is recorded as the signed-in staff member's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

import regulars.web.console
from regulars.db.tenancy.tables import staff
from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import IssueOrder, SeriesTerms
from regulars.services.tenancy import tenants
from tests.conftest import Shop
from tests.e2e.web.support import add_staff, sign_in
from tests.e2e.web.test_console_marketing import PROMOTION
from tests.e2e.web.test_console_scenarios import save
from tests.e2e.web.test_console_settings import as_owner, post
from tests.e2e.web.test_terminal import add_cashier

CONSOLE = Path(regulars.web.console.__file__).parent


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


def _gift_card(rt: Runtime, tenant_id: int) -> int:
    series = certificates.create_series(rt, tenant_id, SeriesTerms(
        name="Gift card", nominal_values_minor=(5000,), valid_days=365), actor=audit.SYSTEM)
    return certificates.issue(rt, tenant_id, IssueOrder(series_id=series.id, count=1,
                                                        amount_minor=5000),
                              actor=audit.SYSTEM).certificate_ids[0]


def test_console_changes_are_recorded_as_the_signed_in_staff(client: TestClient, rt: Runtime,
                                                             shop: Shop) -> None:
    certificate_id = _gift_card(rt, shop.tenant_id)
    csrf = as_owner(client, rt, shop)
    assert save(client, csrf).status_code == 303
    made = post(client, "/console/promotions/new", csrf, **PROMOTION)
    assert made.status_code == 303
    assert post(client, made.headers["location"] + "/pause", csrf).status_code == 303
    assert post(client, "/console/messages/welcome/en", csrf, action="save", subject="Hi",
                body="Hi {first_name}!").status_code in (200, 303)
    assert post(client, f"/console/certificates/{certificate_id}/block", csrf,
                blocked="yes").status_code == 303
    who = {e.action: e.actor for e in audit.entries(rt, shop.tenant_id, Filters())}
    owner_id = next(s.id for s in tenants.list_staff(rt, shop.tenant_id)
                    if s.email == "owner@example.com")
    for action in ("scenario.create", "promotion.create", "promotion.pause", "template.save",
                   "certificate.block"):
        assert who[action] == f"staff {owner_id}", action
    assert who["certificate_series.open"] == "system"


def test_the_page_names_staff_and_actions_in_the_readers_language(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    owner_id = add_staff(rt, shop.tenant_id, role="owner", email="boss@example.com",
                         language="ru")
    sign_in(client, "boss@example.com")
    client.post("/v1/admin/promotions", headers=shop.owner, json={
        "name": "Bonus", "effects": [{"kind": "bonus_points", "points": 5}]})
    with rt.db.write() as conn:
        audit.record(conn, shop.tenant_id, audit.staff(owner_id), "robot.dance", "nothing",
                     at=rt.now())
    page = client.get("/console/audit")
    assert page.status_code == 200
    text = page.text
    assert "Owner Person" in text and f'title="staff {owner_id}"' in text
    assert "создание акции" in text and ">promotion.create<" not in text
    assert "ключ «" in text and "robot.dance" in text
    mine = client.get("/console/audit", params={"who": f"staff {owner_id}"}).text
    assert "robot.dance" in mine and "создание акции" not in mine


COUPONS = {"name": "Welcome back", "effect": "fixed_discount", "amount": "5", "rate": "",
           "points": "", "factor": "", "every_n": "", "categories": "", "skus": "",
           "max_uses": "1", "starts_on": "", "ends_on": ""}


def test_stores_tills_coupons_and_products_are_recorded(client: TestClient, rt: Runtime,
                                                         shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    assert post(client, "/console/settings/stores", csrf, store_code="north",
                store_name="North").status_code in (200, 303)
    store_id = next(s.id for s in tenants.list_stores(rt, shop.tenant_id) if s.code == "north")
    assert post(client, "/console/settings/tills", csrf, till_store=str(store_id),
                till_code="n-1", till_name="North 1").status_code == 200
    till_id = next(t.id for t in tenants.list_terminals(rt, shop.tenant_id) if t.code == "n-1")
    assert post(client, f"/console/settings/tills/{till_id}/rotate", csrf).status_code == 200
    assert post(client, f"/console/settings/tills/{till_id}/revoke", csrf).status_code == 303
    made = post(client, "/console/coupons/new", csrf, **COUPONS)
    assert made.status_code == 303
    assert post(client, made.headers["location"] + "/codes", csrf, count="2",
                format="page").status_code == 200
    assert post(client, "/console/products", csrf, sku="TEA", name="Tea", price="2",
                category="", favourite="").status_code == 303
    assert post(client, "/console/products/import", csrf,
                csv="sku,name,price\nBUN,Bun,1\n").status_code == 303
    who = {e.action: e.actor for e in reversed(audit.entries(rt, shop.tenant_id, Filters()))}
    owner_id = next(s.id for s in tenants.list_staff(rt, shop.tenant_id)
                    if s.email == "owner@example.com")
    for action in ("store.create", "till.create", "till.key", "till.revoke",
                   "coupon_series.create", "coupon_codes.generate", "product.create",
                   "import.products"):
        assert who.get(action) == f"staff {owner_id}", action


def test_api_changes_of_stores_tills_and_coupons_are_recorded_as_the_key(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    store = client.post("/v1/admin/stores", headers=shop.owner,
                        json={"code": "north", "name": "North"})
    assert store.status_code in (200, 201), store.text
    till = client.post("/v1/admin/terminals", headers=shop.owner,
                       json={"store_id": store.json()["id"], "code": "n-1", "name": "N"})
    assert till.status_code in (200, 201), till.text
    who = {e.action: e.actor for e in reversed(audit.entries(rt, shop.tenant_id, Filters()))}
    assert who["store.create"].startswith("key ") and who["till.create"].startswith("key ")


def _cells(page: str) -> list[list[str]]:
    """Each row of the trail's table as the texts of its cells, tags removed."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split())
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_details_show_as_words_with_money_and_points_formatted(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    as_owner(client, rt, shop)
    with rt.db.write() as conn:
        audit.record(conn, shop.tenant_id, audit.SYSTEM, "robot.dance", "nothing",
                     at=rt.now(), name="Main street", paid_minor=12345, points=5,
                     active=True, odd_thing="x", was={"points": 1})
    page = client.get("/console/audit").text
    details = _cells(page)[0][5]
    assert "{" not in details and '"' not in details
    assert "name: Main street" in details
    assert "amount: RUB123.45" in details and "12345" not in details  # money, not kopecks
    assert "points: 5 points" in details and "active: yes" in details
    assert "odd thing: x" in details and "was: points: 1 point" in details


def test_a_staff_members_stores_show_by_name_and_a_store_named_owner_as_itself(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="boss@example.com", language="ru")
    sign_in(client, "boss@example.com")
    anna = tenants.create_staff(rt, shop.tenant_id, name="Anna", email=None, role="cashier",
                                store_id=None, actor=audit.SYSTEM)
    tenants.update_staff(rt, shop.tenant_id, anna.id, name="Anna", store_id=shop.store_id,
                         actor=audit.SYSTEM)
    tenants.rename_store(rt, shop.tenant_id, shop.store_id, name="owner", actor=audit.SYSTEM)
    rows = _cells(client.get("/console/audit").text)
    renamed, moved = rows[0][5], rows[1][5]
    assert renamed == "стало: owner было: Main street"  # a name, not the owner's role
    # The stores by their names as they are now, the fields in words.
    assert moved == "изменено: магазин магазин после: owner магазин до: все магазины"


def test_the_system_is_named_once(client: TestClient, rt: Runtime, shop: Shop) -> None:
    as_owner(client, rt, shop)
    whos = [cells[2] for cells in _cells(client.get("/console/audit").text)]
    assert "the system" in whos  # the shop's store and tills were added by the system
    assert not any("system system" in who for who in whos)


def test_the_object_column_speaks_the_readers_language(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="boss@example.com", language="ru")
    sign_in(client, "boss@example.com")
    on = {cells[4] for cells in _cells(client.get("/console/audit").text)}
    assert f"магазин {shop.store_id}" in on and f"касса {shop.terminal_ids[0]}" in on
    assert not any(o.startswith(("store ", "till ")) for o in on)


def test_setting_a_password_or_pin_is_recorded_without_the_secret(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    marketer = add_staff(rt, shop.tenant_id, role="marketer", email="m@example.com")
    cashier = add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id)
    assert post(client, f"/console/settings/staff/{marketer}/password", csrf,
                password="a brand new secret").status_code == 303
    assert post(client, f"/console/settings/staff/{cashier}/pin", csrf,
                pin="86420").status_code == 303
    owner_id = next(s.id for s in tenants.list_staff(rt, shop.tenant_id)
                    if s.email == "owner@example.com")
    found = {e.action: e for e in audit.entries(rt, shop.tenant_id, Filters(actor="staff"))}
    with rt.db.read() as conn:
        hashes = {row.id: row for row in conn.execute(
            select(staff.c.id, staff.c.password_hash, staff.c.pin_hash)
            .where(staff.c.id.in_((marketer, cashier))))}
    password, pin = found["staff.password"], found["staff.pin"]
    assert (password.actor, password.subject) == (f"staff {owner_id}", f"staff {marketer}")
    assert (pin.actor, pin.subject) == (f"staff {owner_id}", f"staff {cashier}")
    for entry, secret, digest in ((password, "a brand new secret",
                                   hashes[marketer].password_hash),
                                  (pin, "86420", hashes[cashier].pin_hash)):
        assert digest and digest not in entry.detail and secret not in entry.detail
    assert "set a staff member&#39;s PIN" in client.get("/console/audit").text


def test_every_console_page_names_its_actor_through_the_shared_helper() -> None:
    """Console modules take the signed-in staff member from ``pagekit.staff_actor``, so each
    records its changes the same way."""
    inline = []
    for path in sorted(CONSOLE.glob("*.py")):
        if path.name == "pagekit.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "staff" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):
                inline.append(f"{path.name}:{node.lineno}")
    assert inline == []
