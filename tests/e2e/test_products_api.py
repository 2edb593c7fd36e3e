"""The product list over HTTP: add, change, deactivate, search and import, with every
refusal naming the field as the request spelled it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Shop

PR = "/v1/admin/products"
CAPPUCCINO = {"sku": "CAP-M", "name": "Cappuccino", "price_minor": 350, "category": "coffee",
              "favourite": True}


def test_a_product_is_added_changed_deactivated_and_found(client: TestClient,
                                                          shop: Shop) -> None:
    made = client.post(PR, headers=shop.owner, json=CAPPUCCINO)
    assert made.status_code == 201, made.text
    product = made.json()
    assert product == {**CAPPUCCINO, "id": product["id"], "active": True}
    changed = client.put(f"{PR}/{product['id']}", headers=shop.owner,
                         json={**CAPPUCCINO, "price_minor": 380, "favourite": False})
    assert changed.json()["price_minor"] == 380 and changed.json()["favourite"] is False
    off = client.post(f"{PR}/{product['id']}/deactivate", headers=shop.owner)
    assert off.json()["active"] is False
    found = client.get(PR, headers=shop.owner, params={"q": "cappu"}).json()
    assert found["total"] == 1 and found["items"][0]["active"] is False
    assert client.get(PR, headers=shop.owner, params={"q": "cap-"}).json()["total"] == 1
    assert client.get(PR, headers=shop.owner, params={"q": "tea"}).json()["total"] == 0
    back = client.post(f"{PR}/{product['id']}/activate", headers=shop.owner)
    assert back.json()["active"] is True


def test_a_second_product_with_the_same_sku_is_refused_on_sku(client: TestClient,
                                                               shop: Shop) -> None:
    assert client.post(PR, headers=shop.owner, json=CAPPUCCINO).status_code == 201
    again = client.post(PR, headers=shop.owner, json={**CAPPUCCINO, "name": "Other"})
    assert again.status_code == 409
    assert again.json()["field"] == "sku"


def test_a_negative_price_is_refused_on_price_minor(client: TestClient, shop: Shop) -> None:
    refused = client.post(PR, headers=shop.owner, json={**CAPPUCCINO, "price_minor": -5})
    assert refused.status_code == 422
    assert refused.json()["field"] == "price_minor"
    assert client.get(PR, headers=shop.owner).json()["total"] == 0


def test_an_import_writes_every_row_or_none(client: TestClient, shop: Shop) -> None:
    assert client.post(PR, headers=shop.owner, json=CAPPUCCINO).status_code == 201
    bad = client.post(f"{PR}/import", headers=shop.owner, json={
        "csv": "sku,name,price\nTEA,Tea,2.00\nBUN,Bun,-1\n"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "csv"
    assert bad.json()["detail"] == "line 3, price: must be 0 or more"
    assert client.get(PR, headers=shop.owner).json()["total"] == 1
    good = client.post(f"{PR}/import", headers=shop.owner, json={
        "csv": "sku,name,price,category,favourite\nTEA,Tea,2.00,tea,yes\n"
               "CAP-M,Cappuccino large,4.10,coffee,no\n"})
    assert good.status_code == 200, good.text
    assert good.json() == {"created": 1, "updated": 1}
    items = {p["sku"]: p for p in client.get(PR, headers=shop.owner).json()["items"]}
    assert items["CAP-M"]["price_minor"] == 410 and items["TEA"]["favourite"] is True


def test_another_businesss_product_is_not_found(client: TestClient, shop: Shop) -> None:
    made = client.post(PR, headers=shop.owner, json=CAPPUCCINO).json()
    assert client.get(f"{PR}/{made['id'] + 1}", headers=shop.owner).status_code == 404
