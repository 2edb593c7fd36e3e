"""Limits under concurrency: 20 threads released together by a barrier, on SQLite (writers
queue on ``BEGIN IMMEDIATE``) and on PostgreSQL (READ COMMITTED, conditional updates).

Each test checks the outcome as a whole, whatever the interleaving: how many calls won, what
the losers were told, and that the ledger reconciles afterwards.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pytest

from regulars.errors import (
    InsufficientPoints,
    RedemptionRefused,
    RefundRefused,
    RegularsError,
)
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, count_rows, line, phone, run_together, set_program

THREADS = 20
BIG = (line("espresso machine", 400_000),)  # 30 % of it pays up to 1 200 points
T = TypeVar("T")


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Busy Café"))


def split(results: list[T | RegularsError]) -> tuple[list[T], list[RegularsError]]:
    wins = [r for r in results if not isinstance(r, RegularsError)]
    losses = [r for r in results if isinstance(r, RegularsError)]
    return wins, losses


def assert_clean(rt: Runtime) -> None:
    assert ledger_admin.check(rt) == []


def test_spends_of_the_whole_balance_one_wins(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    before = pos.balance(member)
    assert pos.quote(member, BIG, spend=before)["max_spendable_points"] == before

    results = run_together(THREADS, lambda i: pos.commit(
        member, BIG, receipt=f"R-{i}", key=f"key-{i}", spend=before, till=i % 2))

    wins, losses = split(results)
    assert len(wins) == 1, losses
    assert all(isinstance(e, InsufficientPoints | RedemptionRefused) for e in losses), losses
    won = wins[0]
    assert won["points_spent"] == before
    assert pos.balance(member) == before - won["points_spent"] + won["points_earned"]
    assert count_rows(rt, pos.tenant_id)["receipts"] == 1
    assert_clean(rt)


def test_identical_commits_with_one_key_give_one_receipt_and_one_answer(
        pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    request = pos.prepare(member, BIG, receipt="R-1", key="the-key", spend=500)

    results = run_together(THREADS, lambda _: pos.send(request))

    wins, losses = split(results)
    assert losses == []
    assert sum(not outcome.replayed for outcome in wins) == 1
    first = wins[0].body
    assert all(outcome.body == first for outcome in wins)
    assert count_rows(rt, pos.tenant_id)["receipts"] == 1
    assert pos.balance(member) == 1000 - 500 + first["points_earned"]
    assert_clean(rt)


def test_one_receipt_sent_with_many_keys_is_posted_once(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    request = pos.prepare(member, BIG, receipt="R-1", spend=500, till=1)

    results = run_together(THREADS, lambda i: pos.send(request, key=f"retry-{i}"))

    wins, losses = split(results)
    assert losses == []
    first = wins[0].body
    assert all(outcome.body == first for outcome in wins)
    assert count_rows(rt, pos.tenant_id)["receipts"] == 1
    assert pos.balance(member) == 1000 - 500 + first["points_earned"]
    assert_clean(rt)


def test_refunds_of_one_receipt_refund_it_once(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    sale = pos.commit(member, BIG, receipt="R-1", spend=300)
    receipt = sale["receipt"]["id"]

    results = run_together(THREADS, lambda i: pos.refund(receipt, key=f"refund-{i}",
                                                          till=i % 2))

    wins, losses = split(results)
    assert len(wins) == 1, losses
    assert all(isinstance(e, RefundRefused) for e in losses), losses
    refund = wins[0]["refund"]
    assert (refund["points_reversed"], refund["points_returned"]) == (
        sale["points_earned"], sale["points_spent"])
    assert pos.balance(member) == 1000
    assert count_rows(rt, pos.tenant_id)["refunds"] == 1
    assert_clean(rt)


def test_identical_refunds_with_one_key_refund_once_and_answer_alike(pos: Pos,
                                                                     rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    receipt = pos.commit(member, BIG, receipt="R-1", spend=300)["receipt"]["id"]

    results = run_together(THREADS, lambda _: pos.refund_outcome(receipt, key="refund-1"))

    wins, losses = split(results)
    assert losses == []
    assert sum(not outcome.replayed for outcome in wins) == 1
    assert all(outcome.body == wins[0].body for outcome in wins)
    assert pos.balance(member) == 1000
    assert count_rows(rt, pos.tenant_id)["refunds"] == 1
    assert_clean(rt)


def test_partial_refunds_racing_for_the_last_units_never_exceed_the_line(
        pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)
    sale = pos.commit(member, (line("cup", 57_143, 7),), receipt="R-1", spend=120)

    results = run_together(THREADS, lambda i: pos.refund(
        sale["receipt"]["id"], [(1, 1000)], key=f"unit-{i}", till=i % 2))

    wins, losses = split(results)
    assert len(wins) == 7
    assert all(isinstance(e, RefundRefused) for e in losses), losses
    assert sum(w["refund"]["points_reversed"] for w in wins) == sale["points_earned"]
    assert sum(w["refund"]["points_returned"] for w in wins) == sale["points_spent"]
    assert pos.receipt(sale["receipt"]["id"])["status"] == "refunded"
    assert pos.balance(member) == 1000
    assert_clean(rt)


def test_holds_cannot_reserve_more_than_the_balance(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 1000)

    results = run_together(THREADS, lambda i: pos.quote(member, BIG, spend=300, hold=True,
                                                        till=i % 2))

    wins, losses = split(results)
    assert len(wins) == 3, losses
    assert all(isinstance(e, InsufficientPoints | RedemptionRefused) for e in losses), losses
    view = pos.member(member)
    assert (view["held_points"], view["spendable_points"]) == (900, 100)

    # Every hold that was granted can be captured, all at once.
    holds = [(w["hold"]["id"], index) for index, w in enumerate(wins)]
    captured = run_together(len(holds), lambda i: pos.commit(
        member, BIG, receipt=f"R-{i}", spend=300, hold_id=holds[i][0], till=holds[i][1] % 2))
    done, refused = split(captured)
    assert refused == []
    earned = sum(c["points_earned"] for c in done)
    view = pos.member(member)
    assert (view["balance_points"], view["held_points"]) == (1000 - 900 + earned, 0)
    assert_clean(rt)


def test_holds_and_spends_racing_with_pending_points_never_over_reserve(
        pos: Pos, rt: Runtime) -> None:
    # Pending (and expired, unprocessed) points count in the balance but cannot be spent, so a
    # limit checked against the balance alone lets a spend take points a hold reserved.
    set_program(rt, pos.tenant_id, pending_days=3)
    for round_no in range(3):
        member = pos.register(round_no)["id"]
        pos.grant(member, 500)
        pending = pos.commit(member, (line("boiler", 1_666_700),), receipt=f"P-{round_no}")
        assert pending["points_earned"] == 500
        view = pos.member(member)
        assert (view["balance_points"], view["spendable_points"]) == (1000, 500)

        def hold_or_spend(i: int, member: int = member, round_no: int = round_no) -> Any:
            if i % 2:
                return pos.quote(member, BIG, spend=500, hold=True)
            return pos.commit(member, BIG, receipt=f"S-{round_no}-{i}", spend=500)

        wins, losses = split(run_together(THREADS, hold_or_spend))
        assert len(wins) == 1, f"round {round_no}: {len(wins)} of holds and spends won"
        assert all(isinstance(e, InsufficientPoints | RedemptionRefused) for e in losses)
        if "hold" in wins[0]:
            pos.commit(member, BIG, receipt=f"C-{round_no}", spend=500,
                       hold_id=wins[0]["hold"]["id"])
        view = pos.member(member)
        assert view["held_points"] == 0
        assert view["spendable_points"] == 0
        assert_clean(rt)


def test_refunds_racing_spends_are_never_refused_when_debt_is_allowed(
        pos: Pos, rt: Runtime) -> None:
    set_program(rt, pos.tenant_id, debt_policy="allow_negative", redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    sales = [pos.commit(member, (line("machine", 100_000),), receipt=f"E-{i}")
             for i in range(THREADS // 2)]
    assert pos.balance(member) == 30 * len(sales)

    def refund_or_spend(i: int) -> dict[str, Any]:
        if i % 2:
            return pos.refund(sales[i // 2]["receipt"]["id"], key=f"refund-{i}")
        return pos.commit(member, (line("cup", 3000),), receipt=f"S-{i}", spend=30)

    results = run_together(THREADS, refund_or_spend)
    refunds = [r for i, r in enumerate(results) if i % 2]
    spends = [r for i, r in enumerate(results) if not i % 2]
    assert not any(isinstance(r, RegularsError) for r in refunds), refunds
    spent, refused = split(spends)
    assert all(isinstance(e, InsufficientPoints | RedemptionRefused) for e in refused)
    view = pos.member(member)
    expected = 30 * len(sales) - 30 * len(spent) - sum(
        r["refund"]["points_reversed"] for r in refunds if isinstance(r, dict))
    assert view["balance_points"] == expected
    assert view["debt_points"] == max(0, -expected)
    assert_clean(rt)


def test_registering_one_phone_at_once_makes_one_member_and_one_bonus(rt: Runtime) -> None:
    shop = make_shop(rt, "Welcome Café")
    set_program(rt, shop.tenant_id, welcome_bonus_points=50)

    results = run_together(THREADS, lambda _i: member_registration.register(
        rt, shop.tenant_id, Registration(phone=phone(7)), store_id=shop.store_id))

    wins, losses = split(results)
    assert losses == []
    assert len({view.id for view, _ in wins}) == 1
    assert sum(created for _, created in wins) == 1
    assert Pos(rt, shop).balance(wins[0][0].id) == 50
    assert_clean(rt)
