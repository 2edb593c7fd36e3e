"""Prepaid goods accounts over HTTP: a fleet card opened in the console (its number shown
once), topped up once per key with the price locked, quoted and taken in part as a tender by
product code, refunded back once, blocked when lost; bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Shop

FUEL = {"sku": "A95", "name": "Petrol A-95", "price_minor": 5500}
# 40 litres of A-95 and a coffee.
BASKET = [{"sku": "A95", "quantity_milli": 40_000, "unit_price_minor": 5500},
          {"sku": "coffee", "quantity": 1, "unit_price_minor": 300}]
GA = "/v1/admin/goods-accounts"


def _post(client: TestClient, path: str, headers: dict[str, str], body: Any,
          key: str | None = None) -> Any:
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(path, headers=headers, json=body)


def _fleet_card(client: TestClient, shop: Shop) -> dict[str, Any]:
    product = _post(client, "/v1/admin/products", shop.owner, FUEL).json()
    opened = _post(client, GA, shop.owner, {"product_id": product["id"], "unit": "l"},
                   key="open-fleet")
    assert opened.status_code == 201, opened.text
    body: dict[str, Any] = opened.json()
    return body


def test_a_fleet_card_is_topped_up_quoted_spent_in_part_and_refunded(
        client: TestClient, shop: Shop) -> None:
    opened = _fleet_card(client, shop)
    card, account = opened["card_number"], opened["account"]
    assert account["card_ending"] == card[-4:] and account["member_id"] is None
    top = {"quantity_milli": 25_000, "paid_minor": 137_500, "lock_price": True}
    first = _post(client, f"{GA}/{account['id']}/top-ups", shop.owner, top, key="t-1")
    assert first.status_code == 200, first.text
    again = _post(client, f"{GA}/{account['id']}/top-ups", shop.owner, top, key="t-1")
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert (first.json()["unit_price_minor"], first.json()["balance_milli"]) == (5500, 25_000)

    quoted = _post(client, "/v1/pos/quote", shop.till(), {
        "lines": BASKET, "tenders": [{"kind": "goods", "code": card}]}).json()
    assert quoted["tenders"] == [{"tender_no": 0, "kind": "goods", "could_pay_minor": 137_500,
                                  "code_ending": card[-4:], "balance_milli": 25_000,
                                  "could_take_milli": 25_000, "unit": "l"}]
    paid = _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "R-1", "lines": BASKET,
        "tenders": [{"kind": "goods", "code": card, "quantity_milli": 25_000}]}, key="c-1")
    assert paid.status_code == 200, paid.text
    assert paid.json()["tenders"][0]["balance_milli"] == 0

    refunded = _post(client, f"/v1/pos/receipts/{paid.json()['receipt']['id']}/refund",
                     shop.till(), {}, key="r-1").json()
    assert refunded["tenders"] == [{"tender_no": 0, "kind": "goods", "amount_minor": 137_500,
                                    "quantity_milli": 25_000, "balance_milli": 25_000}]
    history = client.get(f"{GA}/{account['id']}", headers=shop.owner).json()
    assert [(ln["code"], ln["quantity_milli"]) for ln in history["lines"]] == [
        ("refund_tender", 25_000), ("tender", -25_000), ("top_up", 25_000)]
    liability = client.get(f"{GA}/liability", headers=shop.owner).json()
    assert [(r["sku"], r["balance_milli"], r["value_minor"]) for r in liability] == [
        ("A95", 25_000, 137_500)]
    check = client.get("/v1/admin/ledger/check", headers=shop.owner).json()
    assert check == {"ok": True, "problems": []}


def test_a_lost_card_is_blocked_and_found_by_its_number(client: TestClient,
                                                        shop: Shop) -> None:
    opened = _fleet_card(client, shop)
    card, account_id = opened["card_number"], opened["account"]["id"]
    _post(client, f"{GA}/{account_id}/top-ups", shop.owner,
          {"quantity_milli": 5_000, "paid_minor": 27_500}, key="t-1")
    found = _post(client, "/v1/admin/goods-card-lookup", shop.owner, {"code": card.lower()})
    assert found.json()["id"] == account_id
    blocked = _post(client, f"{GA}/{account_id}/block", shop.owner, None).json()
    assert blocked["status"] == "blocked"
    refused = _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "R-1", "lines": BASKET,
        "tenders": [{"kind": "goods", "code": card, "quantity_milli": 1_000}]}, key="c-1")
    assert refused.status_code == 422 and refused.json()["field"] == "tenders.0.code"
    top_up = _post(client, f"/v1/pos/goods-accounts/{account_id}/top-ups", shop.till(),
                   {"quantity_milli": 1_000, "paid_minor": 5_500}, key="t-2")
    assert top_up.status_code == 422 and top_up.json()["field"] == "account"
    listed = client.get(GA, headers=shop.owner).json()
    assert [(a["id"], a["status"]) for a in listed] == [(account_id, "blocked")]
    assert "card_hash" not in str(listed) and card not in str(listed)
    trail = client.get("/v1/admin/audit", headers=shop.owner, params={"action": "goods"})
    assert [e["action"] for e in trail.json()] == [
        "goods.block", "goods.top_up", "goods.open"]


def test_an_opening_sent_twice_with_its_key_opens_one_account(
        client: TestClient, shop: Shop) -> None:
    product = _post(client, "/v1/admin/products", shop.owner, FUEL).json()
    body = {"product_id": product["id"], "unit": "l"}
    first = _post(client, GA, shop.owner, body, key="open-1")
    again = _post(client, GA, shop.owner, body, key="open-1")
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    # The same account; the card's number only in the first answer (only its digest is kept).
    assert again.json() == {**first.json(), "card_number": None}
    assert first.json()["card_number"]
    assert len(client.get(GA, headers=shop.owner).json()) == 1
    other = _post(client, GA, shop.owner, {**body, "unit": None}, key="open-1")
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
    unkeyed = _post(client, GA, shop.owner, body)
    assert unkeyed.status_code == 422 and unkeyed.json()["field"] == "Idempotency-Key"
    assert len(client.get(GA, headers=shop.owner).json()) == 1


def test_bad_input_names_the_field(client: TestClient, shop: Shop) -> None:
    opened = _fleet_card(client, shop)
    product_id = opened["account"]["product_id"]
    other_unit = _post(client, GA, shop.owner, {"product_id": product_id, "unit": "gal"},
                       key="o-gal")
    assert other_unit.status_code == 422 and other_unit.json()["field"] == "unit"
    unknown = _post(client, GA, shop.owner, {"product_id": 999_999, "unit": "l"},
                    key="o-unknown")
    assert unknown.status_code == 404
    typo = _post(client, "/v1/pos/commit", shop.till(), {
        "receipt_id": "R-1", "lines": BASKET,
        "tenders": [{"kind": "goods", "code": "0000-0000-0000-0000",
                     "quantity_milli": 1_000}]}, key="c-1")
    assert typo.status_code == 422 and typo.json()["field"] == "tenders.0.code"
    both = _post(client, "/v1/pos/quote", shop.till(), {
        "lines": BASKET, "tenders": [{"kind": "goods", "quantity_milli": 1_000}]})
    assert both.status_code == 422
    zero = _post(client, f"{GA}/{opened['account']['id']}/top-ups", shop.owner,
                 {"quantity_milli": 0, "paid_minor": 0}, key="t-0")
    assert zero.status_code == 422 and zero.json()["field"] == "quantity_milli"


def test_a_top_up_with_a_validity_and_the_breakage_in_the_report(
        client: TestClient, shop: Shop) -> None:
    opened = _fleet_card(client, shop)
    path = f"{GA}/{opened['account']['id']}/top-ups"
    too_long = _post(client, path, shop.owner,
                     {"quantity_milli": 1_000, "paid_minor": 0, "valid_days": 0}, key="v-0")
    assert too_long.status_code == 422 and too_long.json()["field"] == "valid_days"
    kept = _post(client, path, shop.owner,
                 {"quantity_milli": 10_000, "paid_minor": 55_000, "valid_days": 90}, key="v-1")
    assert kept.status_code == 200, kept.text
    [row] = client.get(f"{GA}/liability", headers=shop.owner).json()
    assert (row["balance_milli"], row["expired_milli"], row["expired_minor"]) == (10_000, 0, 0)


def test_the_quote_offers_the_members_goods_account_unasked(
        client: TestClient, shop: Shop) -> None:
    member = _post(client, "/v1/pos/members", shop.till(), {"phone": "+79161234567"}).json()
    product = _post(client, "/v1/admin/products", shop.owner, FUEL).json()
    opened = _post(client, GA, shop.owner, {"product_id": product["id"], "unit": "l",
                                            "member": {"id": member["id"]}},
                   key="o-member").json()
    account_id = opened["account"]["id"]
    _post(client, f"{GA}/{account_id}/top-ups", shop.owner,
          {"quantity_milli": 10_000, "paid_minor": 55_000}, key="t-1")
    quoted = _post(client, "/v1/pos/quote", shop.till(), {
        "member": {"id": member["id"]}, "lines": BASKET})
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["goods_accounts"] == [{
        "account_id": account_id, "sku": "A95", "unit": "l", "balance_milli": 10_000,
        "could_take_milli": 10_000, "could_pay_minor": 55_000}]
