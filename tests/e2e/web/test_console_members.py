"""Console members pages over HTTP: search, the member's page, register, edit, adjust, merge."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, member, sale, signed_in


def balance(rt: Runtime, shop: Shop, member_id: int) -> int:
    return int(members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points)


def test_search_by_phone_in_any_format_card_and_name(client: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    signed_in(client, rt, shop, "analyst")
    ann = member(rt, shop, first_name="Ann", last_name="Lee")
    member_registration.add_card(rt, shop.tenant_id, ann["id"], "CARD-0042")
    member(rt, shop, "+78007750112", first_name="Bob")
    for query in ("8 (800) 775 0111", "+7 800 775-01-11", "card0042", "ann"):
        page = client.get("/console/members", params={"q": query})
        assert page.status_code == 200, query
        assert f'href="/console/members/{ann["id"]}"' in page.text, query
        assert "Bob" not in page.text, query
    everyone = client.get("/console/members")
    assert "Ann Lee" in everyone.text and "Bob" in everyone.text
    # htmx asks for the results only: no layout around them.
    live = client.get("/console/members", params={"q": "bob"},
                      headers={"HX-Request": "true", "HX-Target": "results"})
    assert live.status_code == 200 and "Bob" in live.text and "<nav" not in live.text
    none = client.get("/console/members", params={"q": "zelda"})
    assert "No member matches" in none.text


def test_member_page_shows_balances_lots_history_and_receipts(client: TestClient, rt: Runtime,
                                                               shop: Shop) -> None:
    signed_in(client, rt, shop, "analyst")
    ann = member(rt, shop, first_name="Ann")
    body = sale(rt, shop, "R-1")
    page = client.get(f"/console/members/{ann['id']}")
    assert page.status_code == 200
    assert 'id="balance"' in page.text
    assert str(body["points_earned"]) in page.text
    assert f'href="/console/receipts/{body["receipt"]["id"]}"' in page.text
    assert 'id="lots"' in page.text and 'id="history"' in page.text
    assert ann["qr_token"] not in page.text  # the QR token is never shown whole
    # An analyst sees no forms that change anything.
    assert 'action="/console/members/' not in page.text
    assert client.get("/console/members/999999").status_code == 404


def test_register_a_member(client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/members/new")
    assert page.status_code == 200
    bad = client.post("/console/members/new", data={**form_of(page.text), "phone": "12345",
                                                     "first_name": "Ann", "consent": "full"})
    assert bad.status_code == 422 and 'id="e-phone"' in bad.text
    assert members.search(rt, shop.tenant_id, text=None, limit=10, offset=0) == []
    done = client.post("/console/members/new", data={**form_of(page.text),
                                                      "phone": "8 800 775 01 11",
                                                      "first_name": "Ann", "consent": "full"},
                       follow_redirects=False)
    assert done.status_code == 303
    found = to_json(members.get(rt, shop.tenant_id, MemberRef(phone="+78007750111")))
    assert done.headers["location"] == f"/console/members/{found['id']}"
    assert found["first_name"] == "Ann"


def test_adjust_needs_a_reason_and_a_double_submit_counts_once(client: TestClient,
                                                                rt: Runtime,
                                                                shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    ann = member(rt, shop)
    before = balance(rt, shop, ann["id"])
    page = client.get(f"/console/members/{ann['id']}")
    url = f"/console/members/{ann['id']}/adjust"
    empty = client.post(url, data={**form_of(page.text), "points": "50", "reason": "  "})
    assert empty.status_code == 422
    assert 'id="e-reason"' in empty.text and "a reason is required" in empty.text
    assert balance(rt, shop, ann["id"]) == before
    zero = client.post(url, data={**form_of(page.text), "points": "abc", "reason": "x"})
    assert zero.status_code == 422 and 'id="e-points"' in zero.text
    form = {**form_of(page.text), "points": "50", "reason": "Broken cup"}
    first = client.post(url, data=form, follow_redirects=False)
    again = client.post(url, data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert balance(rt, shop, ann["id"]) == before + 50
    shown = client.get(first.headers["location"])
    assert "The points were adjusted." in shown.text and "Broken cup" in shown.text
    too_many = client.post(url, data={**form_of(shown.text), "points": "-100000",
                                      "reason": "oops"})
    assert too_many.status_code == 422 and 'id="e-points"' in too_many.text
    assert balance(rt, shop, ann["id"]) == before + 50


def test_edit_profile(client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    ann = member(rt, shop)
    page = client.get(f"/console/members/{ann['id']}/edit")
    assert page.status_code == 200
    data = {**form_of(page.text), "first_name": "Ann", "last_name": "Lee",
            "email": "not-an-email", "birthday": "", "consent": "earn_only",
            "tags": "vip, coffee"}
    bad = client.post(f"/console/members/{ann['id']}/edit", data=data)
    assert bad.status_code == 422 and 'id="e-email"' in bad.text
    assert members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).first_name is None
    bad_day = client.post(f"/console/members/{ann['id']}/edit",
                          data={**data, "email": "", "birthday": "31.02.1990"})
    assert bad_day.status_code == 422 and 'id="e-birthday"' in bad_day.text
    done = client.post(f"/console/members/{ann['id']}/edit",
                       data={**data, "email": "ann@example.com", "birthday": "1990-04-25"},
                       follow_redirects=False)
    assert done.status_code == 303
    saved = to_json(members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])))
    assert saved["first_name"] == "Ann" and saved["consent"] == "earn_only"
    assert saved["birthday"] == "1990-04-25" and saved["profile"]["tags"] == ["coffee", "vip"]


def test_merge_shows_both_balances_then_merges(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    keep = member(rt, shop)
    away = member(rt, shop, "+78007750112")
    sale(rt, shop, "R-1", phone="+78007750112")
    kept_before, away_before = balance(rt, shop, keep["id"]), balance(rt, shop, away["id"])
    url = f"/console/members/{keep['id']}/merge"
    assert client.get(url, params={"source": str(keep["id"])}).status_code == 422
    assert client.get(url, params={"source": "+7 999 000-00-00"}).status_code == 422
    preview = client.get(url, params={"source": "8 800 775 0112"})
    assert preview.status_code == 200
    assert 'id="merge-source"' in preview.text and str(away_before) in preview.text
    assert balance(rt, shop, keep["id"]) == kept_before  # a preview changes nothing
    done = client.post(url, data={**form_of(preview.text), "source_id": str(away["id"])},
                       follow_redirects=False)
    assert done.status_code == 303
    assert balance(rt, shop, keep["id"]) == kept_before + away_before
    # A marketer may edit but not merge.
    client.cookies.clear()
    signed_in(client, rt, shop, "marketer")
    assert client.get(url).status_code == 403
