"""The console's certificate series pages: an owner adds and changes a series (fixed values
or an open amount, validity, stores, single use), every problem beside its field with
nothing saved; issues certificates in bulk and sees their codes once, with a CSV of them;
unblocks a blocked certificate. An analyst or a cashier cannot; another tenant's series is
not found."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from tests.conftest import Shop, make_shop
from tests.e2e.web import test_terminal
from tests.e2e.web.console_data import form_of, signed_in
from tests.e2e.web.console_data import sign_in as console_sign_in
from tests.e2e.web.support import add_staff, csrf_of
from tests.e2e.web.test_terminal import pair, sale_form, sign_in

cashier = test_terminal.cashier  # the terminal's fixture: a cashier of the shop's store


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def _series(rt: Runtime, tenant_id: int, name: str = "Winter cards") -> int:
    return certificates.create_series(rt, tenant_id, SeriesTerms(
        name=name, nominal_values_minor=(100_000, 300_000), valid_days=365),
        actor=audit.SYSTEM).id


def _one_error(page: str, field: str) -> bool:
    return f'id="e-{field}"' in page and page.count('role="alert"') == 1


def test_add_and_change_a_series(client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/certificate-series")
    assert page.status_code == 200 and 'id="series-form"' in page.text
    form = {**form_of(page.text), "name": "Corporate", "nominal_values": "1000; x",
            "valid_days": "180", "multi_use": "1"}
    bad = client.post("/console/certificate-series", data=form)
    assert bad.status_code == 422 and _one_error(bad.text, "nominal_values")
    assert 'value="Corporate"' in bad.text
    neither = client.post("/console/certificate-series", data={**form, "nominal_values": ""})
    assert neither.status_code == 422 and _one_error(neither.text, "nominal_values")
    upside = client.post("/console/certificate-series", data={
        **form, "nominal_values": "", "min_amount": "500", "max_amount": "100"})
    assert upside.status_code == 422 and _one_error(upside.text, "min_amount")
    days = client.post("/console/certificate-series", data={**form, "valid_days": "0",
                                                            "nominal_values": "1000"})
    assert days.status_code == 422 and _one_error(days.text, "valid_days")
    foreign = make_shop(rt, "Other Café")
    store = client.post("/console/certificate-series", data={
        **form, "nominal_values": "1000", "store_ids": str(foreign.store_id)})
    assert store.status_code == 422 and _one_error(store.text, "store_ids")
    assert certificates.list_series(rt, shop.tenant_id) == ()
    added = client.post("/console/certificate-series", data={
        **form, "nominal_values": "3000; 1000,50", "store_ids": str(shop.store_id)})
    assert added.status_code == 200 and 'id="done"' in added.text
    (made,) = certificates.list_series(rt, shop.tenant_id)
    assert tuple(made.nominal_values_minor) == (100_050, 300_000) and made.multi_use
    assert tuple(made.store_ids) == (shop.store_id,) and made.valid_days == 180
    edit = client.get(f"/console/certificate-series/{made.id}")
    assert 'value="1000.50; 3000.00"' in edit.text
    changed = client.post(f"/console/certificate-series/{made.id}", data={
        **form_of(edit.text), "name": "Corporate open", "min_amount": "500",
        "max_amount": "20000", "valid_days": "90"})
    assert changed.status_code == 200 and 'id="done"' in changed.text
    after = certificates.get_series(rt, shop.tenant_id, made.id)
    assert (tuple(after.nominal_values_minor), after.min_minor, after.max_minor) == (
        (), 50_000, 2_000_000)
    assert not after.multi_use and not after.active and not after.store_ids


def test_issue_shows_the_codes_once_with_a_csv(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    series_id = _series(rt, shop.tenant_id)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/certificate-series/{series_id}")
    form = {**form_of(page.text), "count": "3", "amount": "1000", "order_ref": "PO-7"}
    for field, typed in (("count", "0"), ("count", "1001"), ("amount", "999")):
        bad = client.post(f"/console/certificate-series/{series_id}/issue",
                          data={**form, field: typed})
        assert bad.status_code == 422 and _one_error(bad.text, field), (field, typed)
    assert certificates.list_certificates(rt, shop.tenant_id) == ()
    done = client.post(f"/console/certificate-series/{series_id}/issue", data=form)
    assert done.status_code == 200 and done.headers["cache-control"] == "no-store"
    codes = re.findall(r"<code>([0-9A-Z-]+)</code>", done.text)
    assert len(codes) == 3 and 'id="once"' in done.text
    issued = certificates.list_certificates(rt, shop.tenant_id)
    assert {c.order_ref for c in issued} == {"PO-7"} and {c.code_ending for c in issued} == {
        c[-4:] for c in codes}
    href = re.search(r'id="csv" href="data:text/csv;charset=utf-8,([^"]+)"', done.text)
    assert href is not None
    rows = list(csv.DictReader(io.StringIO(unquote(href.group(1)))))
    assert [r["code"] for r in rows] == codes
    assert {r["amount_minor"] for r in rows} == {"100000"}
    assert all("/gift/" in r["link"] and r["link"] in done.text for r in rows)
    for code in codes:
        assert certificates.look_up(rt, shop.tenant_id, code).balance_minor == 100_000
        assert code not in client.get(f"/console/certificate-series/{series_id}").text


def test_a_form_sent_again_issues_the_order_once(client: TestClient, rt: Runtime,
                                                shop: Shop) -> None:
    series_id = _series(rt, shop.tenant_id)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/certificate-series/{series_id}")
    form = {**form_of(page.text), "count": "2", "amount": "1000", "order_ref": "PO-8"}
    assert form["key"]
    path = f"/console/certificate-series/{series_id}/issue"
    first = client.post(path, data=form)
    codes = re.findall(r"<code>([0-9A-Z-]+)</code>", first.text)
    assert first.status_code == 200 and len(codes) == 2
    again = client.post(path, data=form)
    assert again.status_code == 200 and again.headers["cache-control"] == "no-store"
    assert 'id="repeated"' in again.text and "<code>" not in again.text
    assert 'id="csv"' not in again.text and "/gift/" not in again.text
    assert all(code not in again.text for code in codes)
    issued = certificates.list_certificates(rt, shop.tenant_id)
    assert len(issued) == 2
    assert f"{min(c.id for c in issued)} to {max(c.id for c in issued)}" in again.text
    changed = client.post(path, data={**form, "count": "5"})
    assert changed.status_code == 422 and "issued an order already" in changed.text
    assert len(certificates.list_certificates(rt, shop.tenant_id)) == 2
    fresh = form_of(changed.text)["key"]
    assert fresh and fresh != form["key"]
    other = client.post(path, data={**form, "count": "5", "key": fresh})
    assert other.status_code == 200 and len(re.findall(r"<code>", other.text)) == 5
    assert len(certificates.list_certificates(rt, shop.tenant_id)) == 7
    another = client.get(f"/console/certificate-series/{series_id}")
    assert form_of(another.text)["key"] not in (form["key"], fresh)


def test_unblock_a_blocked_certificate(client: TestClient, rt: Runtime, shop: Shop) -> None:
    series_id = _series(rt, shop.tenant_id)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/certificate-series/{series_id}")
    client.post(f"/console/certificate-series/{series_id}/issue",
                data={**form_of(page.text), "count": "1", "amount": "1000"})
    (issued,) = certificates.list_certificates(rt, shop.tenant_id)
    for wanted, status in (("yes", "blocked"), ("no", "active")):
        done = client.post(f"/console/certificates/{issued.id}/block",
                           data={**form_of(page.text), "blocked": wanted})
        assert done.status_code == 200 and f'id="found-status">{status}<' in done.text
        assert ("Unblock" in done.text) is (status == "blocked")
        assert certificates.get_certificate(rt, shop.tenant_id, issued.id).status == status


@pytest.mark.parametrize("role", ["analyst", "cashier"])
def test_others_cannot_and_another_tenant_is_not_found(
        client: TestClient, rt: Runtime, shop: Shop, role: str) -> None:
    series_id = _series(rt, shop.tenant_id)
    foreign_id = _series(rt, make_shop(rt, "Other Café").tenant_id, "Theirs")
    signed_in(client, rt, shop, "owner")
    assert client.get(f"/console/certificate-series/{foreign_id}").status_code == 404
    owner_page = client.get("/console/certificate-series")
    assert client.post(f"/console/certificate-series/{foreign_id}/issue", data={
        **form_of(owner_page.text), "count": "1", "amount": "1000"}).status_code == 404
    assert client.post(f"/console/certificate-series/{foreign_id}", data={
        **form_of(owner_page.text), "name": "Mine", "nominal_values": "10",
        "valid_days": "5"}).status_code == 404
    client.cookies.delete("rg_console", path="/console")
    if role == "analyst":
        signed_in(client, rt, shop, role)
    else:  # a cashier's sign-in to the console is refused
        add_staff(rt, shop.tenant_id, role=role, email="till@example.com")
        login = client.get("/console/login")
        assert client.post("/console/login", data={
            "email": "till@example.com", "password": "correct horse",
            "csrf": csrf_of(login.text)}).status_code == 422
    page = client.get(f"/console/certificate-series/{series_id}", follow_redirects=False)
    if role == "analyst":
        assert page.status_code == 200 and 'id="issue-form"' not in page.text
        assert 'id="series-form"' not in page.text and "Theirs" not in page.text
    else:
        assert page.status_code == 303
    form = {**form_of(owner_page.text), **(form_of(page.text) if role == "analyst" else {})}
    for path, data in ((f"/{series_id}/issue", {"count": "1", "amount": "1000"}),
                       (f"/{series_id}", {"name": "Mine", "nominal_values": "10",
                                          "valid_days": "5"}),
                       ("", {"name": "Mine", "nominal_values": "10", "valid_days": "5"})):
        refused = client.post("/console/certificate-series" + path, data={**form, **data},
                              follow_redirects=False)
        assert refused.status_code in (303, 403), path
    assert certificates.list_certificates(rt, shop.tenant_id) == ()
    assert [s.name for s in certificates.list_series(rt, shop.tenant_id)] == ["Winter cards"]


def test_cards_issued_for_the_tills_are_sold_there_and_become_active(
        client: TestClient, rt: Runtime, shop: Shop, cashier: int) -> None:
    series_id = _series(rt, shop.tenant_id)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/certificate-series/{series_id}")
    assert "cards for the tills to sell (activated when sold)" in page.text
    assert "active now (corporate order)" in page.text
    done = client.post(f"/console/certificate-series/{series_id}/issue", data={
        **form_of(page.text), "count": "1", "amount": "1000", "for_sale": "1"})
    assert done.status_code == 200, done.text
    # Valid from its sale: no date yet, neither on the page nor in the CSV.
    assert "valid 365 days from its sale" in done.text and "valid until" not in done.text
    [row] = list(csv.DictReader(io.StringIO(unquote(
        re.findall(r'id="csv" href="data:text/csv;charset=utf-8,([^"]+)"', done.text)[0]))))
    assert row["expires_at"] == ""
    [code] = re.findall(r"<code>([0-9A-Z-]+)</code>", done.text)
    assert certificates.look_up(rt, shop.tenant_id, code).status == "pending"
    found = client.post("/console/certificates/lookup",
                        data={**form_of(client.get("/console/certificates").text),
                              "code": code})
    assert 'id="found-valid">365 days from its sale<' in found.text
    pair(client, shop.till_keys[0])
    sign_in(client, cashier)
    sale = client.get("/terminal/sale")
    sold = client.post("/terminal/commit", data=sale_form(
        sale.text, price="5", card_code=code), follow_redirects=False)
    assert sold.status_code == 303, sold.text
    card = certificates.look_up(rt, shop.tenant_id, code)
    assert (card.status, card.balance_minor) == ("active", 100_000)


FOR_SALE = {"en": ("{} card for sale of", "{} cards for sale of",
                   "Each is valid 365 days from its sale."),
            "ru": ("{} карта для продажи", "{} карты для продажи",
                   "Каждая действует 365 дней с продажи."),
            "uk": ("{} картка для продажу", "{} картки для продажу",
                   "Кожна діє 365 днів від продажу."),
            "bg": ("{} карта за продажба", "{} карти за продажба",
                   "Всяка е валидна 365 дни от продажбата.")}
CORPORATE = {"en": ("{} certificate of", "{} certificates of"),
             "ru": ("{} сертификат номиналом", "{} сертификата номиналом"),
             "uk": ("{} сертифікат номіналом", "{} сертифікати номіналом"),
             "bg": ("{} сертификат на стойност", "{} сертификата на стойност")}


@pytest.mark.parametrize("language", ["en", "ru", "uk", "bg"])
def test_the_issued_count_takes_its_own_plural_form(
        client: TestClient, rt: Runtime, shop: Shop, language: str) -> None:
    series_id = _series(rt, shop.tenant_id)
    email = f"owner-{shop.tenant_id}@example.com"
    add_staff(rt, shop.tenant_id, role="owner", email=email, language=language)
    console_sign_in(client, email)
    path = f"/console/certificate-series/{series_id}"
    for count, form_index in ((1, 0), (2, 1)):
        for_sale = client.post(f"{path}/issue", data={
            **form_of(client.get(path).text), "count": str(count), "amount": "1000",
            "for_sale": "1"}).text
        said = re.search(r'<p id="issued">([^<]*)</p>', for_sale)
        assert said is not None
        assert FOR_SALE[language][form_index].format(count) in said.group(1), said.group(1)
        assert FOR_SALE[language][2] in said.group(1)  # the days count on their own
        corporate = client.post(f"{path}/issue", data={
            **form_of(client.get(path).text), "count": str(count), "amount": "1000",
            "order_ref": f"PO-{count}"}).text
        said = re.search(r'<p id="issued">([^<]*)</p>', corporate)
        assert said is not None
        assert CORPORATE[language][form_index].format(count) in said.group(1), said.group(1)


def test_the_value_of_each_is_chosen_from_the_series_or_typed_within_its_range(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    fixed = _series(rt, shop.tenant_id)
    open_id = certificates.create_series(rt, shop.tenant_id, SeriesTerms(
        name="Open", min_minor=50_000, max_minor=2_000_000, valid_days=365),
        actor=audit.SYSTEM).id
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/certificate-series/{fixed}")
    choice = page.text.split('<select id="f-amount" name="amount"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([0-9.]+)"', choice) == ["1000.00", "3000.00"]
    typed = client.get(f"/console/certificate-series/{open_id}")
    hint = typed.text.split('for="f-amount"')[1].split("</label>")[0]
    assert "500" in hint and "20,000" in hint
    bad = client.post(f"/console/certificate-series/{open_id}/issue",
                      data={**form_of(typed.text), "count": "1", "amount": "ten"})
    assert bad.status_code == 422 and _one_error(bad.text, "amount")
    done = client.post(f"/console/certificate-series/{fixed}/issue",
                       data={**form_of(page.text), "count": "1", "amount": "3000.00"})
    assert done.status_code == 200, done.text
    assert [c.nominal_minor for c in certificates.list_certificates(rt, shop.tenant_id)] == [
        300_000]
