"""The figures pages beyond home (retention, stores and cashiers, liability) and their CSV
files, on the shop of the home page's tests."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.web.support import add_staff, sign_in
from tests.e2e.web.test_console_home import build

PAGES = ["/console/analytics/retention", "/console/analytics/stores",
         "/console/analytics/liability"]
FILES = ["/console/analytics/overview.csv", "/console/analytics/cohorts.csv",
         "/console/analytics/stores.csv", "/console/analytics/cashiers.csv",
         "/console/analytics/liability.csv", "/console/analytics/expiry.csv",
         "/console/analytics/journal.csv"]


@pytest.fixture
def analyst(client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> TestClient:
    build(rt, shop, clock)
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com", language="en")
    sign_in(client, "a@example.com")
    return client


def test_pages_show_figures_and_charts_without_inline_code(analyst: TestClient) -> None:
    for path in PAGES:
        page = analyst.get(path)
        assert page.status_code == 200, path
        main = page.text.split("<main")[1].split("</main>")[0]
        assert "<svg" in main and "<script" not in main and "style=" not in main, path
        assert " on" + "click=" not in main
    retention = analyst.get(PAGES[0], params={"range": "custom", "date_from": "2026-01-01",
                                              "date_to": "2026-03-02"}).text
    # Joined in January (the old member, who bought then), February (the new one).
    assert retention.count('<td class="num heat-10"') >= 2
    stores = analyst.get(PAGES[1]).text
    assert "Main street" in stores and 'id="kpi-chain-identified"' in stores
    liability = analyst.get(PAGES[2]).text
    assert ">44<" in liability  # 5 + 20 - 10 + 29 points outstanding


def test_breakage_from_a_few_matured_points_is_no_estimate(analyst: TestClient) -> None:
    """The shop's few matured points are no sample: the page says so, and the expected cost
    values every outstanding point instead of discounting it by their breakage."""
    page = analyst.get(PAGES[2]).text
    assert 'id="breakage-unknown">Not enough history yet<' in page
    assert "an estimate needs at least 1,000 points of 30 members" in page
    worth = re.search(r"worth ([^<]+)</div>", page)
    expected = re.search(r'id="kpi-expected">.*?<div class="value">([^<]+)</div>', page,
                         re.DOTALL)
    assert worth and expected and expected.group(1) == worth.group(1)
    assert "no breakage assumed" in page


def test_the_expiry_chart_and_table_cover_the_same_months_and_links_end_cleanly(
        analyst: TestClient) -> None:
    page = analyst.get(PAGES[2]).text
    chart = page.split('id="chart-expiry"')[1].split("</figure>")[0]
    labels = re.findall(r'<text x="\d+" y="\d+"(?: text-anchor="end")?>([^<]+)</text>', chart)
    table = page.split('<table id="expiry">')[1].split("</table>")[0]
    months = [m for m in re.findall(r"<tr>\s*<td>([^<]+)</td>", table)
              if m not in ("later", "never")]
    assert len(months) == 12 and labels[1:] == [months[0], months[-1]]
    links = re.findall(r'href="([^"]*)"', page)
    assert "/console/analytics/expiry.csv" in links
    assert not [link for link in links if link.endswith("?")]


def test_months_are_named_as_months_not_as_their_first_day(analyst: TestClient) -> None:
    """A row of the IFRS table or of the cohorts is a whole month: "March 2026", which the
    first day's date ("1 Mar 2026") would read as one day of it."""
    period = {"range": "custom", "date_from": "2026-01-01", "date_to": "2026-03-02"}
    for path, table in [(PAGES[2], "liability-months"), (PAGES[0], "cohorts")]:
        page = analyst.get(path, params=period).text
        rows = page.split(f'<table id="{table}"')[1].split("</table>")[0]
        firsts = re.findall(r"<tr[^>]*>\s*<td>([^<]*)</td>", rows)
        assert firsts[:2] == ["January 2026", "February 2026"], (path, firsts)
        assert not any(first.startswith("1 ") for first in firsts), (path, firsts)


def test_the_cashiers_table_ends_with_what_no_cashier_is_recorded_for(
        client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    """The home page's tills name no cashier: their store's row holds it all, in Russian."""
    build(rt, shop, clock)
    add_staff(rt, shop.tenant_id, role="analyst", email="r@example.com", language="ru")
    sign_in(client, "r@example.com")
    page = client.get(PAGES[1], params={"range": "year_to_date"}).text
    cashiers = page.split('<table id="cashiers">')[1].split("</table>")[0]
    assert cashiers.count('<tr class="no-cashier">') == 1
    assert "Кассир не указан <span class=\"muted\">· Main street</span>" in cashiers
    assert "до того, как стал записываться кассир" in page
    assert "0038" not in page


def test_a_bad_range_is_shown_beside_its_field(analyst: TestClient) -> None:
    for path in PAGES:
        page = analyst.get(path, params={"range": "custom", "date_from": "2026-03-02"})
        assert page.status_code == 422, path
        assert 'id="e-date_to"' in page.text and "needs its last day" in page.text


def test_after_a_refused_range_the_tabs_and_downloads_name_the_range_shown(
        analyst: TestClient) -> None:
    """The page shows the default range beside the refusal; a download from it must be that
    range's file, not the refusal saved as one."""
    for path in [*PAGES, "/console"]:
        page = analyst.get(path, params={"range": "custom", "date_from": "2026-03-02"})
        assert page.status_code == 422, path
        links = re.findall(r'href="(/console/analytics/[a-z]+\.csv\?[^"]*)"', page.text)
        assert links, path
        for link in links:
            assert "range=custom" not in link, (path, link)
            answer = analyst.get(link.replace("&amp;", "&"))
            assert answer.status_code == 200, (path, link)
            assert answer.headers["content-type"].startswith("text/csv"), (path, link)


def test_every_table_downloads_as_csv(analyst: TestClient) -> None:
    for path in FILES:
        answer = analyst.get(path, params={"range": "year_to_date"})
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/csv"), path
        assert "attachment" in answer.headers["content-disposition"]
    journal = analyst.get(FILES[-1], params={"range": "year_to_date"}).text.splitlines()
    assert journal[0] == "date,account,debit_minor,credit_minor,memo"
    stores = analyst.get(FILES[2]).text.splitlines()
    assert stores[1].startswith("1,") and "Main street" in stores[1]


@pytest.mark.usefixtures("shop")
def test_without_a_session_nothing_is_shown(client: TestClient) -> None:
    """(A cashier cannot sign in to the console at all; the roles test checks each role.)"""
    for path in ["/console", *PAGES, *FILES]:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"


def test_retention_opens_on_a_year_and_says_why_where_the_stores_open_on_30_days(
        analyst: TestClient) -> None:
    retention = analyst.get(PAGES[0]).text
    assert '<option value="last_365_days" selected' in retention
    assert "opens on the last 365 days, not the last 30" in retention
    stores = analyst.get(PAGES[1]).text
    assert '<option value="last_30_days" selected' in stores
    assert "opens on the last 365 days" not in stores
