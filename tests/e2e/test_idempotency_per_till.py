"""An Idempotency-Key belongs to the till that sent it: two tills of one business that happen
to send the same key make two sales (and two refunds), never one till's answer replayed to the
other; the same till sending its key again is answered as before."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

COFFEE = [{"sku": "coffee", "category": "drinks", "quantity": 1, "unit_price_minor": 1000}]
CAKES = [{"sku": "cake", "category": "food", "quantity": 2, "unit_price_minor": 2550},
         {"sku": "cookie", "category": "food", "quantity": 1, "unit_price_minor": 525}]


def _commit(client: TestClient, shop: Shop, till: int, receipt: str,
            lines: list[dict[str, Any]], key: str = "sale-1") -> Any:
    client.post("/v1/pos/members", headers=shop.till(), json={"phone": "+7 800 775-01-11"})
    return client.post("/v1/pos/commit", headers={**shop.till(till), "Idempotency-Key": key},
                       json={"receipt_id": receipt, "member": {"phone": "+7 800 775-01-11"},
                             "lines": lines, "points_to_spend": 0})


def test_two_tills_with_one_key_record_two_sales(client: TestClient, shop: Shop) -> None:
    first = _commit(client, shop, 0, "A1-1", COFFEE)
    second = _commit(client, shop, 1, "A2-1", CAKES)
    assert first.status_code == second.status_code == 200, second.text
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["receipt"]["id"] != first.json()["receipt"]["id"]
    assert second.json()["gross_minor"] == 2 * 2550 + 525
    for answer, number in ((first, "A1-1"), (second, "A2-1")):
        stored = client.get(f"/v1/pos/receipts/{answer.json()['receipt']['id']}",
                            headers=shop.till())
        assert stored.json()["receipt_id"] == number
    check = client.get("/v1/admin/ledger/check", headers=shop.owner)
    assert check.json() == {"ok": True, "problems": []}


def test_the_same_till_gets_its_answer_again_or_a_refusal(client: TestClient,
                                                          shop: Shop) -> None:
    first = _commit(client, shop, 1, "A2-7", COFFEE)
    _commit(client, shop, 0, "A1-7", CAKES)  # the other till's sale with the same key
    again = _commit(client, shop, 1, "A2-7", COFFEE)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = _commit(client, shop, 1, "A2-8", CAKES)
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"


def test_two_tills_refunding_with_one_key_make_two_refunds(client: TestClient,
                                                           shop: Shop) -> None:
    sale = _commit(client, shop, 0, "A1-9", CAKES).json()
    receipt_id = sale["receipt"]["id"]
    answers = [client.post(f"/v1/pos/receipts/{receipt_id}/refund",
                           headers={**shop.till(till), "Idempotency-Key": "refund-1"},
                           json={"lines": [{"line_no": line_no, "quantity": 1}]})
               for till, line_no in ((0, 1), (1, 2))]
    assert [a.status_code for a in answers] == [200, 200], answers[1].text
    assert "Idempotent-Replayed" not in answers[1].headers
    receipt = client.get(f"/v1/pos/receipts/{receipt_id}", headers=shop.till()).json()
    assert receipt["status"] == "partially_refunded"
    assert len(receipt["refunds"]) == 2
    check = client.get("/v1/admin/ledger/check", headers=shop.owner)
    assert check.json() == {"ok": True, "problems": []}
