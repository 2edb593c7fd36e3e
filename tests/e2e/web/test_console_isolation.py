"""Staff of one business never reach another's members, receipts, promotions, coupon series,
segments or scenarios' draft promotions: every id of another tenant answers 404 and changes
nothing."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from regulars.domain.promotions.promotions import BonusPoints
from regulars.domain.promotions.segments import HasBirthday
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.audit import audit
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.promotions import coupons, promotions, segments
from regulars.services.promotions.promotions import Draft
from regulars.services.promotions.segments import Draft as SegmentDraft
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, member, sale, signed_in


def test_another_tenants_ids_answer_404_and_change_nothing(client: TestClient, rt: Runtime,
                                                           shop: Shop) -> None:
    ann = member(rt, shop)
    receipt_id = sale(rt, shop, "R-1")["receipt"]["id"]
    promotion = promotions.create(rt, shop.tenant_id, Draft(
        name="A only", effects=(BonusPoints(points=5),)), actor=audit.SYSTEM)
    series = coupons.create_series(rt, shop.tenant_id, coupons.SeriesDraft(
        name="A coupons", effect=BonusPoints(points=5)), actor=audit.SYSTEM)
    segment = segments.create(rt, shop.tenant_id, SegmentDraft(name="A segment",
                                                               rules=(HasBirthday(),)))
    scenario = scenarios.create(rt, shop.tenant_id, ScenarioDraft(
        name="A scenario", program=None, first_day=date(2026, 1, 1),
        last_day=date(2026, 1, 31),
        promotions=(Draft(name="A draft", effects=(BonusPoints(points=5),)),)), actor=audit.SYSTEM)
    drafts = f"/console/scenarios/{scenario.id}/promotions"
    draft = f"{drafts}/{scenario.promotion_ids[0]}"
    other = make_shop(rt, "Other Shop")
    own = member(rt, other, "+78007750199")
    signed_in(client, rt, other, "owner")
    csrf = form_of(client.get("/console/members").text)["csrf"]
    balance = members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).balance_points

    for url in (f"/console/members/{ann['id']}", f"/console/members/{ann['id']}/edit",
                f"/console/members/{ann['id']}/merge", f"/console/receipts/{receipt_id}",
                f"/console/promotions/{promotion.id}", f"/console/promotions/{promotion.id}/edit",
                f"/console/promotions/new?copy={promotion.id}", f"/console/coupons/{series.id}",
                f"/console/segments/{segment.id}", f"{drafts}/new", f"{draft}/edit",
                f"/console/scenarios/{scenario.id}/settings",
                f"/console/scenarios/{scenario.id}/program"):
        assert client.get(url).status_code == 404, url
    merge_preview = client.get(f"/console/members/{own['id']}/merge",
                               params={"source": str(ann["id"])})
    assert merge_preview.status_code == 422  # not found among this tenant's members

    posts = {
        f"/console/members/{ann['id']}/adjust": {"points": "500", "reason": "steal",
                                                 "key": "k1"},
        f"/console/members/{ann['id']}/edit": {"first_name": "Eve", "last_name": "",
                                               "email": "", "birthday": "",
                                               "consent": "none", "tags": ""},
        f"/console/members/{ann['id']}/merge": {"source_id": str(own["id"]), "key": "k2"},
        f"/console/members/{own['id']}/merge": {"source_id": str(ann["id"]), "key": "k3"},
        f"/console/receipts/{receipt_id}/refund": {"mode": "all", "key": "k4"},
        f"/console/promotions/{promotion.id}/archive": {},
        f"/console/promotions/{promotion.id}/pause": {},
        f"/console/promotions/{promotion.id}/resume": {},
        f"/console/promotions/{promotion.id}/edit": {"name": "Stolen", "effect": "bonus_points",
                                                     "points": "1"},
        f"/console/coupons/{series.id}/codes": {"count": "3"},
        f"{drafts}/new": {"name": "Stolen", "effect": "bonus_points", "points": "1"},
        f"{draft}/edit": {"name": "Stolen", "effect": "bonus_points", "points": "1"},
        f"{draft}/remove": {},
        f"/console/scenarios/{scenario.id}/settings": {"name": "Stolen"},
        f"/console/scenarios/{scenario.id}/program": {"use_current": "1"},
    }
    for url, data in posts.items():
        assert client.post(url, data={"csrf": csrf, **data}).status_code == 404, url

    after = to_json(members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])))
    assert after["balance_points"] == balance and after["first_name"] is None
    assert after["consent"] == "full"
    assert members.get(rt, other.tenant_id, MemberRef(id=own["id"])).id == own["id"]
    from regulars.services.ledger import admin as ledger_admin

    assert ledger_admin.receipt(rt, shop.tenant_id, receipt_id).status == "committed"
    assert promotions.get(rt, shop.tenant_id, promotion.id).status == "active"
    assert coupons.get_series(rt, shop.tenant_id, series.id).codes_issued == 0
    assert [p.name for p in scenarios.get(rt, shop.tenant_id, scenario.id).promotions] == [
        "A draft"]
    # The other tenant's lists show none of it.
    for url, text in (("/console/members", "+78007750111"), ("/console/receipts", "R-1"),
                      ("/console/promotions", "A only"), ("/console/coupons", "A coupons"),
                      ("/console/segments", "A segment")):
        assert text not in client.get(url).text, url


def test_the_figures_by_segment_and_the_clv_page_show_only_the_businesss_own(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    ann = member(rt, shop)
    sale(rt, shop, "R-1")
    segments.create(rt, shop.tenant_id, SegmentDraft(name="A segment", rules=(HasBirthday(),)))
    other = make_shop(rt, "Other Shop")
    signed_in(client, rt, other, "owner")
    groups = client.get("/console/analytics/groups")
    assert groups.status_code == 200 and "A segment" not in groups.text
    for path in ("/console/analytics/clv", "/console/analytics/clv.csv",
                 "/console/analytics/segments.csv"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert f"/console/members/{ann['id']}\"" not in answer.text
        assert "A segment" not in answer.text
    assert client.get("/console/analytics/clv.csv").text.lstrip("\ufeff").splitlines()[1:] == []
