"""Stamp cards over HTTP: an owner defines a card, the till's quote shows "9 of 10" and the
free tenth coffee on its line, the commit answers the card's progress, a refund takes the
stamps back, and bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

CARD = {"name": "Coffee", "categories": ["coffee"], "per_card": 10, "reward": "free_item",
        "titles": {"en": "Coffee card", "ru": "Кофейная карта"}}
COFFEE = {"sku": "CAP-M", "category": "coffee", "quantity_milli": 1000,
          "unit_price_minor": 350}
PHONE = "+7 916 123-45-67"


def _commit(client: TestClient, shop: Shop, receipt: str, lines: list[dict[str, Any]]
            ) -> dict[str, Any]:
    done = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                       json={"receipt_id": receipt, "member": {"phone": PHONE},
                             "lines": lines})
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


def test_a_card_is_defined_filled_completed_and_refunded(client: TestClient,
                                                         shop: Shop) -> None:
    made = client.post("/v1/admin/stamp-cards", headers=shop.owner, json=CARD)
    assert made.status_code == 201, made.text
    card = made.json()
    assert card["grant_at"] == "completing" and card["expiry_days"] is None
    member = client.post("/v1/pos/members", headers=shop.till(), json={"phone": PHONE}).json()

    first = _commit(client, shop, "R-1", [{**COFFEE, "quantity_milli": 9000}])
    assert first["stamp_cards"] == [{"card_id": card["id"], "name": "Coffee", "stamps": 9,
                                     "per_card": 10, "added": 9, "completed": 0,
                                     "discount_minor": 0, "ready": 0}]
    quoted = client.post("/v1/pos/quote", headers=shop.till(),
                         json={"member": {"phone": PHONE}, "lines": [COFFEE]}).json()
    assert quoted["lines"][0]["paid_minor"] == 0
    reward = [e for e in quoted["explanations"] if e["code"] == "stamp_reward"]
    assert reward and reward[0]["params"]["discount_minor"] == 350
    done = _commit(client, shop, "R-2", [COFFEE])
    assert done["stamp_cards"][0]["completed"] == 1

    mine = client.get(f"/v1/admin/members/{member['id']}/stamp-cards", headers=shop.owner,
                      params={"language": "ru"}).json()
    assert mine == [{"card_id": card["id"], "title": "Кофейная карта", "stamps": 0,
                     "per_card": 10, "ready": 0, "reward": "free_item",
                     "discount_minor": 0}]
    refunded = client.post(f"/v1/pos/receipts/{first['receipt']['id']}/refund",
                           headers={**shop.till(), "Idempotency-Key": "ref-1"},
                           json={"lines": [{"line_no": 1, "quantity_milli": 2000}]})
    assert refunded.status_code == 200, refunded.text
    assert "stamps_taken_back" not in refunded.json()  # the card holds none: forgiven
    assert client.get("/v1/admin/ledger/check", headers=shop.owner).json()["ok"] is True


def test_a_card_is_changed_and_listed(client: TestClient, shop: Shop) -> None:
    card = client.post("/v1/admin/stamp-cards", headers=shop.owner, json=CARD).json()
    changed = client.put(f"/v1/admin/stamp-cards/{card['id']}", headers=shop.owner,
                         json={**CARD, "reward": "discount", "discount_minor": 200,
                               "grant_at": "next", "active": False})
    assert changed.status_code == 200, changed.text
    assert client.get("/v1/admin/stamp-cards", headers=shop.owner).json() == [changed.json()]
    assert client.get(f"/v1/admin/stamp-cards/{card['id']}",
                      headers=shop.owner).json()["active"] is False
    again = client.post("/v1/admin/stamp-cards", headers=shop.owner, json=CARD)
    assert again.status_code == 409 and again.json()["field"] == "name"


def test_bad_cards_are_refused_naming_the_field(client: TestClient, shop: Shop) -> None:
    for body, field in (({**CARD, "per_card": 1}, "per_card"),
                        ({**CARD, "categories": []}, "skus"),
                        ({**CARD, "reward": "discount"}, "discount_minor"),
                        ({**CARD, "reward": "a pony"}, "reward"),
                        ({**CARD, "titles": {"de": "Kaffee"}}, "titles.de")):
        refused = client.post("/v1/admin/stamp-cards", headers=shop.owner, json=body)
        assert refused.status_code == 422, body
        assert refused.json()["field"].startswith(field), refused.json()
    assert client.get("/v1/admin/stamp-cards", headers=shop.owner).json() == []
