"""Prepaid goods accounts: opened for a member or as a bearer card, topped up (with the price
of the day locked), taken in part as a tender by product code, given back once by refunds and
voids, refused with a 422 naming the field (nothing written), and never overdrawn by twenty
tills at once; on both databases."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from regulars.domain.catalog.products import ProductDraft
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.domain.stored_value.goods import PurchaseTerms, units_back
from regulars.errors import InvalidInput, NotFound, RegularsError
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import goods, wallets
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import make_shop
from tests.integration.support import Commit, Pos, count_rows, line, run_together

# 40 l of A-95 at 55.00 a litre and a coffee: 2 200.00 + 3.00 to pay.
FUEL = line("A95", 5500, quantity_milli=40_000)
BASKET = (FUEL, line("coffee", 300))


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Fuel Station"))


@pytest.fixture
def fuel(rt: Runtime, pos: Pos) -> int:
    return products.create(rt, pos.tenant_id, ProductDraft(sku="A95", name="Petrol A-95",
                                                           price_minor=5500), actor=audit.SYSTEM).id


def open_card(rt: Runtime, pos: Pos, product_id: int, litres: int = 25,
              **opening: Any) -> tuple[int, str | None]:
    opened = goods.open_account(rt, pos.tenant_id, Opening(product_id=product_id, unit="l",
                                                           **opening), actor=audit.SYSTEM)
    if litres:
        top_up(rt, pos, opened.account.id, litres * 1000)
    return opened.account.id, opened.card_number


def top_up(rt: Runtime, pos: Pos, account_id: int, milli: int, *, key: str | None = None,
           paid: int = 0, lock: bool = False) -> dict[str, Any]:
    terms = PurchaseTerms(quantity_milli=milli, paid_minor=paid or milli * 55 // 10,
                          lock_price=lock)
    return goods.top_up(rt, pos.till(), account_id, terms,
                        key=key or f"top-{account_id}-{milli}-{paid}",
                        payload={"quantity_milli": milli, "paid": paid, "lock": lock}).body


def goods_tender(milli: int, *, account: int | None = None, code: str | None = None) -> Tender:
    return Tender(kind=TenderKind.GOODS, account=account, code=code, quantity_milli=milli)


def paying(pos: Pos, receipt: str, tenders: list[Tender], *, member_id: int | None = None,
           till: int = 0, lines: tuple[Any, ...] = BASKET) -> Commit:
    prepared = pos.prepare(member_id, lines, receipt=receipt, till=till)
    payload = {**prepared.payload, "tenders": [
        {"kind": t.kind.value, "code": t.code, "account": t.account,
         "quantity_milli": t.quantity_milli, "amount": t.amount_minor} for t in tenders]}
    return replace(prepared, request=replace(
        prepared.request, sale=replace(prepared.request.sale, tenders=tuple(tenders))),
        payload=payload)


def balance(rt: Runtime, pos: Pos, account_id: int) -> int:
    return goods.get_account(rt, pos.tenant_id, account_id).balance_milli


def test_a_line_of_40_litres_takes_the_25_the_card_holds_and_the_rest_is_paid(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    account_id, number = open_card(rt, pos, fuel)
    assert number is not None
    quoted = to_json(checkout.quote(rt, pos.till(), Sale(
        member=None, lines=BASKET, tenders=(goods_tender(0, code=number),))))
    assert quoted["tenders"] == [{
        "tender_no": 0, "kind": "goods", "could_pay_minor": 137500,
        "code_ending": number[-4:], "balance_milli": 25000, "could_take_milli": 25000,
        "unit": "l"}]
    body = pos.send(paying(pos, "R-1", [goods_tender(25000, code=number)])).body
    assert body["tenders"] == [{"tender_no": 0, "kind": "goods", "amount_minor": 137500,
                                "code_ending": number[-4:], "quantity_milli": 25000,
                                "balance_milli": 0, "unit": "l"}]
    assert balance(rt, pos, account_id) == 0
    assert ledger_admin.check(rt) == []


def test_goods_and_a_wallet_share_a_receipt_and_a_refund_returns_each_once(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    member_id = pos.register(1)["id"]
    account_id, _ = open_card(rt, pos, fuel, litres=30, member=MemberRef(id=member_id))
    body = pos.send(paying(pos, "R-1", [goods_tender(20000, account=account_id)],
                           member_id=member_id)).body
    receipt_id = body["receipt"]["id"] if "receipt" in body else body["receipt_id"]
    assert balance(rt, pos, account_id) == 10000
    # Half of the fuel line back: 10 l return to the account, once.
    refund = pos.refund(receipt_id, [(1, 20000)], key="half")
    assert [(t["kind"], t["quantity_milli"], t["balance_milli"]) for t in refund["tenders"]] \
        == [("goods", 10000, 20000)]
    again = pos.refund(receipt_id, [(1, 20000)], key="half")  # a replay
    assert again == refund
    assert balance(rt, pos, account_id) == 20000
    pos.refund(receipt_id, None, key="rest")
    assert balance(rt, pos, account_id) == 30000
    assert ledger_admin.check(rt) == []


def test_a_void_gives_the_units_back(rt: Runtime, pos: Pos, fuel: int) -> None:
    account_id, number = open_card(rt, pos, fuel)
    body = pos.send(paying(pos, "R-1", [goods_tender(12500, code=number)])).body
    receipt_id = body["receipt"]["id"] if "receipt" in body else body["receipt_id"]
    voided = pos.void(receipt_id, key="v")
    assert [(t["quantity_milli"], t["balance_milli"]) for t in voided["tenders"]] == [
        (12500, 25000)]
    assert balance(rt, pos, account_id) == 25000
    assert ledger_admin.check(rt) == []


@pytest.mark.parametrize(("milli", "field"), [(25001, "tenders.0.quantity"),
                                               (40001, "tenders.0.quantity")])
def test_an_overdraft_is_refused_naming_the_field_with_nothing_written(
        rt: Runtime, pos: Pos, fuel: int, milli: int, field: str) -> None:
    _, number = open_card(rt, pos, fuel)
    before = count_rows(rt, pos.tenant_id)
    with pytest.raises(InvalidInput) as refused:
        pos.send(paying(pos, "R-1", [goods_tender(milli, code=number)]))
    assert refused.value.field == field
    assert count_rows(rt, pos.tenant_id) == before


def test_a_blocked_card_a_foreign_account_and_another_members_are_refused(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    account_id, number = open_card(rt, pos, fuel)
    assert number is not None
    goods.set_blocked(rt, pos.tenant_id, account_id, blocked=True, actor=audit.SYSTEM)
    with pytest.raises(InvalidInput) as blocked:
        pos.send(paying(pos, "R-1", [goods_tender(1000, code=number)]))
    assert blocked.value.field == "tenders.0.code"
    member_id = pos.register(1)["id"]
    other = pos.register(2)["id"]
    owned, _ = open_card(rt, pos, fuel, member=MemberRef(id=member_id))
    with pytest.raises(InvalidInput) as foreign_member:
        pos.send(paying(pos, "R-2", [goods_tender(1000, account=owned)], member_id=other))
    assert foreign_member.value.field == "tenders.0.account"
    elsewhere = Pos(rt, make_shop(rt, "Other Station"))
    with pytest.raises(InvalidInput) as foreign:
        elsewhere.send(paying(elsewhere, "R-3", [goods_tender(1000, account=owned)]))
    assert foreign.value.field == "tenders.0.account"
    with pytest.raises(NotFound):
        goods.get_account(rt, elsewhere.tenant_id, owned)


def test_a_top_up_is_kept_once_per_key_with_its_locked_price(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    account_id, _ = open_card(rt, pos, fuel, litres=0)
    first = top_up(rt, pos, account_id, 100_000, paid=550_000, lock=True, key="k1")
    assert top_up(rt, pos, account_id, 100_000, paid=550_000, lock=True, key="k1") == first
    assert (first["unit_price_minor"], first["balance_milli"]) == (5500, 100_000)
    history = goods.history(rt, pos.tenant_id, account_id)
    assert [(ln.code, ln.quantity_milli, ln.unit_price_minor) for ln in history.lines] == [
        ("top_up", 100_000, 5500)]
    [owed] = goods.liability(rt, pos.tenant_id)
    assert (owed.asset, owed.balance_milli, owed.value_minor) == (
        f"goods:{fuel}", 100_000, 550_000)


def test_twenty_tills_spending_one_goods_account_never_take_more_than_it_holds(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    account_id, number = open_card(rt, pos, fuel, litres=10)
    results = run_together(20, lambda i: pos.send(
        paying(pos, f"R-{i}", [goods_tender(1500, code=number)], till=i % 2)).body)
    wins = [r for r in results if not isinstance(r, RegularsError)]
    losses = [r for r in results if isinstance(r, RegularsError)]
    assert len(wins) == 6
    assert all(isinstance(e, InvalidInput) and e.field == "tenders.0.quantity"
               for e in losses)
    assert balance(rt, pos, account_id) == 1000
    assert ledger_admin.check(rt) == []


def test_a_random_run_of_goods_payments_refunds_and_voids_keeps_every_balance(
        rt: Runtime, pos: Pos, fuel: int) -> None:
    """A seeded run of commits paying fuel partly from a card and partly from a wallet,
    partial refunds and voids: after every step the card holds what the model says, and the
    ledger reconciles for every asset at the end."""
    rng = random.Random(12)
    member_id = pos.register(1)["id"]
    account_id, _ = open_card(rt, pos, fuel, litres=200, member=MemberRef(id=member_id))
    wallets.top_up(rt, pos.till(), MemberRef(id=member_id), amount_minor=1_000_000,
                   paid_by=PaidBy.CASH, key="wallet", payload={"w": 1})
    expected, open_receipts = 200_000, list[tuple[int, int, int]]()  # (id, taken, refunded)
    done: dict[str, int] = {"void": 0, "refund": 0, "commit": 0}
    for step in range(14):
        if open_receipts and rng.random() < 0.4:
            receipt_id, taken, refunded = open_receipts.pop(rng.randrange(len(open_receipts)))
            if rng.random() < 0.5 and not refunded:
                pos.void(receipt_id, key=f"v{step}")
                expected += taken
                done["void"] += 1
                assert balance(rt, pos, account_id) == expected, step
                continue
            part = rng.randint(1, 40_000 - refunded)
            pos.refund(receipt_id, [(1, part)], key=f"r{step}")
            back = units_back(taken, line_quantity_milli=40_000, before_milli=refunded,
                              after_milli=refunded + part)
            expected += back
            done["refund"] += 1
            if refunded + part < 40_000:
                open_receipts.append((receipt_id, taken, refunded + part))
        else:
            taken = rng.randint(1, min(40_000, expected))
            body = pos.send(paying(pos, f"R-{step}", [
                goods_tender(taken, account=account_id),
                Tender(kind=TenderKind.WALLET, amount_minor=rng.randint(1, 300))],
                member_id=member_id)).body
            expected -= taken
            done["commit"] += 1
            open_receipts.append((body["receipt"]["id"], taken, 0))
        assert balance(rt, pos, account_id) == expected, step
    assert all(done.values()), done
    assert ledger_admin.check(rt) == []
