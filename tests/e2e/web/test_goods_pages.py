"""The pages of prepaid goods: the console lists goods accounts and their liability, finds a
card by its number (a mistyped one is an error beside the field) and blocks it; the customer
page shows a member's goods and their history; the terminal tops a card up and takes it as
payment for part of a line."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.domain.catalog.products import ProductDraft
from regulars.domain.stored_value.goods import PurchaseTerms
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stored_value import goods
from regulars.services.stored_value.goods import Opening
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import PHONE, form_of, member, signed_in
from tests.e2e.web.customer_support import register, sign_in_member
from tests.e2e.web.support import csrf_of
from tests.e2e.web.test_terminal import add_cashier, pair, sign_in
from tests.integration.support import Pos, phone


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def _card(rt: Runtime, shop: Shop, *, member_id: int | None = None,
          milli: int = 25_000) -> tuple[int, str | None]:
    product = products.create(rt, shop.tenant_id, ProductDraft(
        sku="A95", name="Petrol A-95", price_minor=5500), actor=audit.SYSTEM)
    opened = goods.open_account(rt, shop.tenant_id, Opening(
        product_id=product.id, unit="l",
        member=MemberRef(id=member_id) if member_id is not None else None), actor=audit.SYSTEM)
    goods.top_up(rt, Pos(rt, shop).till(), opened.account.id,
                 PurchaseTerms(quantity_milli=milli, paid_minor=milli * 55 // 10,
                               lock_price=True),
                 key=f"seed-{opened.account.id}", payload={"milli": milli})
    return opened.account.id, opened.card_number


def test_the_console_finds_blocks_and_reports_goods(client: TestClient, rt: Runtime,
                                                    shop: Shop) -> None:
    account_id, number = _card(rt, shop)
    assert number is not None
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/goods")
    assert page.status_code == 200
    assert 'id="goods-liability"' in page.text and "25 l" in page.text
    wrong = client.post("/console/goods/lookup",
                        data={**form_of(page.text), "code": number[:-1] + "?"})
    assert wrong.status_code == 422 and 'id="code-error"' in wrong.text
    found = client.post("/console/goods/lookup",
                        data={**form_of(page.text), "code": number.lower()})
    assert found.status_code == 200 and number[-4:] in found.text and number not in found.text
    assert "bought in advance" in found.text
    blocked = client.post(f"/console/goods/{account_id}/block",
                          data={**form_of(found.text), "blocked": "yes"})
    assert blocked.status_code == 200 and 'id="found-status">blocked<' in blocked.text


def test_the_goods_liability_downloads_with_the_pages_figures(client: TestClient,
                                                             rt: Runtime, shop: Shop) -> None:
    _card(rt, shop)
    signed_in(client, rt, shop, "analyst")
    page = client.get("/console/goods").text
    links = re.findall(r'href="(/console/analytics/goods\.(?:csv|xlsx))[?"]', page)
    assert links == ["/console/analytics/goods.csv", "/console/analytics/goods.xlsx"]
    rows = list(csv.reader(io.StringIO(client.get(links[0]).text)))
    assert rows == [["sku", "unit", "accounts", "units_held_milli", "value_minor",
                     "units_expired_milli", "expired_value_minor"],
                    ["A95", "l", "1", "25000", "137500", "0", "0"],
                    ["all goods", "", "1", "", "137500", "", "0"]]
    assert client.get(links[1]).status_code == 200


def test_the_customer_page_shows_the_members_goods(client: TestClient, rt: Runtime,
                                                   shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    _card(rt, shop, member_id=member_id, milli=12_500)
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/wallet")
    assert page.status_code == 200
    assert "Petrol A-95" in page.text and "12.5 l" in page.text
    assert "bought in advance" in page.text


def test_the_terminal_tops_up_a_card_and_takes_it_as_payment(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    account_id, number = _card(rt, shop, milli=10_000)
    assert number is not None
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    page = client.get("/terminal/goods")
    missing = client.post("/terminal/goods", data={
        "csrf": csrf_of(page.text), "key": "k-0", "account": number, "quantity": "",
        "paid": "100"})
    assert missing.status_code == 422 and 'id="e-quantity"' in missing.text
    assert f'value="{number}"' in missing.text  # the entered values are kept
    no_days = client.post("/terminal/goods", data={
        "csrf": csrf_of(page.text), "key": "k-0", "account": number, "quantity": "1",
        "paid": "100", "valid_days": "ten"})
    assert no_days.status_code == 422 and 'id="e-valid_days"' in no_days.text
    done = client.post("/terminal/goods", data={
        "csrf": csrf_of(page.text), "key": "k-1", "account": number, "quantity": "15",
        "paid": "825", "lock_price": "1", "valid_days": "365"})
    assert done.status_code == 200 and 'id="goods-done"' in done.text
    assert goods.get_account(rt, shop.tenant_id, account_id).balance_milli == 25_000

    sale = client.get("/terminal/sale")
    form = {"csrf": csrf_of(sale.text), "receipt_no": "T-1", "key": "c-1",
            "price": "55", "qty": "40", "sku": "A95", "name": "A-95", "category": "",
            "goods_code": number, "goods_qty": "25", "points_to_spend": "0"}
    quoted = client.post("/terminal/quote", data={**form, "goods_qty": ""})
    assert 'id="goods-option"' in quoted.text
    over = client.post("/terminal/commit", data={**form, "goods_qty": "26", "key": "c-0"},
                       follow_redirects=False)
    assert over.status_code == 422 and 'id="e-goods_qty"' in over.text
    paid = client.post("/terminal/commit", data=form, follow_redirects=False)
    assert paid.status_code == 303, paid.text
    assert goods.get_account(rt, shop.tenant_id, account_id).balance_milli == 0


def test_a_top_up_at_the_till_is_the_signed_in_cashiers_on_the_trail(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    _account_id, number = _card(rt, shop, milli=10_000)
    pair(client, shop.till_keys[0])
    cashier = add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id)
    sign_in(client, cashier)
    page = client.get("/terminal/goods")
    done = client.post("/terminal/goods", data={
        "csrf": csrf_of(page.text), "key": "k-1", "account": number, "quantity": "15",
        "paid": "825"})
    assert done.status_code == 200 and 'id="goods-done"' in done.text
    seed, at_till = audit.entries(rt, shop.tenant_id, Filters(action="goods.top_up"))[::-1]
    assert at_till.actor == f"staff {cashier}"
    assert json.loads(at_till.detail) == {"paid_minor": 825_00, "quantity_milli": 15_000,
                                          "till": shop.terminal_ids[0]}
    assert seed.actor == f"till {shop.terminal_ids[0]}"  # a till's key: the till itself


def test_another_businesss_goods_account_is_not_found_in_the_console(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    account_id, _ = _card(rt, shop)
    other = make_shop(rt, "Other Station")
    signed_in(client, rt, other, "owner")
    page = client.get("/console/goods")
    assert client.get(f"/console/goods/{account_id}").status_code == 404
    blocked = client.post(f"/console/goods/{account_id}/block",
                          data={**form_of(page.text), "blocked": "yes"})
    assert blocked.status_code == 404
    assert goods.get_account(rt, shop.tenant_id, account_id).status == "active"


def test_the_terminal_quote_shows_the_members_goods_account_unasked(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    account_id, _ = _card(rt, shop, member_id=member_id, milli=12_500)
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    sale = client.get("/terminal/sale")
    quoted = client.post("/terminal/quote", data={
        "csrf": csrf_of(sale.text), "receipt_no": "T-1", "key": "q-1", "price": "55",
        "qty": "40", "sku": "A95", "name": "A-95", "category": "",
        "member_id": str(member_id), "points_to_spend": "0"})
    assert f'data-account="{account_id}"' in quoted.text
    assert "Prepaid A95 could pay 12.5 l of 12.5" in quoted.text  # not "Goods account #1"
    assert f"#{account_id}" not in quoted.text


def test_the_terminal_sells_goods_into_the_members_account_beside_the_bill(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    _card(rt, shop)  # registers A-95 as goods, by the litre
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    sale = client.get(f"/terminal/sale?member={member_id}")
    assert 'id="f-sell_sku"' in sale.text
    form = {"csrf": csrf_of(sale.text), "receipt_no": "T-1", "key": "s-1", "price": "3",
            "qty": "1", "sku": "coffee", "name": "Coffee", "category": "",
            "member_id": str(member_id), "points_to_spend": "0", "sell_sku": "A95",
            "sell_qty": "100", "sell_paid": "5500"}
    quoted = client.post("/terminal/quote", data=form)
    assert 'class="goods-sold"' in quoted.text and "55.00 a unit" in quoted.text
    wrong = client.post("/terminal/commit", data={**form, "sell_sku": "tea", "key": "s-0"},
                        follow_redirects=False)
    assert wrong.status_code == 422 and 'id="e-sell_sku"' in wrong.text
    empty = client.post("/terminal/commit", data={**form, "sell_paid": "", "key": "s-2"},
                        follow_redirects=False)
    assert empty.status_code == 422 and 'id="e-sell_paid"' in empty.text
    done = client.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    [account] = goods.list_accounts(rt, shop.tenant_id, member_id=member_id)
    assert account.balance_milli == 100_000


def test_the_console_names_a_goods_accounts_holder(client: TestClient, rt: Runtime,
                                                   shop: Shop) -> None:
    named = member(rt, shop, first_name="Olga", last_name="Ivanova")["id"]
    unnamed = register(rt, shop.tenant_id, 2)
    _card(rt, shop, member_id=named)
    diesel = products.create(rt, shop.tenant_id, ProductDraft(
        sku="DT", name="Diesel", price_minor=6000), actor=audit.SYSTEM)
    goods.open_account(rt, shop.tenant_id, Opening(
        product_id=diesel.id, unit="l", member=MemberRef(id=unnamed)), actor=audit.SYSTEM)
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/goods").text
    assert f'<a href="/console/members/{named}">Olga Ivanova</a>' in page
    assert f'<a href="/console/members/{unnamed}">\u2022\u2022\u2022{phone(2)[-4:]}</a>' in page
    assert f">#{named}<" not in page and f">#{unnamed}<" not in page


def _coffee(rt: Runtime, shop: Shop) -> int:
    return products.create(rt, shop.tenant_id, ProductDraft(
        sku="COF", name="Coffee", price_minor=300), actor=audit.SYSTEM).id


def test_an_owner_opens_goods_accounts_from_the_console_and_the_till_sells_onto_them(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    coffee = _coffee(rt, shop)
    ann = member(rt, shop)["id"]
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/goods")
    assert 'id="goods-open"' in page.text and f'<option value="{coffee}">' in page.text
    opened = client.post("/console/goods", data={
        **form_of(page.text), "product_id": str(coffee), "unit": "cup", "phone": PHONE})
    assert opened.status_code == 200 and 'id="goods-opened"' in opened.text
    assert opened.headers["Cache-Control"] == "no-store"
    [account] = goods.list_accounts(rt, shop.tenant_id, member_id=ann)
    assert (account.product_id, account.unit, account.balance_milli) == (coffee, "cup", 0)
    bearer = client.post("/console/goods", data={**form_of(opened.text),
                                                 "product_id": str(coffee)})
    assert bearer.status_code == 200
    number = bearer.text.split('id="goods-card-number">')[1].split("<")[0]
    listed = client.get("/console/goods").text
    assert listed.count('<a href="/console/goods/') == 2 and number not in listed
    assert f'<a href="/console/members/{ann}">' in listed
    trail = audit.entries(rt, shop.tenant_id, Filters(action="goods.open"))
    assert len(trail) == 2 and all(e.actor.startswith("staff ") for e in trail)
    # The till now sells the units onto the bearer card the console opened.
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    till_page = client.get("/terminal/goods")
    done = client.post("/terminal/goods", data={
        "csrf": csrf_of(till_page.text), "key": "k-1", "account": number, "quantity": "10",
        "paid": "27", "lock_price": "1"})
    assert done.status_code == 200 and 'id="goods-done"' in done.text


def test_the_opening_form_shows_each_problem_beside_its_field(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    coffee = _coffee(rt, shop)
    other = make_shop(rt, "Other Cafe")
    foreign_product = _coffee(rt, other)
    member(rt, other, phone=phone(7))
    signed_in(client, rt, shop, "owner")
    form = form_of(client.get("/console/goods").text)
    cases = [({"product_id": str(foreign_product), "unit": "cup"}, "product_id"),
             ({"product_id": "", "unit": "cup"}, "product_id"),
             ({"product_id": str(coffee)}, "unit"),
             ({"product_id": str(coffee), "unit": "cup", "phone": phone(7)}, "phone"),
             ({"product_id": str(coffee), "unit": "cup", "card": "NOPE-0001"}, "card"),
             ({"product_id": str(coffee), "unit": "cup", "phone": "12"}, "phone"),
             ({"product_id": str(coffee), "unit": "cup", "phone": PHONE, "card": "1234"},
              "card")]
    for data, field in cases:
        refused = client.post("/console/goods", data={**form, **data})
        assert refused.status_code == 422, (data, refused.status_code)
        assert f'id="{field}-error"' in refused.text, data
        assert f'name="phone" value="{data.get("phone", "")}"' in refused.text  # kept
    assert goods.list_accounts(rt, shop.tenant_id) == ()
    assert goods.list_accounts(rt, other.tenant_id) == ()


@pytest.mark.parametrize("role", ["marketer", "analyst"])
def test_only_an_owner_opens_goods_accounts(client: TestClient, rt: Runtime, shop: Shop,
                                            role: str) -> None:
    coffee = _coffee(rt, shop)
    signed_in(client, rt, shop, role)
    page = client.get("/console/goods")
    assert page.status_code == 200 and 'action="/console/goods"' not in page.text
    refused = client.post("/console/goods", data={**form_of(page.text),
                                                  "product_id": str(coffee), "unit": "cup"})
    assert refused.status_code == 403
    assert goods.list_accounts(rt, shop.tenant_id) == ()


def _top_up_form(html: str) -> dict[str, str]:
    """The CSRF token and the token of the page's top-up form."""
    return form_of(html.split('id="goods-top-up"')[1])


def test_an_opening_form_sent_twice_opens_one_account(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    coffee = _coffee(rt, shop)
    member(rt, shop)
    signed_in(client, rt, shop, "owner")
    form = {**form_of(client.get("/console/goods").text), "product_id": str(coffee),
            "unit": "cup"}
    first = client.post("/console/goods", data=form)
    again = client.post("/console/goods", data=form)
    assert (first.status_code, again.status_code) == (200, 200)
    number = first.text.split('id="goods-card-number">')[1].split("<")[0]
    assert 'id="goods-opened"' in again.text and 'id="goods-opened-again"' in again.text
    assert 'id="goods-card-number"' not in again.text and number not in again.text
    [account] = goods.list_accounts(rt, shop.tenant_id)
    assert f'href="/console/goods/{account.id}"' in again.text
    assert len(audit.entries(rt, shop.tenant_id, Filters(action="goods.open"))) == 1
    # The same form with other values asks to check them, and gives a fresh token.
    other = client.post("/console/goods", data={**form, "phone": PHONE})
    assert other.status_code == 422 and 'id="_form-error"' in other.text
    assert form["key"] not in other.text
    member_form = {**form_of(other.text), "product_id": str(coffee), "phone": PHONE}
    assert client.post("/console/goods", data=member_form).status_code == 200
    assert len(goods.list_accounts(rt, shop.tenant_id)) == 2


def test_an_owner_tops_up_a_goods_account_from_the_console_once_per_form(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    account_id, number = _card(rt, shop)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/goods/{account_id}")
    assert f'id="top-account" name="account" value="{account_id}"' in page.text
    form = {**_top_up_form(page.text), "account": str(number), "quantity": "2.5",
            "paid": "137.50", "lock_price": "1"}
    first = client.post("/console/goods/top-up", data=form)
    again = client.post("/console/goods/top-up", data=form)
    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert 'id="goods-topped"' in again.text and 'id="found-balance">27.5 l<' in again.text
    assert goods.get_account(rt, shop.tenant_id, account_id).balance_milli == 27_500
    history = goods.history(rt, shop.tenant_id, account_id)
    assert [(ln.quantity_milli, ln.paid_minor, ln.unit_price_minor)
            for ln in history.lines][0] == (2_500, 13_750, 5_500)
    console, _seed = audit.entries(rt, shop.tenant_id, Filters(action="goods.top_up"))
    assert console.actor.startswith("staff ")
    assert json.loads(console.detail) == {"paid_minor": 13_750, "quantity_milli": 2_500}
    other = client.post("/console/goods/top-up", data={**form, "quantity": "3"})
    assert other.status_code == 422 and 'id="top_form-error"' in other.text
    by_number = client.post("/console/goods/top-up", data={
        **_top_up_form(other.text), "account": f"#{account_id}", "quantity": "1",
        "paid": "0"})
    assert by_number.status_code == 200
    assert goods.get_account(rt, shop.tenant_id, account_id).balance_milli == 28_500


def test_the_top_up_form_shows_each_problem_beside_its_field(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    account_id, number = _card(rt, shop)
    other = make_shop(rt, "Other Station")
    foreign_id, _ = _card(rt, other)
    signed_in(client, rt, shop, "owner")
    form = {**_top_up_form(client.get("/console/goods").text), "account": str(number),
            "quantity": "1", "paid": "55"}
    cases = [({"account": ""}, "account"), ({"account": "NOPE-0001"}, "account"),
             ({"account": str(foreign_id)}, "account"), ({"quantity": ""}, "quantity_milli"),
             ({"quantity": "0"}, "quantity_milli"), ({"paid": "-1"}, "paid_minor"),
             ({"valid_days": "ten"}, "valid_days")]
    for data, field in cases:
        refused = client.post("/console/goods/top-up", data={**form, **data})
        assert refused.status_code == 422, (data, refused.status_code)
        assert f'id="top_{field}-error"' in refused.text, data
    assert goods.get_account(rt, shop.tenant_id, account_id).balance_milli == 25_000
    assert goods.get_account(rt, other.tenant_id, foreign_id).balance_milli == 25_000
    blocked = client.post(f"/console/goods/{account_id}/block",
                          data={**form_of(client.get("/console/goods").text),
                                "blocked": "yes"})
    assert blocked.status_code == 200
    refused = client.post("/console/goods/top-up", data=form)
    assert refused.status_code == 422 and 'id="top_account-error"' in refused.text


@pytest.mark.parametrize("role", ["marketer", "analyst"])
def test_only_an_owner_tops_up_goods_accounts(client: TestClient, rt: Runtime, shop: Shop,
                                              role: str) -> None:
    account_id, _ = _card(rt, shop)
    signed_in(client, rt, shop, role)
    page = client.get(f"/console/goods/{account_id}")
    assert page.status_code == 200 and 'action="/console/goods/top-up"' not in page.text
    refused = client.post("/console/goods/top-up", data={
        **form_of(page.text), "account": str(account_id), "quantity": "1", "paid": "0"})
    assert refused.status_code == 403
    assert goods.get_account(rt, shop.tenant_id, account_id).balance_milli == 25_000
