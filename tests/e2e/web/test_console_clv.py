"""The console's CLV and RFM page: the fitted parameters beside the API's, each member's
outlook, the RFM groups, a bad parameter beside its field, the table as CSV and XLSX."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.services.analytics import clv
from regulars.services.analytics.clv import ClvQuery
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import update_profile
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.web.support import add_staff, sign_in
from tests.integration.support import Pos
from tests.integration.test_clv_report import history

PAGE = "/console/analytics/clv"


@pytest.fixture
def analyst(client: TestClient, rt: Runtime, shop: Shop) -> TestClient:
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com", language="en")
    sign_in(client, "a@example.com")
    return client


def test_the_page_shows_the_fit_and_each_members_outlook(
        analyst: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    history(Pos(rt, shop), clock, members=40, days=120)
    sign_in(analyst, "a@example.com")  # again: the history took the clock past the session
    report = clv.report(rt, shop.tenant_id, ClvQuery(margin_bp=2500, limit=1))
    assert report.fit is not None, report.not_fitted_because
    page = analyst.get(PAGE, params={"margin": "25", "unit": "weeks"})
    assert page.status_code == 200
    main = page.text.split("<main")[1].split("</main>")[0]
    assert "<script" not in main and "style=" not in main and "<svg" in main
    assert f"r {report.fit.r:.4g} · α {report.fit.alpha:.4g}" in main
    assert f"γ {report.fit.gamma_minor:.4g}" in main
    first = report.items[0]
    row = main.split(f'href="/console/members/{first.member_id}"')[1].split("</tr>")[0]
    assert f"{first.probability_alive * 100:.1f} %" in row
    assert f"{first.purchases_90_days:.2f}" in row and f"{first.purchases_365_days:.2f}" in row
    table = analyst.get(PAGE + ".csv", params={"margin": "25"})
    rows = table.text.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("member_id,days_since_last,purchases,spend_minor,rfm,group,")
    assert len(rows) == 1 + report.members
    assert rows[1].split(",")[0] == str(first.member_id)
    assert rows[1].split(",")[-1] == str(first.lifetime_value_minor)
    book = analyst.get(PAGE + ".xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"


def test_without_a_fit_the_reason_and_the_groups_show(analyst: TestClient, rt: Runtime,
                                                       shop: Shop, clock: FakeClock) -> None:
    history(Pos(rt, shop), clock, members=3, days=10)
    sign_in(analyst, "a@example.com")
    page = analyst.get(PAGE).text
    assert 'id="not-fitted"' in page and "at least 20 members" in page
    assert 'id="chart-rfm"' in page


def test_each_rfm_group_is_named_with_its_members_and_leads_to_a_segment_of_it(
        client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    """The chart names only its first and last bars: the table beside it names every
    group with its count, and a group's link opens the segment form with the rule made."""
    history(Pos(rt, shop), clock, members=12, days=60)
    add_staff(rt, shop.tenant_id, role="marketer", email="m@example.com", language="en")
    sign_in(client, "m@example.com")
    report = clv.report(rt, shop.tenant_id, ClvQuery(limit=1))
    page = client.get(PAGE).text
    table = page.split('<table id="rfm-groups"')[1].split("</table>")[0]
    for group, count in report.groups.items():
        row = table.split(f'id="rfm-{group}"')[1].split("</tr>")[0]
        assert f'<td class="num">{count}</td>' in row, group
        assert (f'href="/console/segments/new?rfm={group}"' in row) == (count > 0), group
    group = next(g for g, count in report.groups.items() if count)
    form = client.get("/console/segments/new", params={"rfm": group}).text
    assert '<option value="rfm" selected' in form
    assert f'name="groups-1" value="{group}" checked' in form


def test_each_member_is_named_as_elsewhere_and_links_to_their_page(
        analyst: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    history(Pos(rt, shop), clock, members=3, days=10)
    sign_in(analyst, "a@example.com")
    first, second, *_ = clv.report(rt, shop.tenant_id, ClvQuery(limit=3)).items
    update_profile(rt, shop.tenant_id, first.member_id, {"first_name": "Vera",
                                                         "last_name": "Ivanova"})
    phone = members.get(rt, shop.tenant_id, MemberRef(id=second.member_id)).phone
    assert phone is not None
    table = analyst.get(PAGE).text.split('id="clv-members"')[1].split("</table>")[0]
    assert f'<a href="/console/members/{first.member_id}">Vera Ivanova</a>' in table
    assert (f'<a href="/console/members/{second.member_id}">\u2022\u2022\u2022{phone[-4:]}'
            f"</a>") in table
    assert phone not in table and ">#" not in table


def test_the_reason_for_no_fit_is_in_the_readers_language(
        client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    history(Pos(rt, shop), clock, members=3, days=10)
    add_staff(rt, shop.tenant_id, role="analyst", email="ru@example.com", language="ru")
    sign_in(client, "ru@example.com")
    page = client.get(PAGE).text
    reason = page.split('id="not-fitted">')[1].split("</p>")[0]
    assert "Модели пока не подобраны: модели покупок нужно не меньше 20 участников, из них " \
           "5 с повторной покупкой; сейчас их " in reason
    assert "needs" not in reason


def test_a_bad_parameter_is_shown_beside_its_field(analyst: TestClient) -> None:
    for params, field in (({"margin": "abc"}, "margin"), ({"discount": "101"}, "discount"),
                          ({"months": "0"}, "months"), ({"unit": "years"}, "unit"),
                          ({"calibration_end": "2026-13-01"}, "calibration_end"),
                          ({"calibration_end": "2099-01-01"}, "calibration_end")):
        page = analyst.get(PAGE, params=params)
        assert page.status_code == 422, params
        assert f'id="e-{field}"' in page.text, params
    assert analyst.get(PAGE + ".pdf").status_code == 422


@pytest.mark.usefixtures("shop")
def test_without_a_session_nothing_is_shown(client: TestClient) -> None:
    for path in (PAGE, PAGE + ".csv"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
