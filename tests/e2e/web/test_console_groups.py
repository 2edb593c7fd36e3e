"""The console's figures by level and by segment, and their CSV and XLSX files, on the shop
of the home page's tests (one level, Base; the new member bought 200.00 and 300.00 in the
window, the old one 100.00 before it)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.domain.promotions.segments import Compare, Frequency
from regulars.services.promotions import segments
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.web.support import add_staff, sign_in
from tests.e2e.web.test_console_home import build

PAGE = "/console/analytics/groups"
FILES = ["/console/analytics/levels", "/console/analytics/segments"]


@pytest.fixture
def analyst(client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> TestClient:
    build(rt, shop, clock)
    segments.create(rt, shop.tenant_id, segments.Draft(name="Twice", rules=(
        Frequency(compare=Compare.GE, days=365, count=2),)))
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com", language="en")
    sign_in(client, "a@example.com")
    return client


def test_the_page_shows_each_level_and_segment(analyst: TestClient) -> None:
    page = analyst.get(PAGE)
    assert page.status_code == 200
    main = page.text.split("<main")[1].split("</main>")[0]
    assert "<script" not in main and "style=" not in main
    levels = main.split('id="levels"')[1].split("</table>")[0]
    assert "Base" in levels and "All members" in levels
    twice = main.split('id="segments"')[1].split("</table>")[0]
    assert "Twice" in twice
    hint = main.split('id="reward-cost-hint">')[1].split("</p>")[0]
    assert "plus cashback" in hint and "The simulator forecasts it" in hint


def test_a_bad_range_is_shown_beside_its_field(analyst: TestClient) -> None:
    page = analyst.get(PAGE, params={"range": "custom", "date_from": "2026-03-02"})
    assert page.status_code == 422
    assert 'id="e-date_to"' in page.text and "needs its last day" in page.text


def test_both_tables_download_as_csv_and_xlsx(analyst: TestClient) -> None:
    levels = analyst.get(FILES[0] + ".csv", params={"range": "last_30_days"})
    assert levels.status_code == 200 and levels.headers["content-type"].startswith("text/csv")
    rows = levels.text.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("key,name,members,buyers,receipts,revenue_minor")
    # Base: both members, the new one bought twice in the window (200.00 and 300.00 paid
    # less 10 points worth 10.00).
    assert rows[1].startswith("base,Base,2,1,2,49000,")
    twice = analyst.get(FILES[1] + ".csv", params={"range": "last_30_days"}).text.splitlines()
    assert twice[1].split(",")[1:6] == ["Twice", "1", "1", "2", "49000"]
    for path in FILES:
        book = analyst.get(path + ".xlsx", params={"range": "last_30_days"})
        assert book.status_code == 200 and book.content[:2] == b"PK"
        assert "spreadsheetml" in book.headers["content-type"]
    assert analyst.get(FILES[0] + ".pdf").status_code == 422


@pytest.mark.usefixtures("shop")
def test_without_a_session_nothing_is_shown(client: TestClient) -> None:
    for path in [PAGE, FILES[0] + ".csv", FILES[1] + ".xlsx"]:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
