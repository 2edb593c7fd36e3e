"""What a refund or void should do, planned without a database: shares in proportion and
cumulative, expired points forgiven, the debt policy, the receipt's status, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.checkout.refunds import Receipt, ReceiptLine, RefundPlan, plan_refund
from regulars.domain.program.program import DebtPolicy
from regulars.errors import InvalidInput, RefundRefused, VoidRefused

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def line(line_no: int, *, quantity: int = 1000, refunded: int = 0, earned: int = 0,
         spent: int = 0, paid: int = 0) -> ReceiptLine:
    return ReceiptLine(line_no=line_no, quantity_milli=quantity,
                       refunded_quantity_milli=refunded, points_earned=earned,
                       points_spent=spent, paid_minor=paid)


def receipt(*lines: ReceiptLine, status: str = "committed", minutes_ago: int = 5,
            earned_expired: int = 0) -> Receipt:
    return Receipt(status=status, recorded_at=NOW - timedelta(minutes=minutes_ago),
                   lines=lines, earned_expired=earned_expired)


def plan(r: Receipt, wanted: list[tuple[int, int]] | None = None, *, void: bool = False,
         policy: DebtPolicy = DebtPolicy.ALLOW_NEGATIVE) -> RefundPlan:
    return plan_refund(r, wanted, void=void, now=NOW, void_window_minutes=30,
                       debt_policy=policy)


def test_a_whole_refund_takes_back_every_point_and_returns_every_payment() -> None:
    p = plan(receipt(line(1, earned=30, spent=20, paid=900), line(2, earned=7, paid=300)))
    assert (p.earned_back, p.spent_back, p.paid_back_minor) == (37, 20, 1200)
    assert p.status == "refunded" and p.kind == "refund"
    assert [(s.line_no, s.before, s.after) for s in p.shares] == [(1, 0, 1000), (2, 0, 1000)]


def test_a_partial_refund_takes_its_share_and_leaves_the_receipt_partly_refunded() -> None:
    p = plan(receipt(line(1, quantity=3000, earned=10, spent=5, paid=3000)), [(1, 1000)])
    # A third of 10 points, floored; the later refunds make up the rest.
    assert (p.earned_back, p.spent_back, p.paid_back_minor) == (3, 1, 1000)
    assert p.status == "partially_refunded"


@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=8),
       st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_partial_refunds_that_cover_the_line_add_up_to_it_exactly(
        parts: list[int], earned: int, spent: int) -> None:
    whole = sum(parts)
    done = earned_back = spent_back = 0
    for part in parts:
        p = plan(receipt(line(1, quantity=whole, refunded=done, earned=earned, spent=spent)),
                 [(1, part)])
        earned_back += p.earned_back
        spent_back += p.spent_back
        done += part
    assert (earned_back, spent_back) == (earned, spent)
    assert p.status == "refunded"


def test_points_lost_to_expiry_are_forgiven_not_taken_back_twice() -> None:
    p = plan(receipt(line(1, earned=30), earned_expired=12))
    assert (p.earned_back, p.forgiven, p.reverse) == (30, 12, 18)


def test_forgiveness_never_exceeds_what_this_refund_takes_back() -> None:
    p = plan(receipt(line(1, quantity=2000, earned=30), earned_expired=25), [(1, 1000)])
    assert (p.earned_back, p.forgiven, p.reverse) == (15, 15, 0)


def test_the_debt_policy_says_whether_a_take_back_may_leave_debt() -> None:
    r = receipt(line(1, earned=30))
    assert plan(r, policy=DebtPolicy.ALLOW_NEGATIVE).allow_debt
    assert not plan(r, policy=DebtPolicy.REFUSE).allow_debt


def test_a_void_within_the_window_is_a_void_of_everything() -> None:
    p = plan(receipt(line(1, earned=30, spent=10)), void=True)
    assert (p.kind, p.status, p.earned_back, p.spent_back) == ("void", "voided", 30, 10)


@pytest.mark.parametrize(("r", "void", "error"), [
    (receipt(line(1), minutes_ago=31), True, VoidRefused),
    (receipt(line(1, refunded=500), status="partially_refunded"), True, VoidRefused),
    (receipt(line(1), status="voided"), False, RefundRefused),
    (receipt(line(1, refunded=1000), status="refunded"), False, RefundRefused),
])
def test_refused_states(r: Receipt, void: bool, error: type[Exception]) -> None:
    with pytest.raises(error):
        plan(r, void=void)


@pytest.mark.parametrize(("wanted", "error", "message"), [
    ([], InvalidInput, "at least one line"),
    ([(9, 1000)], RefundRefused, "no line 9"),
    ([(1, 0)], InvalidInput, "must be positive"),
    ([(1, 600), (1, 600)], RefundRefused, "only 1000 thousandths"),
])
def test_refused_lines(wanted: list[tuple[int, int]], error: type[Exception],
                       message: str) -> None:
    with pytest.raises(error, match=message):
        plan(receipt(line(1)), wanted)


def test_nothing_left_to_refund_is_refused() -> None:
    with pytest.raises(RefundRefused, match="nothing is left"):
        plan(receipt(line(1, refunded=1000), status="partially_refunded"))


def test_a_receipt_without_lines_is_refunded_whole_and_then_refused() -> None:
    # A receipt that only sold a gift card: nothing to give back but the card.
    p = plan(receipt())
    assert (p.status, p.shares, p.paid_back_minor) == ("refunded", (), 0)
    assert plan(receipt(), void=True).status == "voided"
    with pytest.raises(RefundRefused, match="already refunded"):
        plan(receipt(status="refunded"))
