"""Refunds, voids, offline commits, expiry, FEFO and pending points, through the services on a
real database (SQLite, and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from regulars.domain.money import prorate
from regulars.errors import InvalidInput, RedemptionRefused, RefundRefused, VoidRefused
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, count_rows, line, set_program

# Three lines with awkward amounts, so that per-line shares leave remainders.
BASKET = (
    line("coffee", 1000),
    line("cake", 2550, 3),
    line("beans", 4599, 7),
)


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Refund Café"))


def assert_clean(rt: Runtime) -> None:
    assert ledger_admin.check(rt) == []


def spent_and_earned(body: dict[str, Any]) -> tuple[int, int]:
    return int(body["points_spent"]), int(body["points_earned"])


def line_figures(body: dict[str, Any], line_no: int) -> dict[str, Any]:
    found: dict[str, Any] = next(ln for ln in body["lines"] if ln["line_no"] == line_no)
    return found


# Full and partial refunds ---------------------------------------------------------------------

def test_full_refund_reverses_earned_and_returns_spent(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    sale = pos.commit(member, BASKET, receipt="R-1", spend=100)
    spent, earned = spent_and_earned(sale)
    assert spent == 100 and earned > 0
    assert pos.balance(member) == 500 - spent + earned

    answer = pos.refund(sale["receipt"]["id"], key="refund-1")
    refund = answer["refund"]
    assert (refund["points_reversed"], refund["points_returned"]) == (earned, spent)
    assert refund["paid_minor"] == sale["paid_minor"]
    assert refund["status"] == "refunded" and refund["debt_points"] == 0
    assert answer["balance_points"] == pos.balance(member) == 500
    assert pos.receipt(sale["receipt"]["id"])["status"] == "refunded"

    again = pos.refund_outcome(sale["receipt"]["id"], key="refund-1")
    assert again.replayed and again.body == answer
    before = count_rows(rt, pos.tenant_id)
    with pytest.raises(RefundRefused):
        pos.refund(sale["receipt"]["id"], key="refund-2")
    assert count_rows(rt, pos.tenant_id) == before
    assert_clean(rt)


def test_partial_refund_by_line(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    sale = pos.commit(member, BASKET, receipt="R-1", spend=100)
    receipt = sale["receipt"]["id"]
    cake = line_figures(sale, 2)

    refund = pos.refund(receipt, [(2, 3000)], key="cake")["refund"]
    assert refund["points_reversed"] == cake["points_earned"]
    assert refund["points_returned"] == cake["points_spent"]
    assert refund["paid_minor"] == cake["paid_minor"]
    assert refund["status"] == "partially_refunded"
    assert pos.balance(member) == (500 - sale["points_spent"] + sale["points_earned"]
                                   - cake["points_earned"] + cake["points_spent"])
    with pytest.raises(RefundRefused):  # nothing of line 2 is left
        pos.refund(receipt, [(2, 1)], key="cake-again")
    with pytest.raises(RefundRefused):  # no such line
        pos.refund(receipt, [(9, 1000)], key="no-line")
    with pytest.raises(InvalidInput):
        pos.refund(receipt, [(1, 0)], key="zero")
    assert_clean(rt)


def test_partial_refund_by_quantity_is_cumulative(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    sale = pos.commit(member, BASKET, receipt="R-1", spend=100)
    receipt = sale["receipt"]["id"]
    beans = line_figures(sale, 3)
    done = 0
    reversed_total = returned_total = 0
    for units in (1, 2, 4):
        refund = pos.refund(receipt, [(3, units * 1000)], key=f"beans-{units}")["refund"]
        before, done = done, done + units * 1000
        assert refund["points_reversed"] == (prorate(beans["points_earned"], done, 7000)
                                             - prorate(beans["points_earned"], before, 7000))
        assert refund["points_returned"] == (prorate(beans["points_spent"], done, 7000)
                                             - prorate(beans["points_spent"], before, 7000))
        reversed_total += refund["points_reversed"]
        returned_total += refund["points_returned"]
    assert (reversed_total, returned_total) == (beans["points_earned"], beans["points_spent"])
    assert pos.receipt(receipt)["status"] == "partially_refunded"
    assert_clean(rt)


@pytest.mark.parametrize("pieces", [
    # (line_no, quantity_milli) refunded one call after another; together: the whole receipt
    [(1, 1000), (2, 1000), (2, 1000), (2, 1000), (3, 7000)],
    [(3, 1), (3, 3499), (2, 2999), (1, 1), (1, 999), (3, 3500), (2, 1)],
    [(2, 333), (3, 6999), (2, 2667), (1, 1000), (3, 1)],
])
def test_partials_sum_to_the_whole(pos: Pos, rt: Runtime,
                                   pieces: list[tuple[int, int]]) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    sale = pos.commit(member, BASKET, receipt="R-1", spend=113)
    spent, earned = spent_and_earned(sale)
    receipt = sale["receipt"]["id"]
    totals = {"points_reversed": 0, "points_returned": 0, "paid_minor": 0}
    for i, piece in enumerate(pieces):
        refund = pos.refund(receipt, [piece], key=f"piece-{i}")["refund"]
        for name in totals:
            totals[name] += refund[name]
    assert totals == {"points_reversed": earned, "points_returned": spent,
                      "paid_minor": sale["paid_minor"]}
    assert pos.receipt(receipt)["status"] == "refunded"
    assert pos.balance(member) == 500
    with pytest.raises(RefundRefused):
        pos.refund(receipt, None, key="after-all")
    assert_clean(rt)


def test_one_refund_naming_several_lines_and_quantities(pos: Pos, rt: Runtime) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    sale = pos.commit(member, BASKET, receipt="R-1", spend=100)
    receipt = sale["receipt"]["id"]
    first = pos.refund(receipt, [(3, 2000), (1, 1000), (3, 1000)], key="a")["refund"]
    assert first["lines"] == [{"line_no": 1, "quantity_milli": 1000},
                              {"line_no": 3, "quantity_milli": 3000}]
    rest = pos.refund(receipt, None, key="b")["refund"]
    assert rest["lines"] == [{"line_no": 2, "quantity_milli": 3000},
                             {"line_no": 3, "quantity_milli": 4000}]
    assert first["points_reversed"] + rest["points_reversed"] == sale["points_earned"]
    assert first["points_returned"] + rest["points_returned"] == sale["points_spent"]
    assert pos.balance(member) == 500
    assert_clean(rt)


def test_anonymous_receipt_refunds_without_points(pos: Pos, rt: Runtime) -> None:
    sale = pos.commit(None, BASKET, receipt="R-anon")
    assert sale["member"] is None and sale["points_earned"] == 0
    refund = pos.refund(sale["receipt"]["id"], key="anon")
    assert refund["member_id"] is None and refund["balance_points"] is None
    assert refund["refund"]["paid_minor"] == sale["paid_minor"]
    assert_clean(rt)


# Refunds of points already spent --------------------------------------------------------------

def _earn_then_spend_it_all(pos: Pos, rt: Runtime, *, policy: str) -> tuple[int, int, int]:
    """A member earns 30 points on R-earn and spends all 30 on R-spend; returns
    (member, R-earn id, R-spend id)."""
    set_program(rt, pos.tenant_id, debt_policy=policy, redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    earn = pos.commit(member, (line("espresso machine", 100_000),), receipt="R-earn")
    assert earn["points_earned"] == 30
    spend = pos.commit(member, (line("cup", 3000),), receipt="R-spend", spend=30)
    assert spend["points_spent"] == 30 and spend["points_earned"] == 0
    assert pos.balance(member) == 0
    return member, earn["receipt"]["id"], spend["receipt"]["id"]


def test_refund_of_spent_points_allow_negative_leaves_debt_that_later_earning_repays(
        pos: Pos, rt: Runtime) -> None:
    member, earned_on, _ = _earn_then_spend_it_all(pos, rt, policy="allow_negative")
    refund = pos.refund(earned_on, key="refund-earn")
    assert refund["refund"]["points_reversed"] == 30
    assert refund["refund"]["debt_points"] == 30
    view = pos.member(member)
    assert (view["balance_points"], view["debt_points"], view["spendable_points"]) == (-30, 30, 0)
    assert pos.quote(member, (line("cup", 3000),))["max_spendable_points"] == 0
    assert_clean(rt)

    # 20 points earned later go to the debt first, then 60 more clear it and leave 50.
    pos.commit(member, (line("grinder", 66_667),), receipt="R-repay-1")
    view = pos.member(member)
    assert (view["balance_points"], view["debt_points"]) == (-10, 10)
    assert member_ledger.lots(rt, pos.tenant_id, member) == []
    pos.commit(member, (line("kettle", 200_000),), receipt="R-repay-2")
    view = pos.member(member)
    assert (view["balance_points"], view["debt_points"], view["spendable_points"]) == (50, 0, 50)
    assert [lot.points for lot in member_ledger.lots(rt, pos.tenant_id, member)] == [50]
    assert_clean(rt)


def test_partly_spent_points_are_taken_from_what_is_left_then_debt(
        pos: Pos, rt: Runtime) -> None:
    set_program(rt, pos.tenant_id, redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    earn = pos.commit(member, (line("espresso machine", 100_000),), receipt="R-earn")
    pos.commit(member, (line("cup", 2000),), receipt="R-spend", spend=20)
    assert pos.balance(member) == 10
    refund = pos.refund(earn["receipt"]["id"], key="r")["refund"]
    assert (refund["points_reversed"], refund["debt_points"]) == (30, 20)
    assert (pos.balance(member), pos.member(member)["debt_points"]) == (-20, 20)
    assert_clean(rt)


def test_refund_of_spent_points_is_refused_when_debt_is_not_allowed(
        pos: Pos, rt: Runtime) -> None:
    member, earned_on, spent_on = _earn_then_spend_it_all(pos, rt, policy="refuse")
    before = count_rows(rt, pos.tenant_id)
    for _ in range(2):  # the refused attempt claims nothing: a retry is refused again
        with pytest.raises(RefundRefused):
            pos.refund(earned_on, key="refund-earn")
    with pytest.raises(RefundRefused):
        pos.refund(earned_on, [(1, 1000)], key="refund-earn-line")
    assert count_rows(rt, pos.tenant_id) == before
    assert pos.receipt(earned_on)["status"] == "committed"
    assert pos.receipt(earned_on)["refunds"] == []
    view = pos.member(member)
    assert (view["balance_points"], view["debt_points"]) == (0, 0)
    assert_clean(rt)

    # Once the spend is refunded the points are back, and the first receipt can be refunded.
    assert pos.refund(spent_on, key="refund-spend")["refund"]["points_returned"] == 30
    assert pos.refund(earned_on, key="refund-earn")["refund"]["points_reversed"] == 30
    view = pos.member(member)
    assert (view["balance_points"], view["debt_points"]) == (0, 0)
    assert_clean(rt)


def test_refund_returns_spent_points_before_taking_back_earned_ones(
        pos: Pos, rt: Runtime) -> None:
    # Under "refuse", a receipt that both spent and earned can always be refunded: the points
    # it spent come back first and cover the points it earned.
    set_program(rt, pos.tenant_id, debt_policy="refuse", redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    pos.grant(member, 40)
    sale = pos.commit(member, (line("machine", 100_000),), receipt="R-1", spend=40)
    assert sale["points_earned"] == 28
    pos.commit(member, (line("cup", 2800),), receipt="R-2", spend=28)
    assert pos.balance(member) == 0
    refund = pos.refund(sale["receipt"]["id"], key="r")["refund"]
    assert (refund["points_returned"], refund["points_reversed"]) == (40, 28)
    assert pos.balance(member) == 12
    assert_clean(rt)


# Voids ----------------------------------------------------------------------------------------

def test_void_reverses_everything_and_blocks_refunds(pos: Pos, rt: Runtime,
                                                     clock: FakeClock) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    sale = pos.commit(member, BASKET, receipt="R-1", spend=100)
    clock.advance(minutes=29)
    void = pos.void(sale["receipt"]["id"], key="void-1")
    assert void["refund"]["kind"] == "void" and void["refund"]["status"] == "voided"
    assert void["refund"]["points_returned"] == sale["points_spent"]
    assert void["refund"]["points_reversed"] == sale["points_earned"]
    assert pos.balance(member) == 500
    with pytest.raises(RefundRefused):
        pos.refund(sale["receipt"]["id"], key="refund-after-void")
    with pytest.raises(RefundRefused):
        pos.refund(sale["receipt"]["id"], [(1, 1000)], key="line-after-void")
    with pytest.raises(VoidRefused):
        pos.void(sale["receipt"]["id"], key="void-2")
    assert pos.void(sale["receipt"]["id"], key="void-1") == void  # a replay, not a second void
    assert_clean(rt)


def test_void_outside_its_window_or_after_a_refund_is_refused(pos: Pos, rt: Runtime,
                                                              clock: FakeClock) -> None:
    member = pos.register(1)["id"]
    pos.grant(member, 500)
    late = pos.commit(member, BASKET, receipt="R-late", spend=50)
    clock.advance(minutes=30, seconds=1)
    before = count_rows(rt, pos.tenant_id)
    with pytest.raises(VoidRefused):
        pos.void(late["receipt"]["id"], key="void-late")
    assert count_rows(rt, pos.tenant_id) == before

    partly = pos.commit(member, BASKET, receipt="R-partly", spend=50)
    pos.refund(partly["receipt"]["id"], [(1, 1000)], key="one-line")
    with pytest.raises(VoidRefused):
        pos.void(partly["receipt"]["id"], key="void-partly")
    # A refund still works on the late receipt.
    assert pos.refund(late["receipt"]["id"], key="late-refund")["refund"]["status"] == "refunded"
    assert_clean(rt)


# Offline commits ------------------------------------------------------------------------------

def test_offline_commit_hours_old_is_accepted_exactly_once(pos: Pos, rt: Runtime,
                                                           clock: FakeClock) -> None:
    member = pos.register(1)["id"]
    at = clock.now - timedelta(hours=5)
    first = pos.prepare(member, BASKET, receipt="OFF-1", occurred_at=at, till=1)
    answer = pos.send(first)
    assert not answer.replayed
    assert answer.body["receipt"]["occurred_at"] == at.isoformat()
    lots = member_ledger.lots(rt, pos.tenant_id, member)
    assert [(lot.available_at.isoformat(), lot.expires_at and lot.expires_at.isoformat())
            for lot in lots] == [
        (at.isoformat(), (at + timedelta(days=365)).isoformat())]
    rows = count_rows(rt, pos.tenant_id)

    clock.advance(hours=1)  # the till reconnects later and sends the receipt again
    assert pos.send(first).body == answer.body
    other_key = pos.send(first, key="a-new-key")
    assert other_key.replayed and other_key.body == answer.body
    assert count_rows(rt, pos.tenant_id) == rows
    assert pos.balance(member) == answer.body["points_earned"]
    assert_clean(rt)


@pytest.mark.parametrize("offset", [timedelta(minutes=10), timedelta(days=-31)],
                         ids=["future", "too-old"])
def test_offline_commit_outside_the_allowed_times_is_refused(
        pos: Pos, rt: Runtime, clock: FakeClock, offset: timedelta) -> None:
    member = pos.register(1)["id"]
    before = count_rows(rt, pos.tenant_id)
    with pytest.raises(InvalidInput) as refused:
        pos.commit(member, BASKET, receipt="OFF-bad", occurred_at=clock.now + offset)
    assert refused.value.field == "occurred_at"
    assert count_rows(rt, pos.tenant_id) == before


def test_replay_of_an_offline_commit_answers_even_once_the_time_has_aged(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    # Same key, same answer, once: the age limit applies to new receipts, not to replays.
    member = pos.register(1)["id"]
    first = pos.prepare(member, BASKET, receipt="OFF-old",
                        occurred_at=clock.now - timedelta(days=29))
    answer = pos.send(first).body
    clock.advance(days=2)
    again = pos.send(first)
    assert again.replayed and again.body == answer
    assert pos.send(first, key="retry-with-new-key").body == answer
    assert_clean(rt)


# Expiry, FEFO, pending ------------------------------------------------------------------------

def test_lots_expire_after_their_days_and_a_second_run_writes_nothing(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    set_program(rt, pos.tenant_id, expire_after_days=30)
    start = clock.now
    member = pos.register(1)["id"]
    pos.grant(member, 100)                                   # expires at start + 30 days
    clock.advance(days=10)
    pos.commit(member, (line("machine", 100_000),), receipt="R-1")  # 30, start + 40 days
    assert pos.balance(member) == 130

    clock.now = start + timedelta(days=30) - timedelta(seconds=1)
    assert ledger_admin.expire(rt) == ledger_admin.ExpiryReport(lots=0, points=0, entries=0)
    assert pos.balance(member) == 130

    clock.now = start + timedelta(days=30)
    assert ledger_admin.expire(rt) == ledger_admin.ExpiryReport(lots=1, points=100, entries=1)
    assert pos.balance(member) == 30
    rows = count_rows(rt, pos.tenant_id)
    assert ledger_admin.expire(rt) == ledger_admin.ExpiryReport(lots=0, points=0, entries=0)
    assert count_rows(rt, pos.tenant_id) == rows
    assert ledger_admin.count_due(rt) == 0

    clock.now = start + timedelta(days=41)
    assert ledger_admin.expire(rt).points == 30
    assert pos.balance(member) == 0
    history = to_json(member_ledger.history(rt, pos.tenant_id, member))
    assert [h["points"] for h in history if h["code"] == "expire"] == [-30, -100]
    assert_clean(rt)


def test_expired_but_unprocessed_points_cannot_be_spent(pos: Pos, rt: Runtime,
                                                        clock: FakeClock) -> None:
    set_program(rt, pos.tenant_id, expire_after_days=30, redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    pos.grant(member, 100)
    clock.advance(days=30)
    view = pos.member(member)
    assert (view["balance_points"], view["spendable_points"]) == (100, 0)
    with pytest.raises(RedemptionRefused):
        pos.commit(member, (line("cup", 10_000),), receipt="R-1", spend=1)
    ledger_admin.expire(rt)
    assert pos.balance(member) == 0
    assert_clean(rt)


def test_soonest_expiring_points_are_spent_first(pos: Pos, rt: Runtime,
                                                 clock: FakeClock) -> None:
    set_program(rt, pos.tenant_id, expire_after_days=30, redeem_share_max_bp=10_000)
    start = clock.now
    member = pos.register(1)["id"]
    pos.grant(member, 100)                                           # A: start + 30
    clock.advance(days=5)
    pos.grant(member, 100)                                           # B: start + 35
    # C: recorded last, earned 20 days ago by an offline till, so it expires first.
    offline = pos.commit(member, (line("machine", 100_000),), receipt="OFF-1",
                         occurred_at=clock.now - timedelta(days=20))
    assert offline["points_earned"] == 30                            # C: start + 15
    set_program(rt, pos.tenant_id, expire_after_days=None, redeem_share_max_bp=10_000)
    pos.grant(member, 100)                                           # D: never expires

    def lots() -> list[tuple[int, str | None]]:
        return [(lot.points, lot.expires_at and lot.expires_at.isoformat())
                for lot in member_ledger.lots(rt, pos.tenant_id, member)]

    def day(n: int) -> str:
        return (start + timedelta(days=n)).isoformat()
    assert lots() == [(30, day(15)), (100, day(30)), (100, day(35)), (100, None)]
    pos.commit(member, (line("cup", 14_000),), receipt="R-spend", spend=140)
    assert lots() == [(90, day(35)), (100, None)]
    pos.commit(member, (line("cup", 9500),), receipt="R-spend-2", spend=95)
    assert lots() == [(95, None)]
    clock.now = start + timedelta(days=400)
    assert ledger_admin.expire(rt).points == 0
    assert pos.balance(member) == 95
    assert_clean(rt)


def test_pending_points_are_not_spendable_until_the_period_passes(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    set_program(rt, pos.tenant_id, pending_days=3, expire_after_days=30,
                redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    pos.commit(member, (line("machine", 100_000),), receipt="R-earn")
    view = pos.member(member)
    assert (view["balance_points"], view["spendable_points"]) == (30, 0)
    cup = (line("cup", 5000),)
    assert pos.quote(member, cup)["max_spendable_points"] == 0
    with pytest.raises(RedemptionRefused):
        pos.commit(member, cup, receipt="R-too-soon", spend=10)

    clock.advance(days=2, hours=23, minutes=59)
    assert pos.quote(member, cup)["max_spendable_points"] == 0
    clock.advance(minutes=1)
    assert pos.quote(member, cup)["max_spendable_points"] == 30
    assert pos.commit(member, cup, receipt="R-spend", spend=30)["points_spent"] == 30
    assert pos.balance(member) == 0
    assert_clean(rt)


def test_refund_takes_back_points_that_are_still_pending(pos: Pos, rt: Runtime) -> None:
    set_program(rt, pos.tenant_id, pending_days=3, expire_after_days=30,
                debt_policy="refuse")
    member = pos.register(1)["id"]
    sale = pos.commit(member, (line("machine", 100_000),), receipt="R-earn")
    refund = pos.refund(sale["receipt"]["id"], key="r")["refund"]
    assert (refund["points_reversed"], refund["debt_points"]) == (30, 0)
    assert pos.balance(member) == 0
    assert member_ledger.lots(rt, pos.tenant_id, member) == []
    assert_clean(rt)


def test_expiry_after_a_refund_returned_points_to_an_expired_lot(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    # A lot expires, then a refund returns points that lot had paid for: they come back in a
    # fresh lot (the program's full expiry period from the refund), spendable at once, and the
    # next expiry runs leave them alone.
    set_program(rt, pos.tenant_id, expire_after_days=30, redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    pos.grant(member, 100)
    sale = pos.commit(member, (line("cup", 6000),), receipt="R-1", spend=60)
    assert sale["points_earned"] == 0
    clock.advance(days=31)
    assert ledger_admin.expire(rt).points == 40
    refund = pos.refund(sale["receipt"]["id"], key="late-refund")["refund"]
    assert refund["points_returned"] == 60
    assert pos.member(member)["spendable_points"] == 60
    assert ledger_admin.expire(rt).entries == 0
    clock.advance(days=29)
    assert ledger_admin.expire(rt).entries == 0
    assert pos.balance(member) == 60
    clock.advance(days=2)  # 30 days after the refund the returned points expire in turn
    assert ledger_admin.expire(rt) == ledger_admin.ExpiryReport(lots=1, points=60, entries=1)
    assert pos.balance(member) == 0
    assert_clean(rt)


def test_refund_does_not_take_back_points_that_already_expired(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    set_program(rt, pos.tenant_id, expire_after_days=30)
    member = pos.register(1)["id"]
    sale = pos.commit(member, (line("machine", 100_000),), receipt="R-1")
    clock.advance(days=31)
    assert ledger_admin.expire(rt).points == 30
    refund = pos.refund(sale["receipt"]["id"], key="late-refund")["refund"]
    assert refund["debt_points"] == 0
    assert pos.balance(member) == 0


def test_partial_refunds_forgive_expired_points_once(pos: Pos, rt: Runtime,
                                                    clock: FakeClock) -> None:
    set_program(rt, pos.tenant_id, expire_after_days=30)
    member = pos.register(1)["id"]
    sale = pos.commit(member, (line("cup", 10_000, quantity=10),), receipt="R-1")
    assert sale["points_earned"] == 30
    clock.advance(days=10)
    pos.commit(member, (line("cake", 100_000),), receipt="R-2")  # 30 more, expiring later
    clock.advance(days=21)
    assert ledger_admin.expire(rt).points == 30  # R-1's points are gone
    first = pos.refund(sale["receipt"]["id"], [(1, 4000)], key="r-1")["refund"]
    assert (first["points_forgiven"], first["points_reversed"]) == (12, 0)
    rest = pos.refund(sale["receipt"]["id"], key="r-2")["refund"]
    assert (rest["points_forgiven"], rest["points_reversed"]) == (18, 0)
    assert pos.balance(member) == 30  # R-2's points are untouched
    assert ledger_admin.check(rt) == []


def test_points_returned_after_their_lot_expired_survive_the_next_expiry(
        pos: Pos, rt: Runtime, clock: FakeClock) -> None:
    set_program(rt, pos.tenant_id, expire_after_days=30)
    member = pos.register(1)["id"]
    pos.grant(member, 100)
    clock.advance(days=5)
    sale = pos.commit(member, (line("cake", 100_000),), receipt="R-1", spend=100)
    assert sale["points_spent"] == 100
    clock.advance(days=40)  # the lot the points came from has expired
    refund = pos.refund(sale["receipt"]["id"], key="late")["refund"]
    assert refund["points_returned"] == 100
    ledger_admin.expire(rt)
    assert pos.balance(member) == 100  # the returned points were not expired again
    assert ledger_admin.check(rt) == []
