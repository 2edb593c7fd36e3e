"""The console's product list over HTTP: every problem of a product beside its field with
what was typed kept, edits and deactivation, a CSV import refused by line or written whole,
and another business's product not found."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.catalog.products import ProductDraft
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in

PRODUCT = {"sku": "CAP-M", "name": "Cappuccino", "price": "3.50", "category": "coffee",
           "favourite": "1"}


def test_a_product_with_problems_shows_them_all_and_keeps_what_was_typed(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/products")
    assert page.status_code == 200 and "No products yet" in page.text
    wrong = client.post("/console/products", data={
        **form_of(page.text), "sku": "CAP M", "name": "", "price": "-5", "category": "coffee",
        "favourite": "1"})
    assert wrong.status_code == 422
    for name in ("sku", "name", "price"):
        assert f'id="e-{name}"' in wrong.text, name
    assert "must be 0 or more" in wrong.text
    assert 'value="-5"' in wrong.text and 'value="coffee"' in wrong.text
    assert 'id="f-favourite" checked' in wrong.text
    assert products.list_page(rt, shop.tenant_id).total == 0
    done = client.post("/console/products", data={**form_of(page.text), **PRODUCT},
                       follow_redirects=False)
    assert done.status_code == 303
    [made] = products.list_page(rt, shop.tenant_id).items
    assert (made.sku, made.price_minor, made.favourite) == ("CAP-M", 350, True)
    again = client.post("/console/products", data={**form_of(page.text), **PRODUCT})
    assert again.status_code == 422 and 'id="e-sku"' in again.text


def test_a_product_is_edited_and_deactivated(client: TestClient, rt: Runtime,
                                             shop: Shop) -> None:
    made = products.create(rt, shop.tenant_id, ProductDraft(sku="TEA", name="Tea",
                                                            price_minor=200), actor=audit.SYSTEM)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/products/{made.id}")
    assert page.status_code == 200 and 'value="2.00"' in page.text
    saved = client.post(f"/console/products/{made.id}", data={
        **form_of(page.text), "sku": "TEA", "name": "Green tea", "price": "2,20",
        "category": "tea"}, follow_redirects=False)
    assert saved.status_code == 303
    assert products.get(rt, shop.tenant_id, made.id).price_minor == 220
    off = client.post(f"/console/products/{made.id}/active",
                      data={**form_of(page.text), "active": "0"}, follow_redirects=False)
    assert off.status_code == 303
    assert products.get(rt, shop.tenant_id, made.id).active is False
    assert products.pick(rt, shop.tenant_id, "tea") == ()


def test_an_import_lists_every_problem_by_line_or_writes_every_product(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/products")
    bad = "sku,name,price\nTEA,Tea,2\nBUN,,x\n"
    refused = client.post("/console/products/import",
                          data={**form_of(page.text), "csv": bad})
    assert refused.status_code == 422 and 'id="import-problems"' in refused.text
    assert "enter the product&#39;s name" in refused.text
    assert "enter an amount like 12.50" in refused.text
    assert products.list_page(rt, shop.tenant_id).total == 0
    uploaded = client.post("/console/products/import", data=form_of(page.text), files={
        "file": ("list.csv", b"\xef\xbb\xbfsku;name;price;favourite\nTEA;Tea;2;yes\n"
                             b"BUN;Bun;1,20;no\n", "text/csv")}, follow_redirects=False)
    assert uploaded.status_code == 303, uploaded.text
    assert client.get(uploaded.headers["location"]).text.count("data-sku=") == 2
    assert [p.sku for p in products.pick(rt, shop.tenant_id, "")] == ["TEA"]


def test_another_businesss_product_is_not_found(client: TestClient, rt: Runtime,
                                                shop: Shop) -> None:
    made = products.create(rt, shop.tenant_id, ProductDraft(sku="TEA", name="Tea",
                                                            price_minor=200), actor=audit.SYSTEM)
    other = make_shop(rt, "Other Shop")
    signed_in(client, rt, other, "owner")
    csrf = form_of(client.get("/console/products").text)
    assert client.get(f"/console/products/{made.id}").status_code == 404
    assert client.post(f"/console/products/{made.id}", data={**csrf, **PRODUCT}
                       ).status_code == 404
    assert client.post(f"/console/products/{made.id}/active",
                       data={**csrf, "active": "0"}).status_code == 404
    assert products.get(rt, shop.tenant_id, made.id).active is True
    assert "Tea" not in client.get("/console/products").text
