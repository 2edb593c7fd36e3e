"""Cashback: the program returns a share of a member's purchase as money into the wallet,
explained on the receipt, once per receipt, and taken back in proportion by refunds (exactly
the cashback once the whole receipt is back); on both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.errors import RefundRefused
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import wallets
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import make_shop
from tests.integration.support import Pos, line, set_program
from tests.integration.test_points_figures_assets import certificate

BASKET = (line("cake", 3333, category="bakery"), line("beer", 1000, category="alcohol"))


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    shop = Pos(rt, make_shop(rt, "Cashback Café"))
    set_program(rt, shop.tenant_id, cashback_rate_bp=300, cashback_rounding="half_up",
                cashback_excluded_categories=["alcohol"])
    return shop


def wallet_minor(rt: Runtime, pos: Pos, member_id: int) -> int:
    return wallets.statement(rt, pos.tenant_id, member_id).balance_minor


def test_a_members_purchase_returns_its_share_into_the_wallet_explained(
        rt: Runtime, pos: Pos) -> None:
    member_id = pos.register(1)["id"]
    quoted = pos.quote(member_id, BASKET)
    assert quoted["cashback_minor"] == 100  # 3% of 33.33, half up; beer excluded
    body = pos.commit(member_id, BASKET, receipt="R-1")
    assert body["cashback_minor"] == 100 and "cashback" in body["entries"]
    [said] = [e for e in body["explanations"] if e["code"] == "cashback"]
    assert said["params"] == {"rate_bp": 300, "basis_minor": 3333, "amount_minor": 100}
    assert "{" not in said["text"] and said["text"] != "cashback"  # rendered, in Russian
    assert wallet_minor(rt, pos, member_id) == 100
    again = pos.commit(member_id, BASKET, receipt="R-1")  # a replay
    assert again == body and wallet_minor(rt, pos, member_id) == 100
    assert ledger_admin.check(rt) == []


def test_an_anonymous_receipt_gets_no_cashback(pos: Pos) -> None:
    body = pos.commit(None, BASKET, receipt="R-1")
    assert "cashback_minor" not in body


def test_refunds_take_the_cashback_back_in_proportion_once(rt: Runtime, pos: Pos) -> None:
    member_id = pos.register(1)["id"]
    receipt_id = pos.commit(member_id, (line("cake", 3333, 3),), receipt="R-1")["receipt"]["id"]
    assert wallet_minor(rt, pos, member_id) == 300  # 3% of 99.99, half up
    pos.refund(receipt_id, [(1, 1000)], key="r1")
    pos.refund(receipt_id, [(1, 1000)], key="r1")  # a replay takes nothing more
    after_one = wallet_minor(rt, pos, member_id)
    assert after_one == 200
    pos.refund(receipt_id, None, key="r2")
    assert wallet_minor(rt, pos, member_id) == 0
    assert ledger_admin.check(rt) == []


def test_cashback_spent_already_refuses_the_refund_when_the_program_allows_no_debt(
        rt: Runtime, pos: Pos) -> None:
    set_program(rt, pos.tenant_id, cashback_rate_bp=300, debt_policy="refuse")
    member_id = pos.register(1)["id"]
    receipt_id = pos.commit(member_id, (line("cake", 10000),), receipt="R-1")["receipt"]["id"]
    prepared = pos.prepare(member_id, (line("tea", 300),), receipt="R-2")
    paying = replace(prepared, request=replace(prepared.request, sale=replace(
        prepared.request.sale, tenders=(Tender(kind=TenderKind.WALLET, amount_minor=300),))),
        payload={**prepared.payload, "tenders": [{"kind": "wallet", "amount": 300}]})
    pos.send(paying)
    with pytest.raises(RefundRefused):
        pos.refund(receipt_id, None, key="r1")
    assert ledger_admin.check(rt) == []


def test_money_paid_from_the_wallet_earns_no_cashback(rt: Runtime, pos: Pos) -> None:
    member_id = pos.register(1)["id"]
    wallets.top_up(rt, pos.till(), MemberRef(id=member_id), amount_minor=2000,
                   paid_by=PaidBy.CASH, key="w-1", payload={})
    prepared = pos.prepare(member_id, (line("cake", 10000),), receipt="R-1")
    paying = replace(prepared, request=replace(prepared.request, sale=replace(
        prepared.request.sale, tenders=(Tender(kind=TenderKind.WALLET, amount_minor=2000),))),
        payload={**prepared.payload, "tenders": [{"kind": "wallet", "amount": 2000}]})
    body = pos.send(paying).body
    [said] = [e for e in body["explanations"] if e["code"] == "cashback"]
    # 100.00 to pay, 20.00 of it from the wallet: 3 % of the 80.00 paid otherwise.
    assert said["params"] == {"rate_bp": 300, "basis_minor": 8000, "amount_minor": 240}
    assert body["cashback_minor"] == 240
    assert wallet_minor(rt, pos, member_id) == 240
    assert ledger_admin.check(rt) == []


def test_the_quote_with_the_tenders_shows_the_cashback_the_commit_credits(
        rt: Runtime, pos: Pos) -> None:
    # 40.00 to pay, 20.00 by a gift certificate and 5.00 from the wallet: 2 % of the 35.00
    # not paid from the wallet, on the quote as on the receipt.
    set_program(rt, pos.tenant_id, cashback_rate_bp=200)
    member_id = pos.register(1)["id"]
    wallets.top_up(rt, pos.till(), MemberRef(id=member_id), amount_minor=500,
                   paid_by=PaidBy.CASH, key="w-1", payload={})
    code = certificate(rt, pos)
    tenders = (Tender(kind=TenderKind.CERTIFICATE, code=code, amount_minor=2000),
               Tender(kind=TenderKind.WALLET, amount_minor=500))
    basket = (line("cake", 4000),)
    alone = pos.quote(member_id, basket)
    assert alone["cashback_minor"] == 80  # no tenders: 2 % of the whole bill
    quoted = to_json(checkout.quote(rt, pos.till(), Sale(
        member=MemberRef(id=member_id), lines=basket, tenders=tenders)))
    prepared = pos.prepare(member_id, basket, receipt="R-1")
    body = pos.send(replace(prepared, request=replace(prepared.request, sale=replace(
        prepared.request.sale, tenders=tenders)), payload={**prepared.payload, "tenders": [
            {"kind": "certificate", "code": code, "amount": 2000},
            {"kind": "wallet", "amount": 500}]})).body
    for answer in (quoted, body):
        assert answer["cashback_minor"] == 70
        said = {e["code"]: e for e in answer["explanations"]}
        assert said["cashback"]["params"] == {"rate_bp": 200, "basis_minor": 3500,
                                              "amount_minor": 70}
        assert said["cashback_prepaid"]["params"] == {"prepaid_minor": 500}
        assert "{" not in said["cashback_prepaid"]["text"]
    assert wallet_minor(rt, pos, member_id) == 70
    assert ledger_admin.check(rt) == []
