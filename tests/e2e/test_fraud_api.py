"""``/v1/admin/analytics/fraud`` over HTTP: a till that says how it identified the member and
which cashier served, the scan, a flag's evidence, a manager's decision, the thresholds, and
bad input answered 422 naming the field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import FakeClock, Shop

BASKET = [{"sku": "cup", "name": "Cup", "quantity": 1, "unit_price_minor": 30000}]


def _commit(client: TestClient, shop: Shop, n: int, member: int, staff: int,
            identified_by: str = "scanned") -> None:
    response = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": f"k{n}"},
                           json={"receipt_id": f"R-{n}", "member": {"id": member},
                                 "lines": BASKET, "staff_id": staff,
                                 "identified_by": identified_by})
    assert response.status_code == 200, response.text


def test_a_scan_flags_a_rush_on_one_card_and_a_manager_confirms_it(
        client: TestClient, shop: Shop, clock: FakeClock) -> None:
    staff = [client.post("/v1/admin/staff", headers=shop.owner,
                         json={"name": f"C{i}", "role": "cashier"}).json()["id"]
             for i in range(3)]
    members = [client.post("/v1/admin/members", headers=shop.owner,
                           json={"phone": f"+7916{n:07d}"}).json()["id"] for n in range(1, 13)]
    n = 0
    for day in range(6):
        for i, member in enumerate(members):
            n += 1
            _commit(client, shop, n, member, staff[(i + day) % 3])
        clock.advance(days=1)
    friend = client.post("/v1/admin/members", headers=shop.owner,
                         json={"phone": "+79160000099"}).json()["id"]
    for _ in range(6):
        n += 1
        _commit(client, shop, n, friend, staff[1], "typed")
        clock.advance(minutes=5)

    scan = client.post("/v1/admin/analytics/fraud/scan", headers=shop.owner, json={"days": 30})
    assert scan.status_code == 200, scan.text
    assert scan.json()["flagged"] == 1, scan.json()
    page = client.get("/v1/admin/analytics/fraud/flags?status=open", headers=shop.owner).json()
    [flag] = page["items"]
    assert (flag["staff_id"], flag["member_id"], flag["status"]) == (staff[1], friend, "open")
    assert {s["code"] for s in flag["signals"]} >= {"burst", "typed"}

    decided = client.post(f"/v1/admin/analytics/fraud/flags/{flag['id']}/decision",
                          headers=shop.owner, json={"decision": "confirmed", "note": "CCTV"})
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["note"]) == ("confirmed", "CCTV")
    assert client.get("/v1/admin/analytics/fraud/flags?status=open",
                      headers=shop.owner).json()["total"] == 0


def test_bad_input_names_the_field(client: TestClient, shop: Shop) -> None:
    cases = [
        ("post", "/v1/admin/analytics/fraud/scan", {"days": 0}, "days"),
        ("put", "/v1/admin/analytics/fraud/settings", {"flag_score": 101}, "flag_score"),
        ("put", "/v1/admin/analytics/fraud/settings", {"burst_receipts": "x"}, "burst_receipts"),
        ("post", "/v1/admin/analytics/fraud/flags/1/decision", {"decision": "maybe"},
         "decision"),
        ("post", "/v1/pos/commit", {"receipt_id": "R", "lines": BASKET,
                                    "identified_by": "guessed"}, "identified_by"),
    ]
    for method, path, body, field in cases:
        headers = shop.till() if path.startswith("/v1/pos") else shop.owner
        response = getattr(client, method)(path, headers={**headers, "Idempotency-Key": "x"},
                                           json=body)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["field"] == field, (path, response.json())
    unknown = client.get("/v1/admin/analytics/fraud/flags?status=maybe", headers=shop.owner)
    assert (unknown.status_code, unknown.json()["field"]) == (422, "query.status")
    missing = client.get("/v1/admin/analytics/fraud/flags/99", headers=shop.owner)
    assert missing.status_code == 404


def test_thresholds_round_trip(client: TestClient, shop: Shop) -> None:
    url = "/v1/admin/analytics/fraud/settings"
    assert client.get(url, headers=shop.owner).json()["updated_at"] is None
    saved = client.put(url, headers=shop.owner, json={"flag_score": 65, "burst_receipts": 3})
    assert saved.status_code == 200, saved.text
    body = client.get(url, headers=shop.owner).json()
    assert (body["flag_score"], body["burst_receipts"], body["min_pair_receipts"]) == (65, 3, 4)
    assert body["updated_at"] is not None
