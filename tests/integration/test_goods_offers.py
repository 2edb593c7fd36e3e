"""The quote lists the member's goods accounts that cover lines of the basket without being
asked (by product), with the quantity each could pay; a blocked account, one presented as a
tender already and one of a product not in the basket are left out; and a quote reads no goods
account when no line is of a product sold as goods. On both databases."""

from __future__ import annotations

import pytest

from regulars.domain.catalog.products import ProductDraft
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.domain.stored_value.goods import PurchaseTerms
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import goods
from regulars.services.stored_value.goods import Opening
from tests.conftest import make_shop
from tests.integration.support import Pos, line, statements

FUEL = line("A95", 5500, quantity_milli=40_000)
COFFEE = line("coffee", 300)


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Fuel Station"))


def _product(rt: Runtime, pos: Pos, sku: str, price: int) -> int:
    return products.create(rt, pos.tenant_id, ProductDraft(sku=sku, name=sku,
                                                           price_minor=price),
                                                           actor=audit.SYSTEM).id


def _account(rt: Runtime, pos: Pos, product_id: int, unit: str, member_id: int,
             milli: int) -> int:
    account_id = goods.open_account(rt, pos.tenant_id, Opening(
        product_id=product_id, unit=unit, member=MemberRef(id=member_id)),
                                    actor=audit.SYSTEM).account.id
    goods.top_up(rt, pos.till(), account_id,
                 PurchaseTerms(quantity_milli=milli, paid_minor=milli * 5),
                 key=f"top-{account_id}", payload={"milli": milli})
    return account_id


def test_the_quote_lists_the_members_goods_accounts_that_cover_the_lines(
        rt: Runtime, pos: Pos) -> None:
    member_id = pos.register(1)["id"]
    fuel = _account(rt, pos, _product(rt, pos, "A95", 5500), "l", member_id, 25_000)
    visits = _account(rt, pos, _product(rt, pos, "gym", 900), "visit", member_id, 5_000)
    quoted = pos.quote(member_id, (FUEL, COFFEE))
    assert quoted["goods_accounts"] == [{
        "account_id": fuel, "sku": "A95", "unit": "l", "balance_milli": 25_000,
        "could_take_milli": 25_000, "could_pay_minor": 137_500}]
    assert visits not in [o["account_id"] for o in quoted["goods_accounts"]]
    # Presented as a tender already: answered under tenders, not offered again.
    presented = to_json(checkout.quote(rt, pos.till(), Sale(
        member=MemberRef(id=member_id), lines=(FUEL, COFFEE),
        tenders=(Tender(kind=TenderKind.GOODS, account=fuel, quantity_milli=0),))))
    assert "goods_accounts" not in presented
    assert presented["tenders"][0]["could_take_milli"] == 25_000
    goods.set_blocked(rt, pos.tenant_id, fuel, blocked=True, actor=audit.SYSTEM)
    assert "goods_accounts" not in pos.quote(member_id, (FUEL, COFFEE))


def test_a_quote_without_goods_lines_reads_no_goods_account(rt: Runtime, pos: Pos) -> None:
    member_id = pos.register(1)["id"]
    _account(rt, pos, _product(rt, pos, "A95", 5500), "l", member_id, 25_000)
    other = pos.register(2)["id"]
    pos.quote(other, (COFFEE,))  # the SKUs sold as goods are remembered from here on
    with statements(rt) as seen:
        quoted = pos.quote(member_id, (COFFEE,))
    assert "goods_accounts" not in quoted
    assert not [s for s in seen if "goods_accounts" in s]
    with statements(rt) as seen:
        assert "goods_accounts" in pos.quote(member_id, (FUEL,))
    assert [s for s in seen if "goods_accounts" in s]
