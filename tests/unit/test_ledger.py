"""Ledger rules: balanced entries, FEFO spending, reversals that prefer the origin lot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.ledger.ledger import (
    Lot,
    Posting,
    Reversal,
    SystemAccount,
    check_balanced,
    expiry_key,
    expiry_memo,
    plan_reversal,
    settle_debt,
    spendable_lots,
    take_fefo,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def lot(lot_id: int, remaining: int, *, available_in_days: float = -1,
        expires_in_days: float | None = 30) -> Lot:
    return Lot(
        id=lot_id,
        remaining=remaining,
        available_at=NOW + available_in_days * DAY,
        expires_at=None if expires_in_days is None else NOW + expires_in_days * DAY,
    )


# --- check_balanced -----------------------------------------------------------------------


def test_a_balanced_entry_passes() -> None:
    check_balanced([Posting(SystemAccount.ISSUED, -100), Posting(42, 100)])
    check_balanced([Posting(7, -30), Posting(SystemAccount.REDEEMED, 20),
                    Posting(SystemAccount.EXPIRED, 10)])


@pytest.mark.parametrize(
    ("postings", "message"),
    [
        ([], "needs postings"),
        ([Posting(1, 0)], "zero points"),
        ([Posting(1, 100), Posting(2, -100), Posting(3, 0)], "zero points"),
        ([Posting(1, 100)], "do not balance"),
        ([Posting(1, 100), Posting(2, -99)], "do not balance"),
    ],
)
def test_an_unbalanced_entry_is_refused(postings: list[Posting], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_balanced(postings)


# --- spendable_lots -----------------------------------------------------------------------


def test_spendable_lots_are_ordered_soonest_expiry_first_never_expiring_last() -> None:
    lots = [
        lot(1, 10, expires_in_days=None),
        lot(2, 10, expires_in_days=90),
        lot(3, 10, expires_in_days=5),
        lot(4, 10, expires_in_days=None),
        lot(5, 10, expires_in_days=30),
    ]
    assert [x.id for x in spendable_lots(lots, NOW)] == [3, 5, 2, 1, 4]


def test_lots_expiring_together_are_taken_oldest_first() -> None:
    lots = [lot(9, 10, expires_in_days=10), lot(2, 10, expires_in_days=10),
            lot(5, 10, expires_in_days=10)]
    assert [x.id for x in spendable_lots(lots, NOW)] == [2, 5, 9]


def test_pending_expired_and_empty_lots_are_not_spendable() -> None:
    lots = [
        lot(1, 10, available_in_days=1),  # pending
        lot(2, 10, expires_in_days=-1),  # expired, not yet processed
        lot(3, 0),  # used up
        lot(4, 10, available_in_days=0),  # becomes available exactly now
        lot(5, 10, expires_in_days=0),  # expires exactly now
        lot(6, 10),
    ]
    assert [x.id for x in spendable_lots(lots, NOW)] == [4, 6]  # same expiry: by id


def test_a_pending_lot_becomes_spendable_when_its_time_comes() -> None:
    pending = lot(1, 10, available_in_days=3)
    assert spendable_lots([pending], NOW) == []
    assert spendable_lots([pending], NOW + 3 * DAY) == [pending]


# --- take_fefo ----------------------------------------------------------------------------


def test_take_fefo_empties_the_soonest_expiring_lot_first() -> None:
    lots = [lot(1, 50, expires_in_days=None), lot(2, 30, expires_in_days=60),
            lot(3, 20, expires_in_days=10)]
    assert take_fefo(lots, 45, NOW) == [(3, 20), (2, 25)]


def test_take_fefo_reaches_never_expiring_lots_last() -> None:
    lots = [lot(1, 50, expires_in_days=None), lot(2, 30, expires_in_days=60)]
    assert take_fefo(lots, 80, NOW) == [(2, 30), (1, 50)]


def test_take_fefo_stops_at_an_exact_fit() -> None:
    lots = [lot(1, 20, expires_in_days=5), lot(2, 20, expires_in_days=6)]
    assert take_fefo(lots, 20, NOW) == [(1, 20)]


def test_take_fefo_skips_pending_and_expired_lots() -> None:
    lots = [lot(1, 100, available_in_days=2, expires_in_days=1),
            lot(2, 100, expires_in_days=-1), lot(3, 10, expires_in_days=40)]
    assert take_fefo(lots, 10, NOW) == [(3, 10)]


def test_take_fefo_reports_the_shortfall() -> None:
    lots = [lot(1, 10), lot(2, 5), lot(3, 100, available_in_days=1)]
    with pytest.raises(ValueError, match="3 points short"):
        take_fefo(lots, 18, NOW)


def test_take_fefo_with_no_lots_is_short_by_everything() -> None:
    with pytest.raises(ValueError, match="7 points short"):
        take_fefo([], 7, NOW)


@pytest.mark.parametrize("points", [0, -1])
def test_take_fefo_refuses_a_non_positive_amount(points: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        take_fefo([lot(1, 10)], points, NOW)


lots_strategy = st.lists(
    st.builds(
        lambda remaining, available, expires: (remaining, available, expires),
        st.integers(min_value=0, max_value=500),
        st.integers(min_value=-5, max_value=5),
        st.one_of(st.none(), st.integers(min_value=-5, max_value=60)),
    ),
    max_size=12,
).map(lambda specs: [lot(i + 1, r, available_in_days=a, expires_in_days=e)
                     for i, (r, a, e) in enumerate(specs)])


@given(lots=lots_strategy, points=st.integers(min_value=1, max_value=3_000))
def test_take_fefo_takes_exactly_what_is_asked_from_spendable_lots(
    lots: list[Lot], points: int
) -> None:
    usable = spendable_lots(lots, NOW)
    available = sum(x.remaining for x in usable)
    if points > available:
        with pytest.raises(ValueError, match=f"{points - available} points short"):
            take_fefo(lots, points, NOW)
        return
    taken = take_fefo(lots, points, NOW)
    assert sum(part for _, part in taken) == points
    by_id = {x.id: x for x in usable}
    assert len({lot_id for lot_id, _ in taken}) == len(taken)
    for lot_id, part in taken:
        assert lot_id in by_id
        assert 0 < part <= by_id[lot_id].remaining
    # FEFO: every lot before the last one taken was emptied, in spendable order.
    order = [x.id for x in usable]
    assert [lot_id for lot_id, _ in taken] == order[: len(taken)]
    for lot_id, part in taken[:-1]:
        assert part == by_id[lot_id].remaining


# --- plan_reversal ------------------------------------------------------------------------


def test_reversal_takes_from_the_origin_lot_first() -> None:
    lots = [lot(1, 50, expires_in_days=5), lot(2, 40, expires_in_days=300)]
    assert plan_reversal(lots, 30, 2, NOW) == Reversal(from_lots=((2, 30),), debt=0)


def test_reversal_falls_back_to_fefo_once_the_origin_lot_is_spent() -> None:
    lots = [
        lot(1, 10, expires_in_days=None),
        lot(2, 15, expires_in_days=300),  # origin: partly spent already
        lot(3, 20, expires_in_days=90),
        lot(4, 5, expires_in_days=10),
    ]
    reversal = plan_reversal(lots, 45, 2, NOW)
    assert reversal == Reversal(from_lots=((2, 15), (4, 5), (3, 20), (1, 5)), debt=0)


def test_reversal_includes_pending_lots() -> None:
    lots = [lot(1, 10, available_in_days=7, expires_in_days=40)]
    assert plan_reversal(lots, 10, None, NOW) == Reversal(from_lots=((1, 10),), debt=0)


def test_reversal_leaves_the_rest_as_debt() -> None:
    lots = [lot(1, 10), lot(2, 0)]
    assert plan_reversal(lots, 25, 2, NOW) == Reversal(from_lots=((1, 10),), debt=15)


def test_reversal_with_nothing_to_take_is_all_debt() -> None:
    assert plan_reversal([], 25, None, NOW) == Reversal(from_lots=(), debt=25)


def test_reversal_ignores_expired_lots_even_the_origin() -> None:
    lots = [lot(1, 50, expires_in_days=-1), lot(2, 50, expires_in_days=0),
            lot(3, 5, expires_in_days=10)]
    assert plan_reversal(lots, 20, 1, NOW) == Reversal(from_lots=((3, 5),), debt=15)


def test_reversal_with_an_unknown_origin_is_plain_fefo() -> None:
    lots = [lot(1, 10, expires_in_days=None), lot(2, 10, expires_in_days=20)]
    assert plan_reversal(lots, 15, 99, NOW) == Reversal(from_lots=((2, 10), (1, 5)), debt=0)


@pytest.mark.parametrize("points", [0, -5])
def test_reversal_refuses_a_non_positive_amount(points: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        plan_reversal([lot(1, 10)], points, None, NOW)


@given(
    lots=lots_strategy,
    points=st.integers(min_value=1, max_value=3_000),
    origin=st.one_of(st.none(), st.integers(min_value=1, max_value=13)),
)
def test_reversal_accounts_for_every_point(
    lots: list[Lot], points: int, origin: int | None
) -> None:
    reversal = plan_reversal(lots, points, origin, NOW)
    assert sum(part for _, part in reversal.from_lots) + reversal.debt == points
    assert reversal.debt >= 0
    by_id = {x.id: x for x in lots}
    for lot_id, part in reversal.from_lots:
        source = by_id[lot_id]
        assert 0 < part <= source.remaining
        assert source.expires_at is None or source.expires_at > NOW
    open_points = sum(x.remaining for x in lots
                      if x.remaining > 0 and (x.expires_at is None or x.expires_at > NOW))
    # Debt only once every open lot has given all it holds.
    assert reversal.debt == max(0, points - open_points)
    origin_lot = by_id.get(origin) if origin is not None else None
    if origin_lot is not None and reversal.from_lots and origin_lot.remaining > 0 and (
            origin_lot.expires_at is None or origin_lot.expires_at > NOW):
        assert reversal.from_lots[0] == (origin, min(points, origin_lot.remaining))


# --- settle_debt --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debt", "credit", "expected"),
    [
        (0, 50, (0, 50)),
        (30, 50, (30, 20)),
        (50, 50, (50, 0)),
        (80, 50, (50, 0)),
        (10, 0, (0, 0)),
    ],
)
def test_settle_debt_repays_before_a_new_lot(
    debt: int, credit: int, expected: tuple[int, int]
) -> None:
    assert settle_debt(debt, credit) == expected


def test_expiry_keys_are_unique_per_lot_and_state() -> None:
    assert expiry_key(5, 17, expired_before=0) == "expire:5:lot:17"
    assert expiry_key(5, 17, expired_before=40) == "expire:5:lot:17:after:40"
    assert len({expiry_key(5, 17, expired_before=e) for e in (0, 40, 70)}) == 3


def test_expiry_memo_lists_each_lot_lowest_id_first_and_the_total() -> None:
    assert expiry_memo([(9, 30), (4, 10)]) == {
        "lots": [[4, 10], [9, 30]], "why": [{"code": "expire", "params": {"points": 40}}]}

