"""The console's promotion builder over HTTP: conditions picked in plain words become CEL,
every error shows at once beside its field with the values kept, and a promotion is
edited (a new version), duplicated, paused and resumed."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from regulars.domain.promotions.promotions import BonusPoints
from regulars.services.audit import audit
from regulars.services.promotions import coupons, promotions
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, signed_in

URL = "/console/promotions/new"
PICKED = {"name": "Big coffee basket", "mode": "builder", "c_total": "25.00",
          "c_category": "coffee", "c_category_qty": "2", "c_first": "1",
          "effect": "fixed_discount", "amount": "3.50", "weekday": ["6", "7"],
          "hour_from": "8", "hour_to": "11", "budget": "100", "member_budget": "10",
          "uses_per_day": "1", "priority": "5", "stacking": "exclusive"}


def test_picked_conditions_save_as_cel_with_the_schedule_and_limits(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get(URL)
    assert page.status_code == 200 and 'id="cel-preview"' in page.text
    preview = client.post("/console/promotions/preview", data={**form_of(page.text), **PICKED})
    assert preview.status_code == 200
    cel = ('basket.total_minor >= 2500 && basket.lines.exists(l, l.category == "coffee" && '
           'l.quantity_milli >= 2000) && member.first_purchase')
    assert cel in html.unescape(preview.text)
    done = client.post(URL, data={**form_of(page.text), **PICKED}, follow_redirects=False)
    assert done.status_code == 303, done.text
    [made] = promotions.list_all(rt, shop.tenant_id)
    assert made.condition == cel
    assert made.effects == ({"kind": "fixed_discount", "amount_minor": 350,
                             "categories": [], "skus": []},)
    assert made.schedule["weekdays"] == [6, 7] and made.schedule["hour_from"] == 8
    assert made.limits["budget_minor"] == 10000 and made.limits["member_minor"] == 1000
    assert made.limits["uses_per_day"] == 1
    assert (made.priority, made.stacking) == (5, "exclusive")
    edit = client.get(f"/console/promotions/{made.id}/edit")
    assert 'value="25.00"' in edit.text and 'name="c_first" value="1" checked' in edit.text


def test_every_error_shows_at_once_and_the_values_stay(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get(URL)
    broken = client.post(URL, data={**form_of(page.text), **PICKED, "name": "",
                                    "c_total": "-5", "amount": "abc", "hour_to": "8",
                                    "hour_from": "8", "budget": "0", "ends_on": "2026-01-01",
                                    "starts_on": "2026-02-01", "c_sku_qty": "2"})
    assert broken.status_code == 422
    for name in ("name", "c_total", "amount", "hour_to", "budget", "ends_on", "c_sku"):
        assert f'id="e-{name}"' in broken.text, name
    assert "must be 0 or more" in broken.text.split('id="e-c_total"')[1][:200]
    assert 'value="abc"' in broken.text and 'value="coffee"' in broken.text
    assert 'value="6" checked' in broken.text  # the ticked weekday stays ticked
    assert promotions.list_all(rt, shop.tenant_id) == []


def test_expert_mode_names_the_problem_and_lists_the_variables(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get(URL)
    assert "member.first_purchase" in page.text and "time.weekday" in page.text
    wrong = client.post(URL, data={**form_of(page.text), **PICKED, "mode": "expert",
                                   "condition": "basket.total >= 'x'"})
    assert wrong.status_code == 422 and 'id="e-condition"' in wrong.text
    unknown = client.post("/console/promotions/preview", data={
        **form_of(page.text), **PICKED, "mode": "expert", "condition": "customer.vip"})
    assert "unknown variable customer" in unknown.text


def test_every_offer_saves_from_the_form(client: TestClient, rt: Runtime,
                                           shop: Shop) -> None:
    series = coupons.create_series(rt, shop.tenant_id, coupons.SeriesDraft(
        name="Next visit", effect=BonusPoints(points=5)), actor=audit.SYSTEM)
    signed_in(client, rt, shop, "marketer")
    page = client.get(URL)
    offers = {"percent_discount": {"rate": "10"}, "fixed_discount": {"amount": "1"},
              "set_price": {"amount": "0.99", "skus": "LATTE"},
              "bonus_points": {"points": "50"}, "points_percent": {"rate": "5"},
              "points_multiplier": {"factor": "1.5"}, "cheapest_free": {"every_n": "3"},
              "volume_steps": {"step1_from": "2", "step1_rate": "5", "step2_from": "5",
                               "step2_rate": "10"},
              "gift_with_purchase": {"gift_sku": "COOKIE", "buy": "3", "max_gifts": "1"},
              "issue_coupon": {"series_id": str(series.id)},
              "cashback": {"rate": "3"}}
    for kind, fields in offers.items():
        response = client.post(URL, data={**form_of(page.text), "name": kind, "mode": "builder",
                                          "effect": kind, **fields}, follow_redirects=False)
        assert response.status_code == 303, (kind, response.text[-2000:])
    saved = {p.name: p.effects[0] for p in promotions.list_all(rt, shop.tenant_id)}
    assert saved["volume_steps"]["steps"] == [{"from_milli": 2000, "rate_bp": 500},
                                              {"from_milli": 5000, "rate_bp": 1000}]
    assert saved["points_multiplier"]["factor_percent"] == 150
    assert saved["gift_with_purchase"]["buy_milli"] == 3000
    assert saved["issue_coupon"]["series_id"] == series.id
    assert saved["set_price"]["unit_price_minor"] == 99
    assert saved["cashback"]["rate_bp"] == 300 and saved["cashback"]["basis"] == "paid"


def test_cashback_is_offered_with_its_options_in_money_and_edited_back(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get(URL)
    assert '<option value="cashback"' in page.text and 'id="f-cashback_cap"' in page.text
    offer = {"name": "Cups back", "mode": "builder", "effect": "cashback", "rate": "5",
             "skus": "CUP", "cashback_basis": "earn_basis", "cashback_rounding": "half_up",
             "cashback_cap": "2.50"}
    wrong = client.post(URL, data={**form_of(page.text), **offer, "rate": "",
                                   "cashback_cap": "0", "cashback_rounding": "sideways"})
    assert wrong.status_code == 422
    for name in ("rate", "cashback_cap", "cashback_rounding"):
        assert f'id="e-{name}"' in wrong.text, name
    assert promotions.list_all(rt, shop.tenant_id) == []
    done = client.post(URL, data={**form_of(page.text), **offer}, follow_redirects=False)
    assert done.status_code == 303, done.text
    [made] = promotions.list_all(rt, shop.tenant_id)
    assert made.effects == ({"kind": "cashback", "rate_bp": 500, "basis": "earn_basis",
                             "rounding": "half_up", "max_minor": 250, "categories": [],
                             "skus": ["CUP"]},)
    edit = client.get(f"/console/promotions/{made.id}/edit")
    assert 'value="2.50"' in edit.text and '<option value="earn_basis" selected' in edit.text
    assert '<option value="half_up" selected' in edit.text
    coupon_page = client.get("/console/coupons/new")
    assert '<option value="cashback"' not in coupon_page.text  # a coupon gives no cashback


def test_edit_duplicate_pause_and_resume(client: TestClient, rt: Runtime, shop: Shop) -> None:
    store = tenants.list_stores(rt, shop.tenant_id)[0]
    signed_in(client, rt, shop, "marketer")
    page = client.get(URL)
    client.post(URL, data={**form_of(page.text), **PICKED, "store": [str(store.id)]})
    [made] = promotions.list_all(rt, shop.tenant_id)
    edit = client.get(f"/console/promotions/{made.id}/edit")
    assert f'name="store" value="{store.id}" checked' in edit.text
    saved = client.post(f"/console/promotions/{made.id}/edit",
                        data={**form_of(edit.text), **PICKED, "c_total": "30",
                              "store": [str(store.id)]}, follow_redirects=False)
    assert saved.status_code == 303
    changed = promotions.get(rt, shop.tenant_id, made.id)
    assert changed.version == 2 and changed.condition.startswith("basket.total_minor >= 3000")
    assert changed.store_ids == (store.id,)
    copy = client.get(f"{URL}?copy={made.id}")
    assert "Big coffee basket (copy)" in copy.text and 'value="30.00"' in copy.text
    shown = client.get(f"/console/promotions/{made.id}")
    paused = client.post(f"/console/promotions/{made.id}/pause", data=form_of(shown.text),
                         follow_redirects=False)
    assert paused.status_code == 303
    assert promotions.get(rt, shop.tenant_id, made.id).status == "paused"
    assert "paused" in client.get(f"/console/promotions/{made.id}").text
    client.post(f"/console/promotions/{made.id}/resume", data=form_of(shown.text))
    assert promotions.get(rt, shop.tenant_id, made.id).status == "active"


def test_the_condition_shows_even_while_other_fields_are_wrong(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get(URL)
    broken = client.post(URL, data={**form_of(page.text), **PICKED, "name": "", "amount": ""})
    assert broken.status_code == 422
    assert "basket.total_minor &gt;= 2500" in broken.text.split('id="cel-text"')[1][:300]
