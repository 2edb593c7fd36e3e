"""Console promotions, coupons and segments pages over HTTP."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from regulars.domain.money import Rounding
from regulars.domain.promotions.effects import Cashback, CashbackOn, IssueCoupon, PercentDiscount
from regulars.services.audit import audit
from regulars.services.members import registration as member_registration
from regulars.services.promotions import coupons, promotions, segments
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, member, sale, signed_in

PROMOTION = {"name": "Cake week", "mode": "expert", "condition": "basket.total_minor >= 100",
             "effect": "percent_discount", "rate": "12.5", "amount": "", "points": "",
             "factor": "", "every_n": "", "categories": "food", "skus": "",
             "stacking": "stackable", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
             "budget": "500.00", "budget_points": "", "segment_id": ""}


def test_create_a_promotion_with_errors_next_to_fields(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/promotions/new")
    assert page.status_code == 200
    url = "/console/promotions/new"
    broken = client.post(url, data={**form_of(page.text), **PROMOTION,
                                    "condition": "basket.total_minor >="})
    assert broken.status_code == 422 and 'id="e-condition"' in broken.text
    assert re.search(r"line|column|position|\d+:\d+", broken.text.split('id="e-condition"')[1]
                     [:400]), "the condition error gives a position"
    unknown = client.post(url, data={**form_of(page.text), **PROMOTION,
                                     "condition": "customer.vip"})
    assert unknown.status_code == 422 and "unknown variable customer" in unknown.text
    no_rate = client.post(url, data={**form_of(page.text), **PROMOTION, "rate": "abc"})
    assert no_rate.status_code == 422 and 'id="e-rate"' in no_rate.text
    dates = client.post(url, data={**form_of(page.text), **PROMOTION, "ends_on": "2025-01-01"})
    assert dates.status_code == 422 and 'id="e-ends_on"' in dates.text
    assert promotions.list_all(rt, shop.tenant_id) == []
    done = client.post(url, data={**form_of(page.text), **PROMOTION}, follow_redirects=False)
    assert done.status_code == 303
    [created] = promotions.list_all(rt, shop.tenant_id)
    assert created.effects[0] == {"kind": "percent_discount", "rate_bp": 1250,
                                     "categories": ["food"], "skus": []}
    assert created.limits["budget_minor"] == 50000
    shown = client.get(done.headers["location"])
    assert shown.status_code == 200 and 'id="versions"' in shown.text and "v1" in shown.text
    listed = client.get("/console/promotions")
    assert "Cake week" in listed.text
    archive = client.post(f"/console/promotions/{created.id}/archive",
                          data=form_of(shown.text), follow_redirects=False)
    assert archive.status_code == 303
    assert promotions.get(rt, shop.tenant_id, created.id).status == "archived"


def test_other_effects_build_the_same_drafts_as_the_api(client: TestClient, rt: Runtime,
                                                        shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/promotions/new")
    for kind, field, value in (("fixed_discount", "amount", "1.50"),
                               ("bonus_points", "points", "25"),
                               ("points_multiplier", "factor", "2")):
        response = client.post("/console/promotions/new", data={
            **form_of(page.text), **PROMOTION, "name": kind, "effect": kind, "categories": "",
            "rate": "", field: value}, follow_redirects=False)
        assert response.status_code == 303, response.text
    saved = {p.name: p.effects[0] for p in promotions.list_all(rt, shop.tenant_id)}
    assert saved["fixed_discount"]["amount_minor"] == 150
    assert saved["bonus_points"]["points"] == 25
    assert saved["points_multiplier"]["factor_percent"] == 200
    low = client.post("/console/promotions/new", data={
        **form_of(page.text), **PROMOTION, "effect": "points_multiplier", "factor": "0.5"})
    assert low.status_code == 422 and 'id="e-factor"' in low.text


def test_coupon_series_codes_shown_once_and_as_csv(client: TestClient, rt: Runtime,
                                                   shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/coupons/new")
    form = {**form_of(page.text), "name": "Welcome back", "effect": "fixed_discount",
            "amount": "5", "rate": "", "points": "", "factor": "", "every_n": "",
            "categories": "", "skus": "", "max_uses": "1", "starts_on": "", "ends_on": ""}
    bad = client.post("/console/coupons/new", data={**form, "max_uses": "0"})
    assert bad.status_code == 422 and 'id="e-max_uses"' in bad.text
    done = client.post("/console/coupons/new", data=form, follow_redirects=False)
    assert done.status_code == 303
    [series] = coupons.list_series(rt, shop.tenant_id)
    shown = client.get(done.headers["location"])
    codes = client.post(f"/console/coupons/{series.id}/codes",
                        data={**form_of(shown.text), "count": "3", "format": "page"})
    assert codes.status_code == 200 and 'id="codes"' in codes.text
    assert "3 new codes" in codes.text
    again = client.get(done.headers["location"])
    assert 'id="codes"' not in again.text  # never shown a second time
    csv_file = client.post(f"/console/coupons/{series.id}/codes",
                           data={**form_of(shown.text), "count": "2", "format": "csv"})
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert len(csv_file.text.strip().splitlines()) == 3
    assert coupons.get_series(rt, shop.tenant_id, series.id).codes_issued == 5
    zero = client.post(f"/console/coupons/{series.id}/codes",
                       data={**form_of(shown.text), "count": "0"})
    assert zero.status_code == 422 and 'id="e-count"' in zero.text
    assert "Welcome back" in client.get("/console/coupons").text


def test_segments_from_rules_with_their_members(client: TestClient, rt: Runtime,
                                                shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    ann = member(rt, shop, first_name="Ann")
    member(rt, shop, "+78007750112", first_name="Bob")
    sale(rt, shop, "R-1")
    page = client.get("/console/segments/new")
    form = {**form_of(page.text), "name": "Recent buyers", "kind-1": "frequency",
            "compare-1": "ge", "days-1": "30", "count-1": "1", "kind-2": ""}
    bad = client.post("/console/segments/new", data={**form, "days-1": "0"})
    assert bad.status_code == 422 and 'id="e-days-1"' in bad.text
    assert segments.list_all(rt, shop.tenant_id) == []
    done = client.post("/console/segments/new", data=form, follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert f'href="/console/members/{ann["id"]}"' in shown.text and "Bob" not in shown.text
    listed = client.get("/console/segments")
    assert "Recent buyers" in listed.text
    member_registration.update_profile(rt, shop.tenant_id, ann["id"],
                                       {"profile": {"tags": ["vip"]}})
    tagged = client.post("/console/segments/new", data={
        **form, "name": "VIP", "kind-1": "tags", "tags-1": "vip", "match-1": "any"},
        follow_redirects=False)
    assert tagged.status_code == 303


def test_segments_take_every_rule_kind(client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    member(rt, shop, first_name="Ann")
    sale(rt, shop, "R-1")
    page = client.get("/console/segments/new")
    assert 'name="store-3"' in page.text and "Is at one of the levels" in page.text
    form = {**form_of(page.text), "name": "Locals", "kind-1": "store_share",
            "store-1": str(shop.store_id), "days-1": "90", "percent-1": "60",
            "kind-2": "profile", "field-2": "city", "value-2": "Sofia",
            "kind-3": "level", "levels-3": "base"}
    bad = client.post("/console/segments/new", data={**form, "percent-1": "0"})
    assert bad.status_code == 422 and 'id="e-percent-1"' in bad.text
    assert 'value="Sofia"' in bad.text
    bad_field = client.post("/console/segments/new", data={**form, "field-2": "two words"})
    assert bad_field.status_code == 422 and 'id="e-field-2"' in bad_field.text
    done = client.post("/console/segments/new", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    [made] = segments.list_all(rt, shop.tenant_id)
    assert [rule["kind"] for rule in segments.get(rt, shop.tenant_id, made.id).rules] == [
        "store_share", "profile", "level"]
    shown = client.get(f"/console/segments/{made.id}").text
    assert "level: Base</div>" in shown  # the level's name, not its code ("base")


def test_a_coupon_series_takes_any_offer_but_another_coupon(client: TestClient, rt: Runtime,
                                                             shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/coupons/new")
    assert 'value="volume_steps"' in page.text and 'value="issue_coupon"' not in page.text
    form = {**form_of(page.text), "name": "Two cakes", "effect": "gift_with_purchase",
            "gift_sku": "CAKE", "buy": "2", "max_uses": "3", "starts_on": "2026-03-01",
            "ends_on": "2026-02-01"}
    bad = client.post("/console/coupons/new", data={**form, "buy": "0", "name": ""})
    assert bad.status_code == 422
    for name in ("name", "buy", "ends_on"):
        assert f'id="e-{name}"' in bad.text, name
    refused = client.post("/console/coupons/new", data={**form, "effect": "issue_coupon",
                                                        "ends_on": ""})
    assert refused.status_code == 422 and 'id="e-effect"' in refused.text
    done = client.post("/console/coupons/new", data={**form, "ends_on": ""},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    [series] = coupons.list_series(rt, shop.tenant_id)
    assert series.max_uses == 3


def test_a_segment_of_rfm_groups(client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/segments/new")
    assert "Is in one of the RFM groups" in page.text and 'name="groups-1"' in page.text
    form = {**form_of(page.text), "name": "Keep them", "kind-1": "rfm",
            "groups-1": "at_risk, cannot_lose", "kind-2": ""}
    bad = client.post("/console/segments/new", data={**form, "groups-1": "whales"})
    assert bad.status_code == 422 and 'id="e-groups-1"' in bad.text
    assert segments.list_all(rt, shop.tenant_id) == []
    done = client.post("/console/segments/new", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    [made] = segments.list_all(rt, shop.tenant_id)
    assert made.rules == ({"kind": "rfm", "groups": ["at_risk", "cannot_lose"]},)
    shown = client.get(f"/console/segments/{made.id}").text
    assert "RFM group: At risk, Cannot lose them</div>" in shown  # labels, not codes
    assert "at_risk" not in shown


def made_segment(client: TestClient, rt: Runtime, shop: Shop,
                 fields: dict[str, str]) -> tuple[Any, str]:
    """The segment the form with ``fields`` (one rule) makes, and its page."""
    page = client.get("/console/segments/new")
    client.post("/console/segments/new", data={**form_of(page.text), **fields, "kind-2": ""})
    [made] = segments.list_all(rt, shop.tenant_id)
    return made, client.get(f"/console/segments/{made.id}").text


def test_a_segment_leads_to_a_promotion_for_it(client: TestClient, rt: Runtime,
                                              shop: Shop) -> None:
    """A segment's page is not a dead end: its link opens the promotion builder with the
    segment chosen (an analyst, who may not make promotions, is not offered it)."""
    signed_in(client, rt, shop, "marketer")
    made, shown = made_segment(client, rt, shop, {"name": "Keep them", "kind-1": "rfm",
                                                  "groups-1": "at_risk"})
    link = f'href="/console/promotions/new?segment={made.id}"'
    assert link in shown
    builder = client.get(f"/console/promotions/new?segment={made.id}").text
    assert f'<option value="{made.id}" selected>Keep them</option>' in builder
    client.cookies.clear()
    signed_in(client, rt, shop, "analyst")
    seen = client.get(f"/console/segments/{made.id}")
    assert seen.status_code == 200 and "Keep them" in seen.text and link not in seen.text


def test_rfm_groups_consents_and_levels_are_ticked_by_name_not_typed_as_codes(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    client.get("/console/language", params={"lang": "ru", "back": "/console"})
    page = client.get("/console/segments/new")
    assert 'type="checkbox" name="groups-1" value="at_risk"' in page.text
    assert 'type="checkbox" name="consent-1" value="earn_only"' in page.text
    assert "potential_loyalist," not in page.text and "full, earn_only" not in page.text
    assert "Значение поля" in page.text  # a profile field's value, not a price ("Стоимость")
    form = {**form_of(page.text), "name": "Keep them", "kind-1": "rfm", "kind-2": ""}
    unnamed = client.post("/console/segments/new",
                          data={**form, "name": "", "groups-1": ["at_risk", "lost"]})
    assert unnamed.status_code == 422
    assert 'name="groups-1" value="at_risk" checked' in unnamed.text
    assert 'name="groups-1" value="lost" checked' in unnamed.text
    assert 'name="groups-1" value="loyal" checked' not in unnamed.text
    done = client.post("/console/segments/new", data={**form, "groups-1": ["at_risk", "lost"]},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    [made] = segments.list_all(rt, shop.tenant_id)
    assert made.rules == ({"kind": "rfm", "groups": ["at_risk", "lost"]},)


def test_the_promotion_page_names_the_coupon_it_issues_and_how_cashback_counts(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    series = coupons.create_series(rt, shop.tenant_id, coupons.SeriesDraft(
        name="Next coffee", effect=PercentDiscount(rate_bp=2000)), actor=audit.SYSTEM)
    made = promotions.create(rt, shop.tenant_id, promotions.Draft(
        name="Come back", effects=(
            IssueCoupon(series_id=series.id),
            Cashback(rate_bp=500, basis=CashbackOn.EARN_BASIS, rounding=Rounding.HALF_UP))),
        actor=audit.SYSTEM)
    page = client.get(f"/console/promotions/{made.id}").text
    assert "<div>a coupon for the next visit: “Next coffee”</div>" in page
    assert ("5\u00a0% back into the wallet · Cashback is a share of: the part that earns points"
            " · Rounding of cashback: to nearest, halves up</div>") in page


def test_a_segments_members_show_masked_phones_as_other_lists_do(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    """A list names a member without a name by the phone's last four digits, and never
    shows the whole number (that is on the member's own page, for staff allowed)."""
    nameless = member(rt, shop, phone="+79160000041")
    named = member(rt, shop, phone="+79160000042", first_name="Vera")
    signed_in(client, rt, shop, "marketer")
    _, shown = made_segment(client, rt, shop, {"name": "Everyone", "kind-1": "level",
                                               "levels-1": "base"})
    rows = shown.split('<table id="segment-members">')[1].split("</table>")[0]
    assert f'<a href="/console/members/{nameless["id"]}">•••0041</a>' in rows
    assert f'<a href="/console/members/{named["id"]}">Vera</a>' in rows
    assert "<td>•••0042</td>" in rows
    assert "9160000041" not in shown and "9160000042" not in shown
    assert f'>#{nameless["id"]}<' not in shown
