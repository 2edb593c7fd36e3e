"""Gift certificates over HTTP: an owner creates a series and issues a corporate order, a
till checks a balance and takes a certificate as a tender at commit, the owner blocks it, and
the report shows what was used and what is owed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from tests.conftest import Shop

BASKET = [{"sku": "cake", "quantity": 1, "unit_price_minor": 4000}]


def _issue(client: TestClient, shop: Shop, **series: Any) -> str:
    created = client.post("/v1/admin/certificate-series", headers=shop.owner, json={
        "name": "Gift card", "nominal_values_minor": [5000], "valid_days": 365, **series})
    assert created.status_code == 201, created.text
    issued = client.post(f"/v1/admin/certificate-series/{created.json()['id']}/certificates",
                         headers={**shop.owner, "Idempotency-Key": f"po-{created.json()['id']}"},
                         json={"count": 2, "amount_minor": 5000,
                                                   "order_ref": "PO-1"})
    assert issued.status_code == 201, issued.text
    assert len(issued.json()["codes"]) == 2
    return str(issued.json()["codes"][0])


def _commit(client: TestClient, shop: Shop, receipt: str, tenders: list[dict[str, Any]]
            ) -> Any:
    return client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": receipt},
                       json={"receipt_id": receipt, "lines": BASKET, "tenders": tenders})


def test_a_certificate_issued_in_bulk_pays_at_the_till(client: TestClient, shop: Shop) -> None:
    code = _issue(client, shop)
    checked = client.post("/v1/pos/certificates/lookup", headers=shop.till(),
                          json={"code": code.lower().replace("-", " ")})
    assert checked.json()["balance_minor"] == 5000
    assert "code" not in checked.json() and checked.json()["code_ending"] == code[-4:]
    quoted = client.post("/v1/pos/quote", headers=shop.till(), json={
        "lines": BASKET, "tenders": [{"kind": "certificate", "code": code}]})
    assert quoted.json()["tenders"][0]["could_pay_minor"] == 4000
    paid = _commit(client, shop, "R-1", [{"kind": "certificate", "code": code,
                                          "amount": 2500}])
    assert paid.status_code == 200, paid.text
    assert paid.json()["tenders"][0]["balance_minor"] == 2500
    report = client.get("/v1/admin/stored-value/report", headers=shop.owner).json()
    assert report["asset"] == "money:RUB"
    assert report["series"][0]["used_minor"] == 2500
    assert report["certificates_liability_minor"] == 7500
    check = client.get("/v1/admin/ledger/check", headers=shop.owner).json()
    assert check == {"ok": True, "problems": []}


def test_bad_tenders_are_a_422_naming_the_field(client: TestClient, shop: Shop) -> None:
    code = _issue(client, shop)
    certificate = client.post("/v1/admin/certificate-lookup", headers=shop.owner,
                              json={"code": code}).json()
    blocked = client.post(f"/v1/admin/certificates/{certificate['id']}/block",
                          headers=shop.owner)
    assert blocked.json()["status"] == "blocked"
    for tenders, field in [
        ([{"kind": "certificate", "code": code, "amount": 100}], "tenders.0.code"),
        ([{"kind": "certificate", "code": "AAAA-AAAA-AAAA-AAAA", "amount": 1}],
         "tenders.0.code"),
        ([{"kind": "certificate", "amount": 1}], "tenders.0"),
        ([{"kind": "wallet", "amount": 1}], "tenders.0.kind"),
    ]:
        refused = _commit(client, shop, f"R-{field}-{len(tenders)}", tenders)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"].startswith(field), refused.json()
    client.post(f"/v1/admin/certificates/{certificate['id']}/unblock", headers=shop.owner)
    over = _commit(client, shop, "R-over", [{"kind": "certificate", "code": code,
                                             "amount": 4001}])
    assert over.status_code == 422 and over.json()["field"] == "tenders"


def test_series_terms_are_checked_naming_the_field(client: TestClient, shop: Shop) -> None:
    for body, field in [
        ({"name": "Open", "valid_days": 30}, "nominal_values_minor"),
        ({"name": "Open", "valid_days": 30, "min_minor": 500, "max_minor": 100}, "min_minor"),
        ({"name": "Far", "valid_days": 30, "nominal_values_minor": [100],
          "store_ids": [987654]}, "store_ids.0"),
    ]:
        refused = client.post("/v1/admin/certificate-series", headers=shop.owner, json=body)
        assert refused.status_code in (404, 422), refused.text
        assert refused.json()["field"] == field


def test_a_series_for_other_stores_is_neither_sold_nor_taken_here(
        client: TestClient, shop: Shop, rt: Runtime) -> None:
    """A series that lists only another store: the till of this one cannot take its
    certificate (the quote says why, with a code) nor sell its card (nothing written)."""
    other = tenants.create_store(rt, shop.tenant_id, code="far", name="Far street",
                                 actor=audit.SYSTEM)
    code = _issue(client, shop, store_ids=[other.id])
    quoted = client.post("/v1/pos/quote", headers=shop.till(), json={
        "lines": BASKET, "tenders": [{"kind": "certificate", "code": code}]})
    option = quoted.json()["tenders"][0]
    assert option["could_pay_minor"] == 0
    assert option["refusal_code"] == "certificate_not_accepted", option
    taken = _commit(client, shop, "R-far", [{"kind": "certificate", "code": code,
                                             "amount": 1000}])
    assert taken.status_code == 422, taken.text
    assert taken.json()["error"] == "certificate_not_accepted"
    assert taken.json()["field"] == "tenders.0.code"
    series_id = client.get("/v1/admin/certificate-series", headers=shop.owner).json()[0]["id"]
    card = client.post(f"/v1/admin/certificate-series/{series_id}/certificates",
                       headers={**shop.owner, "Idempotency-Key": "for-sale"},
                       json={"count": 1, "amount_minor": 5000,
                             "for_sale": True}).json()["codes"][0]
    sold = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "S-far"},
                       json={"receipt_id": "S-far", "lines": BASKET,
                             "certificates_sold": [{"code": card, "amount": 5000}]})
    assert sold.status_code == 422, sold.text
    assert sold.json()["error"] == "certificate_not_accepted"
    assert sold.json()["field"] == "certificates_sold.0.code"
    looked = client.post("/v1/admin/certificate-lookup", headers=shop.owner,
                         json={"code": card}).json()
    assert looked["status"] == "pending" and looked["balance_minor"] == 0
    here = _issue(client, shop, store_ids=[shop.store_id, other.id])
    paid = _commit(client, shop, "R-here", [{"kind": "certificate", "code": here,
                                              "amount": 1000}])
    assert paid.status_code == 200, paid.text


def test_a_bulk_issue_replayed_with_its_key_issues_nothing_new(client: TestClient,
                                                               shop: Shop) -> None:
    series = client.post("/v1/admin/certificate-series", headers=shop.owner, json={
        "name": "Gift card", "nominal_values_minor": [5000], "valid_days": 365}).json()
    path = f"/v1/admin/certificate-series/{series['id']}/certificates"
    order = {"count": 2, "amount_minor": 5000, "order_ref": "PO-7"}
    keyed = {**shop.owner, "Idempotency-Key": "po-7"}
    first = client.post(path, headers=keyed, json=order)
    assert first.status_code == 201, first.text
    again = client.post(path, headers=keyed, json=order)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["certificate_ids"] == first.json()["certificate_ids"]
    # The codes are shown once: a replay answers the same certificates without them.
    assert (again.json()["codes"], again.json()["links"]) == ([], [])
    listed = client.get("/v1/admin/certificates", headers=shop.owner,
                        params={"series_id": series["id"]}).json()
    assert len(listed) == 2
    other = client.post(path, headers=keyed, json={**order, "count": 3})
    assert other.status_code == 409, other.text
    assert other.json()["error"] == "idempotency_key_reused"
    missing = client.post(path, headers=shop.owner, json=order)
    assert missing.status_code == 422, missing.text
    assert missing.json()["field"] == "Idempotency-Key"


def test_cards_issued_for_sale_answer_no_expiry_as_each_runs_from_its_sale(
        client: TestClient, shop: Shop) -> None:
    series = client.post("/v1/admin/certificate-series", headers=shop.owner, json={
        "name": "Gift card", "nominal_values_minor": [5000], "valid_days": 365}).json()
    path = f"/v1/admin/certificate-series/{series['id']}/certificates"
    keyed = {**shop.owner, "Idempotency-Key": "po-sale"}
    order = {"count": 1, "amount_minor": 5000, "for_sale": True}
    first = client.post(path, headers=keyed, json=order)
    assert first.status_code == 201, first.text
    assert first.json()["expires_at"] is None
    again = client.post(path, headers=keyed, json=order)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["expires_at"] is None
    held = client.post(path, headers={**shop.owner, "Idempotency-Key": "po-held"},
                       json={"count": 1, "amount_minor": 5000}).json()
    assert held["expires_at"] is not None
    field = client.get("/openapi.json").json()["components"]["schemas"][
        "IssuedCertificatesOut"]["properties"]["expires_at"]
    assert "null for cards issued for sale" in field["description"]


def test_every_read_of_a_card_waiting_for_its_sale_answers_no_expiry(
        client: TestClient, shop: Shop) -> None:
    series = client.post("/v1/admin/certificate-series", headers=shop.owner, json={
        "name": "Gift card", "nominal_values_minor": [5000], "valid_days": 365}).json()
    issued = client.post(f"/v1/admin/certificate-series/{series['id']}/certificates",
                         headers={**shop.owner, "Idempotency-Key": "po-wait"},
                         json={"count": 1, "amount_minor": 5000, "for_sale": True}).json()
    [code], [card_id] = issued["codes"], issued["certificate_ids"]
    reads = [client.get("/v1/admin/certificates", headers=shop.owner).json()[0],
             client.get(f"/v1/admin/certificates/{card_id}", headers=shop.owner).json(),
             client.post("/v1/admin/certificate-lookup", headers=shop.owner,
                         json={"code": code}).json(),
             client.post("/v1/pos/certificates/lookup", headers=shop.till(),
                         json={"code": code}).json()]
    assert [(r["status"], r["expires_at"]) for r in reads] == [("pending", None)] * 4
    sold = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "S-1"},
                       json={"receipt_id": "S-1", "lines": BASKET,
                             "certificates_sold": [{"code": code, "amount": 5000}]})
    assert sold.status_code == 200, sold.text
    after = client.get(f"/v1/admin/certificates/{card_id}", headers=shop.owner).json()
    assert after["status"] == "active" and after["expires_at"] is not None
    field = client.get("/openapi.json").json()["components"]["schemas"][
        "CertificateOut"]["properties"]["expires_at"]
    assert "null for a card issued for sale" in field["description"]
