"""Cashback as a promotion effect: a share of the matching lines returned as money into the
member's wallet (opened by the first cashback), explained on the receipt, counted in the
promotion's money budget like a discount, joined with the program's cashback in one wallet
entry, reduced by the share paid from the wallet, and taken back in proportion by refunds;
reported apart from the discount in the month's burn (migration 0042 moved it out of the
stored discount); on both databases."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from alembic import command

from regulars.db.migrate import alembic_config, upgrade
from regulars.domain.money import Rounding
from regulars.domain.promotions.budgets import Limits
from regulars.domain.promotions.promotions import Cashback, CashbackOn, FixedDiscount
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.promotions import budgets, promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import wallets
from tests.conftest import make_shop
from tests.integration.support import Pos, line, set_program

# Two cups (20.00) and a cake (33.33): the offer pays back 5% of the cups.
BASKET = (line("cup", 1000, 2), line("cake", 3333, category="bakery"))
FIVE_PERCENT_OF_CUPS = Cashback(rate_bp=500, skus=frozenset({"cup"}))


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Cashback Café"))


def offer(pos: Pos, effect: Cashback = FIVE_PERCENT_OF_CUPS, **limits: Any) -> int:
    return promotions.create(pos.rt, pos.tenant_id, Draft(
        name="Cups back", effects=(effect,), limits=Limits(**limits)), actor=audit.SYSTEM).id


def wallet_minor(pos: Pos, member_id: int) -> int:
    return wallets.statement(pos.rt, pos.tenant_id, member_id).balance_minor


def said(body: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [e["params"] for e in body["explanations"] if e["code"] == code]


def test_the_offer_returns_its_share_into_a_new_wallet_explained_once(pos: Pos) -> None:
    promotion_id = offer(pos)
    member = pos.register(1)["id"]
    quoted = pos.quote(member, BASKET)
    assert quoted["cashback_minor"] == 100 and quoted["discount_minor"] == 0
    assert quoted["promotions"] == [{"id": promotion_id, "version": 1, "name": "Cups back",
                                     "discount_minor": 0, "points": 0, "cashback_minor": 100}]
    [why] = said(quoted, "promotion_cashback")
    assert (why["promotion_id"], why["rate_bp"], why["basis_minor"], why["amount_minor"]) \
        == (promotion_id, 500, 2000, 100)
    body = pos.commit(member, BASKET, receipt="R-1")
    assert body["cashback_minor"] == 100 and "cashback" in body["entries"]
    assert wallet_minor(pos, member) == 100  # the wallet was opened by this cashback
    assert pos.commit(member, BASKET, receipt="R-1") == body  # a replay
    assert wallet_minor(pos, member) == 100
    anonymous = pos.commit(None, BASKET, receipt="R-2")
    assert "cashback_minor" not in anonymous and not said(anonymous, "promotion_cashback")
    assert ledger_admin.check(pos.rt) == []


def test_the_cashback_counts_in_the_budget_and_comes_back_with_refunds(pos: Pos) -> None:
    promotion_id = offer(pos, budget_minor=250)
    member = pos.register(1)["id"]
    first = pos.commit(member, BASKET, receipt="R-1")
    pos.commit(member, BASKET, receipt="R-2")
    third = pos.commit(member, BASKET, receipt="R-3")  # 50 left: 100 of cashback does not fit
    assert "cashback_minor" not in third
    assert said(third, "promotion_skipped_budget")
    assert wallet_minor(pos, member) == 200
    burn = to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, promotion_id))
    assert burn["budget"]["spent_minor"] == 200
    # The cups back (20.00 of 53.33): that share of the cashback leaves the wallet (37 of
    # 100, rounded down), and the budget gets back the cups' line share of it (38: the
    # cashback is spread over the lines by the money paid, the remainder to the largest).
    pos.refund(first["receipt"]["id"], [(1, 2000)], key="cups")
    assert wallet_minor(pos, member) == 163
    burn = to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, promotion_id))
    assert burn["budget"]["spent_minor"] == 162
    pos.refund(first["receipt"]["id"], None, key="rest")  # the rest, exactly the whole
    assert wallet_minor(pos, member) == 100
    burn = to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, promotion_id))
    assert burn["budget"]["spent_minor"] == 100
    assert ledger_admin.check(pos.rt) == []


def test_it_joins_the_programs_cashback_and_a_wallet_payment_reduces_it(pos: Pos) -> None:
    set_program(pos.rt, pos.tenant_id, cashback_rate_bp=100)
    offer(pos, Cashback(rate_bp=1000, basis=CashbackOn.EARN_BASIS, rounding=Rounding.HALF_UP,
                        max_minor=300))
    member = pos.register(1)["id"]
    body = pos.commit(member, BASKET, receipt="R-1")
    # Program: 1% of 53.33 = 53; offer: 10% of 53.33 = 533, capped at 300.
    assert body["cashback_minor"] == 353 and wallet_minor(pos, member) == 353
    # 3.00 of the next bill paid from the wallet: the offer's cashback loses that share.
    prepared = pos.prepare(member, BASKET, receipt="R-2")
    paying = replace(prepared, request=replace(prepared.request, sale=replace(
        prepared.request.sale, tenders=(Tender(kind=TenderKind.WALLET, amount_minor=300),))),
        payload={**prepared.payload, "tenders": [{"kind": "wallet", "amount": 300}]})
    second = pos.send(paying).body
    [less] = said(second, "promotion_cashback_prepaid")
    assert less == {"priced_minor": 300, "amount_minor": 283}  # 300 × 5033 / 5333
    assert second["cashback_minor"] == 50 + 283  # the program's on 50.33, and the offer's
    assert wallet_minor(pos, member) == 353 - 300 + 333
    pos.refund(body["receipt"]["id"], None, key="all")  # the first receipt's 353 go back
    assert wallet_minor(pos, member) == 353 - 300 + 333 - 353
    assert ledger_admin.check(pos.rt) == []


def test_money_paid_from_the_wallet_earns_no_cashback_in_the_budget_either(pos: Pos) -> None:
    """R-1 puts 1.00 into the wallet (5 % of the cups); R-2 pays that 1.00 from the wallet,
    so the offer credits 98 (100 × 52.33 / 53.33), and its budget, the month's burn and the
    mass bucket count those 98, not the 100 it priced; refunding R-2 gives back those 98."""
    promotion_id = offer(pos, budget_minor=10_000)
    budgets.put_split(pos.rt, pos.tenant_id, total_minor=100_000, base_bp=5000, mass_bp=5000,
                      targeted_bp=0, actor=audit.SYSTEM)
    member = pos.register(1)["id"]
    pos.commit(member, BASKET, receipt="R-1")
    prepared = pos.prepare(member, BASKET, receipt="R-2")
    second = pos.send(replace(prepared, request=replace(prepared.request, sale=replace(
        prepared.request.sale, tenders=(Tender(kind=TenderKind.WALLET, amount_minor=100),))),
        payload={**prepared.payload, "tenders": [{"kind": "wallet", "amount": 100}]})).body
    assert said(second, "promotion_cashback_prepaid") == [{"priced_minor": 100,
                                                           "amount_minor": 98}]
    assert second["cashback_minor"] == 98 and wallet_minor(pos, member) == 98
    assert _counted(pos, promotion_id) == (198, 198, 198)
    pos.refund(second["receipt"]["id"], None, key="all")
    assert _counted(pos, promotion_id) == (100, 100, 100)
    assert ledger_admin.check(pos.rt) == []


def _counted(pos: Pos, promotion_id: int) -> tuple[int, int, int]:
    """The offer's budget spent, its cashback in the month's burn, and the mass bucket's."""
    burn = to_json(budgets.burn(pos.rt, pos.tenant_id))
    budget = to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, promotion_id))["budget"]
    return (budget["spent_minor"], burn["promotions"][0]["cashback_minor"],
            burn["buckets"]["mass"]["spent_minor"])


def test_the_burn_shows_the_cashback_apart_and_counts_it_in_the_bucket(pos: Pos) -> None:
    cups_back = offer(pos)
    cake_off = promotions.create(pos.rt, pos.tenant_id, Draft(
        name="Cake off", effects=(FixedDiscount(amount_minor=333, skus=frozenset({"cake"})),),
        limits=Limits()), actor=audit.SYSTEM).id
    budgets.put_split(pos.rt, pos.tenant_id, total_minor=100_000, base_bp=5000, mass_bp=5000,
                      targeted_bp=0, actor=audit.SYSTEM)
    member = pos.register(1)["id"]
    first = pos.commit(member, BASKET, receipt="R-1")
    pos.commit(member, BASKET, receipt="R-2")
    burn = to_json(budgets.burn(pos.rt, pos.tenant_id))
    # Two receipts: 2 × 100 of cashback (5% of 20.00) and 2 × 3.33 off the cake.
    assert burn["promotions"] == [
        {"id": cups_back, "receipts": 2, "discount_minor": 0, "points": 0,
         "cashback_minor": 200},
        {"id": cake_off, "receipts": 2, "discount_minor": 666, "points": 0}]
    assert burn["buckets"]["mass"]["spent_minor"] == 200 + 666  # both counted, as before
    assert burn["buckets"]["mass"]["remaining_minor"] == 50_000 - 866
    # The cups back: their share of the cashback returns (40: the cashback is spread by the
    # money paid on the lines, 2000 and 3000 after the cake's discount).
    pos.refund(first["receipt"]["id"], [(1, 2000)], key="cups")
    burn = to_json(budgets.burn(pos.rt, pos.tenant_id))
    assert [p.get("cashback_minor") for p in burn["promotions"]] == [160, None]
    assert burn["buckets"]["mass"]["spent_minor"] == 160 + 666
    month = to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, cups_back))
    assert month["this_month"] == {"receipts": 2, "discount_minor": 0, "points": 0,
                                   "cashback_minor": 160}
    assert month["budget"]["spent_minor"] == 160
    assert ledger_admin.check(pos.rt) == []


def test_0042_moves_stored_cashback_out_of_the_discount_and_back(pos: Pos) -> None:
    only_cashback = offer(pos)
    both = promotions.create(pos.rt, pos.tenant_id, Draft(
        name="Cake off and back", effects=(
            FixedDiscount(amount_minor=333, skus=frozenset({"cake"})),
            Cashback(rate_bp=1000, skus=frozenset({"cake"}))), limits=Limits()),
                             actor=audit.SYSTEM).id
    member = pos.register(1)["id"]
    first = pos.commit(member, BASKET, receipt="R-1")
    pos.refund(first["receipt"]["id"], [(1, 2000)], key="cups")
    now = _rows(pos)
    assert now[only_cashback][:4] == (0, 100, 0, 40)  # as above
    assert now[both][:2] == (333, 300)  # 10% of the cake's 30.00 after its 3.33 off
    before = (to_json(budgets.burn(pos.rt, pos.tenant_id)),
              to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, only_cashback)))
    config = alembic_config()
    try:
        with pos.rt.db.engine.connect() as conn:
            conn = conn.execution_options(regulars_write=True)
            config.attributes["connection"] = conn
            command.downgrade(config, "0040")
            conn.commit()
            old = {r[0]: (r[1], r[2], json.loads(r[3]) if isinstance(r[3], str) else r[3])
                   for r in conn.exec_driver_sql(
                       "SELECT promotion_id, discount_minor, refunded_discount_minor, lines "
                       "FROM receipt_promotions")}
        assert old[only_cashback] == (100, 40, [[40, 0], [60, 0]])
        # The cashback was spread over the lines by what was paid (120 on the cups, 180 on the
        # cake), so the cups' refund gave 120 of it back.
        assert old[both] == (633, 120, [[120, 0], [513, 0]])
    finally:
        upgrade(pos.rt.db.engine)
    assert _rows(pos) == now
    assert (to_json(budgets.burn(pos.rt, pos.tenant_id)),
            to_json(budgets.promotion_burn(pos.rt, pos.tenant_id, only_cashback))) == before


def _rows(pos: Pos) -> dict[int, tuple[Any, ...]]:
    """Each promotion's row of the receipt: discount, cashback, refunded discount, refunded
    cashback and the lines' shares."""
    with pos.rt.db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT promotion_id, discount_minor, cashback_minor, refunded_discount_minor, "
            "refunded_cashback_minor, lines FROM receipt_promotions").all()
    return {r[0]: (r[1], r[2], r[3], r[4], json.loads(r[5]) if isinstance(r[5], str) else r[5])
            for r in rows}
