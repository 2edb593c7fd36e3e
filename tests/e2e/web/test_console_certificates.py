"""The console's gift certificates page: the report and liability, finding a certificate by
its code (a mistyped code is an error beside the field), and blocking it (owners only);
another tenant's certificate is not found."""

from __future__ import annotations

import csv
import io
import re

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import IssueOrder
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in
from tests.integration.support import Pos
from tests.integration.test_certificates import card, paying, selling


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def _issue(rt: Runtime, tenant_id: int) -> tuple[int, str]:
    series = certificates.create_series(rt, tenant_id, SeriesTerms(
        name="Winter cards", nominal_values_minor=(250_000,), valid_days=365), actor=audit.SYSTEM)
    done = certificates.issue(rt, tenant_id, IssueOrder(series_id=series.id, count=2,
                                                        amount_minor=250_000), actor=audit.SYSTEM)
    return done.certificate_ids[0], done.codes[0]


def test_find_block_and_report(client: TestClient, rt: Runtime, shop: Shop) -> None:
    certificate_id, code = _issue(rt, shop.tenant_id)
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/certificates")
    assert page.status_code == 200
    owed = format_currency(5000, "RUB", locale="en_GB")
    assert "Winter cards" in page.text and owed in page.text
    wrong = client.post("/console/certificates/lookup",
                        data={**form_of(page.text), "code": code[:-1] + "?"})
    assert wrong.status_code == 422 and 'id="code-error"' in wrong.text
    found = client.post("/console/certificates/lookup",
                        data={**form_of(page.text), "code": code.lower()})
    assert found.status_code == 200 and code[-4:] in found.text
    assert code not in found.text
    blocked = client.post(f"/console/certificates/{certificate_id}/block",
                          data={**form_of(found.text), "blocked": "yes"})
    assert blocked.status_code == 200 and 'id="found-status">blocked<' in blocked.text
    assert certificates.get_certificate(rt, shop.tenant_id, certificate_id).status == "blocked"


def test_the_liability_downloads_as_csv_and_xlsx_with_the_pages_figures(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    _issue(rt, shop.tenant_id)
    signed_in(client, rt, shop, "analyst")
    page = client.get("/console/certificates").text
    links = re.findall(r'href="(/console/analytics/certificates\.(?:csv|xlsx))[?"]', page)
    assert links == ["/console/analytics/certificates.csv",
                     "/console/analytics/certificates.xlsx"]
    rows = list(csv.reader(io.StringIO(client.get(links[0]).text)))
    assert rows[0][:2] == ["series_id", "series"] and rows[0][6] == "outstanding_minor"
    assert [r[1] for r in rows[1:]] == ["Winter cards", "wallets"]
    assert [r[6] for r in rows[1:]] == ["500000", "0"]  # two cards of 2,500.00: on the page
    book = CalamineWorkbook.from_filelike(io.BytesIO(client.get(links[1]).content))
    sheet = book.get_sheet_by_index(0).to_python()
    assert [str(c) for c in sheet[0]] == rows[0] and sheet[1][6] == 500000


def test_an_analyst_cannot_block_and_another_tenant_is_not_found(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    other = make_shop(rt, "Other Café")
    foreign_id, _ = _issue(rt, other.tenant_id)
    certificate_id, _ = _issue(rt, shop.tenant_id)
    signed_in(client, rt, shop, "analyst")
    page = client.get(f"/console/certificates/{certificate_id}")
    assert page.status_code == 200 and "Block" not in page.text
    refused = client.post(f"/console/certificates/{certificate_id}/block",
                          data={**form_of(page.text), "blocked": "yes"})
    assert refused.status_code == 403
    assert client.get(f"/console/certificates/{foreign_id}").status_code == 404


def _report_row(html: str) -> list[str]:
    row = re.search(r'<tbody>\s*<tr><td>Birthday cards</td>(.*?)</tr>', html, re.S)
    assert row, html
    return [cell.strip() for cell in re.findall(r'<td class="num">(.*?)</td>', row.group(1))]


def test_cards_not_yet_sold_are_shown_apart_and_the_figures_add_up(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    series = certificates.create_series(rt, shop.tenant_id, SeriesTerms(
        name="Birthday cards", nominal_values_minor=(2000,), valid_days=365), actor=audit.SYSTEM)
    codes = certificates.issue(rt, shop.tenant_id, IssueOrder(
        series_id=series.id, count=3, amount_minor=2000, for_sale=True), actor=audit.SYSTEM).codes
    pos = Pos(rt, shop)
    pos.send(selling(pos, "R-1", codes[0], 2000))
    pos.send(paying(pos, "R-2", [card(codes[0], 1500)]))
    signed_in(client, rt, shop, "analyst")
    page = client.get("/console/certificates")
    assert page.status_code == 200, page.text

    def euros(minor: int) -> str:
        return format_currency(minor / 100, "RUB", locale="en_GB")
    # Sold 1 for 20.00, 15.00 used, none expired, 5.00 left; 2 cards for 40.00 unsold.
    assert _report_row(page.text) == ["1", euros(2000), euros(1500), euros(0), euros(500),
                                      "2", euros(4000)]
    assert "Not sold yet" in page.text


def test_a_fresh_balance_page_link_for_the_customer_replaces_the_old_one(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    series = certificates.create_series(rt, shop.tenant_id, SeriesTerms(
        name="Winter cards", nominal_values_minor=(250_000,), valid_days=365), actor=audit.SYSTEM)
    done = certificates.issue(rt, shop.tenant_id, IssueOrder(
        series_id=series.id, count=1, amount_minor=250_000), actor=audit.SYSTEM)
    [certificate_id], [old] = done.certificate_ids, done.links
    assert client.get(old).status_code == 200
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/certificates/{certificate_id}")
    assert 'id="link-form"' in page.text and "/gift/" not in page.text
    made = client.post(f"/console/certificates/{certificate_id}/link", data=form_of(page.text))
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    link = re.search(r'id="new-link".*?<a href="(http[^"]+/gift/[^"]+)"', made.text, re.S)
    assert link is not None and 'id="link-qr"><svg' in made.text
    path = link.group(1).split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    assert client.get(old).status_code == 404
    assert "/gift/" not in client.get(f"/console/certificates/{certificate_id}").text
    trail = client.get("/console/audit")
    assert "gave a gift card a new balance page link" in trail.text
    [unsold] = certificates.issue(rt, shop.tenant_id, IssueOrder(
        series_id=series.id, count=1, amount_minor=250_000, for_sale=True),
        actor=audit.SYSTEM).certificate_ids
    refused = client.post(f"/console/certificates/{unsold}/link", data=form_of(page.text))
    assert refused.status_code == 422 and 'id="link-error"' in refused.text
    assert "/gift/" not in refused.text
    other = make_shop(rt, "Other Café")
    foreign_id, _ = _issue(rt, other.tenant_id)
    assert client.post(f"/console/certificates/{foreign_id}/link",
                       data=form_of(page.text)).status_code == 404


def test_an_analyst_cannot_make_a_new_balance_page_link(client: TestClient, rt: Runtime,
                                                         shop: Shop) -> None:
    certificate_id, _ = _issue(rt, shop.tenant_id)
    signed_in(client, rt, shop, "analyst")
    page = client.get(f"/console/certificates/{certificate_id}")
    assert page.status_code == 200 and 'id="link-form"' not in page.text
    assert client.post(f"/console/certificates/{certificate_id}/link",
                       data=form_of(page.text)).status_code == 403
