"""Prepaid goods sold at the till as a line of the commit (``goods_sold``): activated by the
commit that pays for it, into a bearer card or the member's account (opened by the first
purchase), at the unit price locked that day, earning no points and taking no discount;
shown by the quote; taken back once by the refund or void that leaves nothing of the receipt,
refused when the units were used; a retry under the same Idempotency-Key answers the same
and writes nothing more; on both databases."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from regulars.domain.audit.chain import Filters
from regulars.domain.catalog.products import ProductDraft
from regulars.errors import InvalidInput, RegularsError
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import goods
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.goods_sales import GoodsSale
from tests.conftest import make_shop
from tests.integration.support import Commit, Pos, count_rows, line, run_together
from tests.integration.test_goods_accounts import goods_tender, paying

BASKET = (line("coffee", 300), line("cake", 450))
# 100 l of A-95 sold for 5 500.00: 55.00 a litre, locked.
HUNDRED_LITRES = GoodsSale(sku="A95", quantity_milli=100_000, amount_minor=550_000)


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Fuel Station"))


@pytest.fixture
def fuel(rt: Runtime, pos: Pos) -> int:
    """A-95 sold as goods by the litre (registered by a first bearer card)."""
    product_id = products.create(rt, pos.tenant_id, ProductDraft(
        sku="A95", name="Petrol A-95", price_minor=5500), actor=audit.SYSTEM).id
    goods.open_account(rt, pos.tenant_id, Opening(product_id=product_id, unit="l"),
                       actor=audit.SYSTEM)
    return product_id


def _json(sale: GoodsSale) -> dict[str, Any]:
    return {"sku": sale.sku, "quantity_milli": sale.quantity_milli,
            "amount": sale.amount_minor, "account": sale.account, "code": sale.code}


def selling(pos: Pos, receipt: str, sales: list[GoodsSale], *,
            member_id: int | None = None) -> Commit:
    prepared = pos.prepare(member_id, BASKET, receipt=receipt)
    return replace(prepared, request=replace(prepared.request, goods_sold=tuple(sales)),
                   payload={**prepared.payload, "goods_sold": [_json(s) for s in sales]})


def balance(rt: Runtime, pos: Pos, account_id: int) -> int:
    return goods.get_account(rt, pos.tenant_id, account_id).balance_milli


@pytest.mark.usefixtures("fuel")
def test_the_quote_shows_the_sale_and_the_commit_opens_the_members_account_at_the_locked_price(
        rt: Runtime, pos: Pos) -> None:
    member = pos.register(1)["id"]
    quoted = to_json(checkout.quote(rt, pos.till(), Sale(member=MemberRef(id=member),
                                                         lines=BASKET),
                                    goods_sold=(HUNDRED_LITRES,)))
    assert quoted["goods_sold"] == [{
        "sku": "A95", "unit": "l", "account_id": None, "quantity_milli": 100_000,
        "amount_minor": 550_000, "unit_price_minor": 5500, "balance_after_milli": 100_000}]
    plain = pos.commit(member, BASKET, receipt="R-plain")
    body = pos.send(selling(pos, "R-1", [HUNDRED_LITRES], member_id=member)).body
    [sold] = body["goods_sold"]
    assert (sold["quantity_milli"], sold["unit_price_minor"], sold["balance_milli"]) \
        == (100_000, 5500, 100_000)
    # Paid apart from the lines: no points, no discount, no change to what the lines cost.
    assert body["points_earned"] == plain["points_earned"]
    assert body["paid_minor"] == plain["paid_minor"]
    [account] = goods.list_accounts(rt, pos.tenant_id, member_id=member)
    assert account.id == sold["account_id"] and account.balance_milli == 100_000
    [top_up] = [x for x in goods.history(rt, pos.tenant_id, account.id).lines
                if x.code == "top_up"]
    assert (top_up.paid_minor, top_up.unit_price_minor) == (550_000, 5500)
    # A second purchase goes into the same account, and the quote adds it up.
    again = to_json(checkout.quote(rt, pos.till(), Sale(member=MemberRef(id=member),
                                                        lines=BASKET),
                                   goods_sold=(HUNDRED_LITRES,)))
    assert again["goods_sold"][0]["account_id"] == account.id
    assert again["goods_sold"][0]["balance_after_milli"] == 200_000
    assert ledger_admin.check(rt) == []


def test_a_retry_with_the_same_key_answers_the_same_and_sells_once(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    opened = goods.open_account(rt, pos.tenant_id, Opening(product_id=fuel), actor=audit.SYSTEM)
    assert opened.card_number is not None
    sale = replace(HUNDRED_LITRES, code=opened.card_number)
    first = pos.send(selling(pos, "R-1", [sale]))
    second = pos.send(selling(pos, "R-1", [sale]))
    assert second.replayed and second.body == first.body
    assert balance(rt, pos, opened.account.id) == 100_000
    # On the audit trail once, as a top-up of the account by the till, with the receipt.
    [sold] = audit.entries(rt, pos.tenant_id, Filters(action="goods.top_up"))
    assert (sold.actor, sold.subject) == (f"till {pos.shop.terminal_ids[0]}",
                                          f"goods account {opened.account.id}")
    assert json.loads(sold.detail) == {
        "paid_minor": 550_000, "quantity_milli": 100_000,
        "receipt_id": first.body["receipt"]["id"], "till": pos.shop.terminal_ids[0]}
    with pytest.raises(RegularsError):  # the same key with another sale is refused
        pos.send(selling(pos, "R-1", [replace(sale, quantity_milli=1000)]))
    assert balance(rt, pos, opened.account.id) == 100_000


def test_bad_sales_are_422s_naming_the_field_and_write_nothing(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    products.create(rt, pos.tenant_id, ProductDraft(sku="tea", name="Tea", price_minor=200),
                    actor=audit.SYSTEM)
    opened = goods.open_account(rt, pos.tenant_id, Opening(product_id=fuel), actor=audit.SYSTEM)
    goods.set_blocked(rt, pos.tenant_id, opened.account.id, blocked=True, actor=audit.SYSTEM)
    before = count_rows(rt, pos.tenant_id)
    cases = [
        ([replace(HUNDRED_LITRES, sku="tea")], None, "goods_sold.0.sku"),
        ([HUNDRED_LITRES], None, "goods_sold.0"),
        ([replace(HUNDRED_LITRES, account=10**9)], None, "goods_sold.0.account"),
        ([replace(HUNDRED_LITRES, account=opened.account.id)], None, "goods_sold.0.account"),
        ([replace(HUNDRED_LITRES, code="0000-0000-0000-0000")], None, "goods_sold.0.code"),
    ]
    for index, (sales, member, field) in enumerate(cases):
        with pytest.raises(InvalidInput) as refused:
            pos.send(selling(pos, f"R-{index}", sales, member_id=member))
        assert refused.value.field == field
    assert count_rows(rt, pos.tenant_id) == before


@pytest.mark.usefixtures("fuel")
def test_refunding_the_receipt_takes_back_unused_units_once_and_refuses_used_ones(
        rt: Runtime, pos: Pos) -> None:
    member = pos.register(1)["id"]
    first = pos.send(selling(pos, "R-1", [HUNDRED_LITRES], member_id=member)).body
    account_id = first["goods_sold"][0]["account_id"]
    # Some lines back: the goods stay.
    partial = pos.refund(first["receipt"]["id"], [(1, 1000)], key="lines")
    assert "goods_taken_back" not in partial
    assert balance(rt, pos, account_id) == 100_000
    # The whole receipt back: its goods come back, once.
    second = pos.send(selling(pos, "R-2", [HUNDRED_LITRES], member_id=member)).body
    done = pos.refund(second["receipt"]["id"], None, key="all")
    assert done["goods_taken_back"] == 1
    assert pos.refund(second["receipt"]["id"], None, key="all") == done
    assert balance(rt, pos, account_id) == 100_000
    # 60 l of them used: the whole refund of the sale is refused, nothing moves.
    pos.send(paying(pos, "R-3", [goods_tender(60_000, account=account_id)], member_id=member,
                    lines=(line("A95", 5500, quantity_milli=60_000),)))
    with pytest.raises(RegularsError, match="used already"):
        pos.refund(first["receipt"]["id"], None, key="rest")
    assert balance(rt, pos, account_id) == 40_000
    assert ledger_admin.check(rt) == []


def test_a_void_undoes_the_sale(rt: Runtime, pos: Pos, fuel: int) -> None:
    opened = goods.open_account(rt, pos.tenant_id, Opening(product_id=fuel), actor=audit.SYSTEM)
    assert opened.card_number is not None
    body = pos.send(selling(pos, "R-1", [replace(HUNDRED_LITRES, code=opened.card_number),
                                         replace(HUNDRED_LITRES, code=opened.card_number,
                                                 quantity_milli=5000, amount_minor=27_500)]
                            )).body
    assert [s["balance_milli"] for s in body["goods_sold"]] == [100_000, 105_000]
    voided = pos.void(body["receipt"]["id"], key="void")
    assert voided["goods_taken_back"] == 2
    assert balance(rt, pos, opened.account.id) == 0
    assert ledger_admin.check(rt) == []


@pytest.mark.usefixtures("fuel")
def test_tills_selling_to_a_member_at_once_open_one_account_and_add_every_sale(
        rt: Runtime, pos: Pos) -> None:
    member = pos.register(1)["id"]
    sale = replace(HUNDRED_LITRES, quantity_milli=10_000, amount_minor=55_000)
    results = run_together(6, lambda n: pos.send(selling(pos, f"R-{n}", [sale],
                                                         member_id=member)).body)
    assert not [r for r in results if isinstance(r, RegularsError)], results
    [account] = goods.list_accounts(rt, pos.tenant_id, member_id=member)
    assert account.balance_milli == 60_000
    assert ledger_admin.check(rt) == []
