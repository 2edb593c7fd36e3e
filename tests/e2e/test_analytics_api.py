"""``/v1/admin/analytics``: the figures over HTTP, their errors and who may read them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Shop

OVERVIEW = "/v1/admin/analytics/overview"


def _sell(client: TestClient, shop: Shop) -> None:
    member = client.post("/v1/pos/members", headers=shop.till(),
                         json={"phone": "+7 800 775-01-11"}).json()
    for n, who in enumerate([{"id": member["id"]}, None, None]):
        answer = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": f"k{n}"},
                             json={"receipt_id": f"R-{n}", "member": who, "lines": [
                                 {"sku": "tea", "name": "Tea", "quantity_milli": 1000,
                                  "unit_price_minor": 10000 * (n + 1)}]})
        assert answer.status_code == 200, answer.text
    receipt = answer.json()["receipt"]["id"]
    voided = client.post(f"/v1/pos/receipts/{receipt}/void",
                         headers={**shop.till(), "Idempotency-Key": "void"})
    assert voided.status_code == 200, voided.text


def test_overview_counts_net_receipts(client: TestClient, shop: Shop) -> None:
    _sell(client, shop)
    body = client.get(OVERVIEW, headers=shop.owner, params={"range": "this_month"}).json()
    sales = body["current"]["sales"]
    assert (sales["receipts"], sales["revenue_minor"]) == (2, 30000)
    assert (sales["member_average_minor"], sales["anonymous_average_minor"]) == (10000, 20000)
    assert sales["member_uplift_minor"] == -10000
    assert body["currency"] == "RUB" and body["timezone"] == "Europe/Moscow"
    assert body["current"]["first_day"] == "2026-03-01"
    assert body["previous"]["last_day"] == "2026-02-28"
    assert body["current"]["members"]["new"] == 1
    store = client.get(OVERVIEW, headers=shop.owner,
                       params={"store_id": shop.store_id}).json()
    assert store["current"]["sales"]["receipts"] == 2


def test_bad_ranges_name_the_field(client: TestClient, shop: Shop) -> None:
    for params, field in [({"range": "forever"}, "range"),
                          ({"range": "custom", "to": "2026-03-01"}, "from"),
                          ({"range": "custom", "from": "2026-03-01"}, "to"),
                          ({"range": "custom", "from": "2026-03-02", "to": "2026-03-01"}, "to"),
                          ({"range": "custom", "from": "2026-13-01", "to": "2026-03-01"},
                           "from"),
                          ({"range": "custom", "from": "2026-01-01", "to": "0"}, "to"),
                          ({"active_days": "0"}, "active_days"),
                          ({"at_risk_days": "300", "churn_days": "200"}, "churn_days")]:
        answer = client.get(OVERVIEW, headers=shop.owner, params=params)
        assert answer.status_code == 422, params
        assert answer.json()["field"] in (field, f"query.{field}"), (params, answer.text)


def test_a_till_key_may_not_read_figures(client: TestClient, shop: Shop) -> None:
    assert client.get(OVERVIEW, headers=shop.till()).status_code == 403
    assert client.get(OVERVIEW).status_code == 401


def test_every_report_answers_for_its_own_business(client: TestClient, shop: Shop) -> None:
    _sell(client, shop)
    other = client.post("/v1/admin/stores", headers=shop.owner,
                        json={"code": "north", "name": "North"})
    assert other.status_code == 201
    got = {path: client.get(f"/v1/admin/analytics/{path}", headers=shop.owner,
                            params={"range": "this_month"})
           for path in ("points", "members/cohorts", "liability", "ifrs15/journal", "stores",
                        "cashiers")}
    assert all(r.status_code == 200 for r in got.values()), {p: r.text for p, r in got.items()}
    points = got["points"].json()
    assert points["current"]["issued"] > 0 and points["previous"]["issued"] == 0
    assert got["members/cohorts"].json()["cohorts"][0]["members"] == 1
    owed = got["liability"].json()
    assert owed["outstanding_points"] == points["current"]["issued"]
    assert owed["outstanding_minor"] == owed["outstanding_points"] * owed["point_value_minor"]
    # Nothing has matured yet: breakage is no estimate, the cost values every point.
    assert (owed["enough_history"], owed["matured_members"]) == (False, 0)
    assert owed["expected_cost_minor"] == owed["outstanding_minor"]
    journal = got["ifrs15/journal"].json()
    assert sum(ln["debit_minor"] for ln in journal) == sum(ln["credit_minor"] for ln in journal)
    assert journal[0]["account"] == "Revenue" and journal[0]["debit_minor"] == \
        owed["outstanding_minor"]
    stores = got["stores"].json()
    assert [(r["name"], r["figures"]["counts"]["receipts"]) for r in stores["rows"]] == [
        ("Main street", 2)]
    assert stores["chain"]["identified_share_bp"] == 5000
    cashiers = got["cashiers"].json()
    assert cashiers["rows"] == []  # the tills sent no cashier: the store's all is nobody's
    assert [(r["store_id"], r["store_name"], r["figures"]["counts"])
            for r in cashiers["no_cashier"]] == [
        (shop.store_id, "Main street", stores["rows"][0]["figures"]["counts"])]


def test_reports_refuse_a_bad_range(client: TestClient, shop: Shop) -> None:
    for path in ("points", "members/cohorts", "liability", "ifrs15/journal", "stores",
                 "cashiers"):
        answer = client.get(f"/v1/admin/analytics/{path}", headers=shop.owner,
                            params={"range": "custom", "from": "2026-03-02"})
        assert answer.status_code == 422 and answer.json()["field"] == "to", path


def test_a_till_names_the_cashier_who_enrolled_a_member(client: TestClient, shop: Shop) -> None:
    anna = client.post("/v1/admin/staff", headers=shop.owner,
                       json={"name": "Anna", "role": "cashier", "store_id": shop.store_id})
    assert anna.status_code == 201, anna.text
    for n, staff in enumerate((anna.json()["id"], None)):
        made = client.post("/v1/pos/members", headers=shop.till(),
                           json={"phone": f"+7 800 775-05-0{n}", "staff_id": staff})
        assert made.status_code == 201, made.text
    unknown = client.post("/v1/pos/members", headers=shop.till(),
                          json={"phone": "+7 800 775-05-09", "staff_id": 999_999})
    assert unknown.status_code == 404
    rows = client.get("/v1/admin/analytics/cashiers", headers=shop.owner,
                      params={"range": "this_month"}).json()
    assert [(r["name"], r["figures"]["counts"]["enrolments"], r["store_enrolments"])
            for r in rows["rows"]] == [("Anna", 1, 2)]
    assert rows["chain"]["counts"]["enrolments"] == 2
    assert [(r["store_name"], r["figures"]["counts"]["enrolments"], r["store_enrolments"])
            for r in rows["no_cashier"]] == [("Main street", 1, 2)]
    # Nobody has bought yet: no active members, the cashier's, their store's or the chain's.
    assert [(r["figures"]["counts"]["active_members"], r["store_active_members"])
            for r in rows["rows"]] == [(0, 0)]
    assert rows["chain"]["counts"]["active_members"] == 0
