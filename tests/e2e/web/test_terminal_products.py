"""Picking items from the product list at the till over HTTP: quick keys, a search by name
or SKU, another business's products never shown, and a sale of picked items keeping their
SKUs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.catalog.products import ProductDraft
from regulars.services.checkout import checkout
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import authenticate
from tests.conftest import Shop, make_shop
from tests.e2e.web.test_terminal import add_cashier, pair, sale_form, sign_in


@pytest.fixture
def till(client: TestClient, rt: Runtime, shop: Shop) -> TestClient:
    client.cookies.set("rg_lang", "en")
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    return client


def _stock(rt: Runtime, shop: Shop) -> None:
    for sku, name, price, favourite in (("CAP-M", "Cappuccino", 350, True),
                                        ("TEA", "Green tea", 220, False),
                                        ("OLD", "Old cake", 100, True)):
        made = products.create(rt, shop.tenant_id, ProductDraft(
            sku=sku, name=name, price_minor=price, category="drinks", favourite=favourite),
            actor=audit.SYSTEM)
        if sku == "OLD":
            products.set_active(rt, shop.tenant_id, made.id, active=False, actor=audit.SYSTEM)


def test_quick_keys_and_search_offer_only_active_products(till: TestClient, rt: Runtime,
                                                          shop: Shop) -> None:
    _stock(rt, shop)
    other = make_shop(rt, "Other Shop")
    products.create(rt, other.tenant_id, ProductDraft(sku="CAP-X", name="Cappuccino elsewhere",
                                                      price_minor=1, favourite=True),
                                                      actor=audit.SYSTEM)
    keys = till.get("/terminal/products")
    assert keys.status_code == 200
    assert 'data-sku="CAP-M"' in keys.text and 'data-price="3.50"' in keys.text
    assert "Green tea" not in keys.text and "Old cake" not in keys.text
    assert "elsewhere" not in keys.text
    found = till.get("/terminal/products", params={"q": "TEA"})
    assert 'data-sku="TEA"' in found.text and "Cappuccino" not in found.text
    by_sku = till.get("/terminal/products", params={"q": "cap"})
    assert 'data-sku="CAP-M"' in by_sku.text and "CAP-X" not in by_sku.text
    assert "No product matches" in till.get("/terminal/products", params={"q": "old"}).text


def test_a_sale_of_picked_items_keeps_their_skus(till: TestClient, rt: Runtime,
                                                 shop: Shop) -> None:
    _stock(rt, shop)
    page = till.get("/terminal/sale")
    assert 'id="picker"' in page.text
    form = {**sale_form(page.text), "price": ["3.50", "2.20"], "sku": ["CAP-M", "TEA"],
            "name": ["Cappuccino", "Green tea"], "category": ["drinks", "drinks"],
            "qty": ["2", "1"]}
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    receipt_pk = int(done.headers["location"].split("/")[-1].split("?")[0])
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert [(line.sku, line.quantity_milli) for line in stored.lines] == [
        ("CAP-M", 2000), ("TEA", 1000)]
    assert stored.gross_minor == 920


def test_the_till_needs_a_signed_in_cashier_for_products(client: TestClient) -> None:
    assert client.get("/terminal/products", follow_redirects=False).status_code == 303
