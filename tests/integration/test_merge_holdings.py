"""A member merge moves the wallet, the goods accounts and the stamp cards along with the
points, each through one ``merge`` entry per asset, once per key; refunds of the source's
receipts afterwards restore into the accounts that now hold the lots; on both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.tables import entries
from regulars.domain.catalog.products import ProductDraft
from regulars.domain.ledger.assets import money
from regulars.domain.ledger.assets import stamps as stamps_asset
from regulars.domain.stamps.cards import Reward, StampCard
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.domain.stored_value.goods import PurchaseTerms
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stamps import cards
from regulars.services.stored_value import goods, wallets
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import make_shop
from tests.integration.support import Pos, line

FUEL = line("A95", 5500, quantity_milli=10_000)
COFFEE = line("CAP-M", 350, 3, category="coffee")


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Merge Station"))


def product(rt: Runtime, pos: Pos, sku: str) -> int:
    return products.create(rt, pos.tenant_id, ProductDraft(sku=sku, name=sku,
                                                           price_minor=5500), actor=audit.SYSTEM).id


def goods_account(rt: Runtime, pos: Pos, member_id: int, product_id: int, milli: int) -> int:
    opened = goods.open_account(rt, pos.tenant_id, Opening(
        product_id=product_id, unit="l", member=MemberRef(id=member_id)), actor=audit.SYSTEM)
    goods.top_up(rt, pos.till(), opened.account.id, PurchaseTerms(
        quantity_milli=milli, paid_minor=milli * 55 // 10),
        key=f"top-{opened.account.id}", payload={"m": milli})
    return opened.account.id


def wallet(rt: Runtime, pos: Pos, member_id: int) -> int:
    """The member's own wallet account (a merged member's page would show the target's)."""
    with rt.db.read() as conn:
        return ledger_ops.account_state(conn, pos.tenant_id, member_id,
                                        asset=money("RUB")).balance


def stamps(rt: Runtime, pos: Pos, member_id: int, card_id: int) -> int:
    with rt.db.read() as conn:
        found = ledger_ops.account_state(conn, pos.tenant_id, member_id,
                                         asset=stamps_asset(card_id))
    return found.balance


def merge_entries(rt: Runtime, pos: Pos) -> int:
    with rt.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(entries).where(
            entries.c.tenant_id == pos.tenant_id, entries.c.code == "merge")).scalar_one())


def test_a_merge_moves_wallet_goods_and_stamps_once(rt: Runtime, pos: Pos) -> None:
    card = cards.create(rt, pos.tenant_id, StampCard(
        id=0, name="Coffee", categories=frozenset({"coffee"}), per_card=10,
        reward=Reward.FREE_ITEM), audit.staff(None))
    fuel, diesel = product(rt, pos, "A95"), product(rt, pos, "DT")
    source, target = pos.register(1)["id"], pos.register(2)["id"]
    wallets.top_up(rt, pos.till(), MemberRef(id=source), amount_minor=3000,
                   paid_by=PaidBy.CASH, key="w-1", payload={})
    wallets.top_up(rt, pos.till(), MemberRef(id=target), amount_minor=500,
                   paid_by=PaidBy.CASH, key="w-2", payload={})
    source_fuel = goods_account(rt, pos, source, fuel, 20_000)
    target_fuel = goods_account(rt, pos, target, fuel, 5_000)
    source_diesel = goods_account(rt, pos, source, diesel, 7_000)
    # The source pays part of a receipt from its wallet and its fuel account, and earns stamps.
    prepared = pos.prepare(source, (FUEL, COFFEE), receipt="R-1")
    tenders = (Tender(kind=TenderKind.GOODS, account=source_fuel, quantity_milli=10_000),
               Tender(kind=TenderKind.WALLET, amount_minor=1000))
    paid = pos.send(replace(prepared, request=replace(prepared.request, sale=replace(
        prepared.request.sale, tenders=tenders)), payload={**prepared.payload, "t": 1})).body
    assert stamps(rt, pos, source, card.id) == 3

    first = member_ledger.merge(rt, pos.tenant_id, source_id=source, target_id=target, key="m")
    again = member_ledger.merge(rt, pos.tenant_id, source_id=source, target_id=target, key="m")
    assert again == first
    assert merge_entries(rt, pos) == 5  # points, wallet, fuel, diesel, stamps
    assert (wallet(rt, pos, source), wallet(rt, pos, target)) == (0, 2500)
    assert goods.get_account(rt, pos.tenant_id, source_fuel).balance_milli == 0
    assert goods.get_account(rt, pos.tenant_id, source_fuel).status == "blocked"
    assert goods.get_account(rt, pos.tenant_id, target_fuel).balance_milli == 15_000
    diesel_now = goods.get_account(rt, pos.tenant_id, source_diesel)
    assert (diesel_now.member_id, diesel_now.balance_milli) == (target, 7_000)
    assert (stamps(rt, pos, source, card.id), stamps(rt, pos, target, card.id)) == (0, 3)
    assert ledger_admin.check(rt) == []

    # Refunding the source's receipt now gives back into the target's accounts.
    pos.refund(paid["receipt"]["id"], None, key="r-1")
    assert wallet(rt, pos, target) == 3500
    assert goods.get_account(rt, pos.tenant_id, target_fuel).balance_milli == 25_000
    assert stamps(rt, pos, target, card.id) == 0
    assert ledger_admin.check(rt) == []
