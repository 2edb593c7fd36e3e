"""Goods bought with a validity: what is left of a purchase when its days are over leaves
through the ledger's expiry (one ``expire`` entry per goods account, once), a till can no
longer take it, and the goods report shows it as breakage at the average price paid; units
bought without a validity stay. On both databases."""

from __future__ import annotations

import pytest

from regulars.domain.catalog.products import ProductDraft
from regulars.domain.stored_value.goods import PurchaseTerms
from regulars.errors import InvalidInput
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from regulars.services.stored_value import expiry, goods
from regulars.services.stored_value.goods import Opening
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Coffee Corner"))


@pytest.fixture
def coffee(rt: Runtime, pos: Pos) -> int:
    return products.create(rt, pos.tenant_id, ProductDraft(sku="coffee", name="Coffee",
                                                           price_minor=340), actor=audit.SYSTEM).id


def buy(rt: Runtime, pos: Pos, account_id: int, cups: int, *, days: int | None,
        key: str) -> None:
    goods.top_up(rt, pos.till(), account_id,
                 PurchaseTerms(quantity_milli=cups * 1000, paid_minor=cups * 300,
                               valid_days=days),
                 key=key, payload={"cups": cups, "days": days})


def test_a_purchase_past_its_days_expires_once_and_the_report_shows_the_breakage(
        rt: Runtime, pos: Pos, coffee: int, clock: FakeClock) -> None:
    account_id = goods.open_account(rt, pos.tenant_id,
                                    Opening(product_id=coffee, unit="cup"),
                                    actor=audit.SYSTEM).account.id
    buy(rt, pos, account_id, 10, days=30, key="ten")
    buy(rt, pos, account_id, 2, days=None, key="two")
    clock.advance(days=29)
    assert expiry.expire(rt).goods_milli == 0
    assert goods.get_account(rt, pos.tenant_id, account_id).balance_milli == 12000
    clock.advance(days=2)
    report = expiry.expire(rt)
    assert (report.goods_accounts, report.goods_milli) == (1, 10000)
    assert expiry.expire(rt).goods_milli == 0  # a second run writes nothing
    assert goods.get_account(rt, pos.tenant_id, account_id).balance_milli == 2000
    codes = [line.code for line in goods.history(rt, pos.tenant_id, account_id).lines]
    assert codes.count("expire") == 1
    [row] = goods.liability(rt, pos.tenant_id)
    # 12 cups bought for 36.00: 3.00 a cup; 2 held, 10 expired unused.
    assert (row.balance_milli, row.value_minor, row.expired_milli, row.expired_minor) == (
        2000, 600, 10000, 3000)
    assert ledger_admin.check(rt) == []


def test_the_expiry_command_path_expires_goods_beside_points(
        rt: Runtime, pos: Pos, coffee: int, clock: FakeClock) -> None:
    account_id = goods.open_account(rt, pos.tenant_id,
                                    Opening(product_id=coffee, unit="cup"),
                                    actor=audit.SYSTEM).account.id
    buy(rt, pos, account_id, 3, days=1, key="three")
    clock.advance(days=1)
    assert ledger_admin.expire(rt).points == 0  # the points run leaves goods alone
    assert goods.get_account(rt, pos.tenant_id, account_id).balance_milli == 3000
    assert expiry.expire(rt).goods_milli == 3000
    assert goods.get_account(rt, pos.tenant_id, account_id).balance_milli == 0


@pytest.mark.parametrize("days", [0, -1, 3661])
def test_a_validity_out_of_range_is_refused_naming_the_field(days: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        PurchaseTerms(quantity_milli=1000, paid_minor=0, valid_days=days)
    assert refused.value.field == "valid_days"

