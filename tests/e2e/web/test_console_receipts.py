"""Console receipts pages over HTTP: the filtered list, one receipt, refunds."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from regulars.domain.promotions.promotions import PercentDiscount
from regulars.services.audit import audit
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.promotions import promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.web.console_data import form_of, member, sale, signed_in


def numbers_in(html: str) -> list[str]:
    return re.findall(r'href="/console/receipts/(\d+)"', html)


def test_list_filters_by_store_till_phone_and_dates(client: TestClient, rt: Runtime,
                                                    shop: Shop, clock: FakeClock) -> None:
    member(rt, shop)
    first = sale(rt, shop, "R-1")["receipt"]["id"]
    clock.advance(days=2)
    second = sale(rt, shop, "R-2", phone=None, till_index=1)["receipt"]["id"]
    signed_in(client, rt, shop, "analyst")
    every = client.get("/console/receipts")
    assert every.status_code == 200
    assert numbers_in(every.text) == [str(second), str(first)]  # newest first
    by_phone = client.get("/console/receipts", params={"phone": "8 (800) 775 0111"})
    assert numbers_in(by_phone.text) == [str(first)]
    by_till = client.get("/console/receipts", params={"till": str(shop.terminal_ids[1])})
    assert numbers_in(by_till.text) == [str(second)]
    by_store = client.get("/console/receipts", params={"store": str(shop.store_id)})
    assert len(numbers_in(by_store.text)) == 2
    day = clock().date().isoformat()
    by_day = client.get("/console/receipts", params={"date_from": day, "date_to": day})
    assert numbers_in(by_day.text) == [str(second)]
    bad = client.get("/console/receipts", params={"phone": "12"})
    assert bad.status_code == 422 and 'id="e-phone"' in bad.text
    reversed_range = client.get("/console/receipts",
                                params={"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert reversed_range.status_code == 422 and 'id="e-date_to"' in reversed_range.text


def test_receipt_page_shows_lines_promotions_and_places(client: TestClient, rt: Runtime,
                                                        shop: Shop) -> None:
    signed_in(client, rt, shop, "analyst")
    promotions.create(rt, shop.tenant_id, Draft(
        name="Cake week", condition="true",
        effects=(PercentDiscount(rate_bp=1000, categories=frozenset({"food"})),)),
                      actor=audit.SYSTEM)
    member(rt, shop)
    receipt_id = sale(rt, shop, "R-1")["receipt"]["id"]
    page = client.get(f"/console/receipts/{receipt_id}")
    assert page.status_code == 200
    assert "Cake week" in page.text and "Main street" in page.text and "Till 1" in page.text
    assert "Coffee" in page.text and 'id="explanations"' in page.text
    assert 'id="refund-all"' not in page.text  # an analyst may not refund
    assert client.get("/console/receipts/999999").status_code == 404


def test_refund_lines_then_the_rest_once_each(client: TestClient, rt: Runtime,
                                              shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    ann = member(rt, shop)
    body = sale(rt, shop, "R-1")
    receipt_id, earned = body["receipt"]["id"], body["points_earned"]
    after_sale = members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).balance_points
    page = client.get(f"/console/receipts/{receipt_id}")
    assert 'id="refund-all"' in page.text
    url = f"/console/receipts/{receipt_id}/refund"
    nothing = client.post(url, data={**form_of(page.text), "mode": "lines", "qty-1": ""})
    assert nothing.status_code == 422 and 'id="e-lines"' in nothing.text
    too_much = client.post(url, data={**form_of(page.text), "mode": "lines", "qty-1": "5"})
    assert too_much.status_code == 422
    one = {**form_of(page.text), "mode": "lines", "qty-1": "1"}
    done = client.post(url, data=one, follow_redirects=False)
    again = client.post(url, data=one, follow_redirects=False)  # a double-submit
    assert done.status_code == again.status_code == 303
    shown = client.get(done.headers["location"])
    assert 'id="refund-done"' in shown.text and "partly refunded" in shown.text
    assert "partially_refunded" not in shown.text  # a status shows as words, never as its code
    partly = members.get(rt, shop.tenant_id, MemberRef(id=ann["id"])).balance_points
    assert after_sale > partly > after_sale - earned
    rest = client.post(url, data={**form_of(shown.text), "mode": "all"},
                       follow_redirects=False)
    assert rest.status_code == 303
    final = client.get(rest.headers["location"])
    assert "Points taken back" in final.text and 'id="refund-all"' not in final.text
    assert members.get(rt, shop.tenant_id,
                       MemberRef(id=ann["id"])).balance_points == after_sale - earned
    assert final.text.count("<td class=\"num\">") > 0
    # A marketer may see the receipt but not refund it.
    client.cookies.clear()
    signed_in(client, rt, shop, "marketer")
    assert client.post(url, data={**form_of(client.get(f"/console/receipts/{receipt_id}").text),
                                  "mode": "all"}).status_code == 403
