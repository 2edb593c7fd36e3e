"""Budgets in the pure core: what limits leave for a receipt, periods, the split, and how the
engine leaves out a promotion that does not fit."""

from __future__ import annotations

from datetime import date

import pytest

from regulars.domain.checkout.engine import evaluate
from regulars.domain.promotions.budgets import (
    NOTHING,
    UNLIMITED,
    Allowance,
    Bucket,
    Limits,
    Period,
    Spent,
    Split,
    Uses,
    allowance_for,
    period_start,
)
from regulars.domain.promotions.promotions import (
    BonusPoints,
    Candidate,
    FixedDiscount,
    Offers,
    PercentDiscount,
    PointsMultiplier,
    Promotion,
    Stacking,
)
from tests.unit.test_promotions import BASKET, NOON, PROGRAM, line, member, promo


def offered(*pairs: tuple[Promotion, Allowance], pool: int | None = None) -> Offers:
    return Offers(candidates=tuple(Candidate(promotion=p, condition_met=True, allowance=a)
                                   for p, a in pairs), store_id=1, local_now=NOON,
                  pool_minor=pool)


def test_allowance_is_the_least_of_budget_and_member_cap() -> None:
    limits = Limits(budget_minor=1000, member_minor=300, budget_points=50)
    assert allowance_for(limits, spent=Spent(discount_minor=800, points=10),
                         member_spent=Spent(discount_minor=100), uses=Uses()) == Allowance(
        discount_minor=200, points=40)
    assert allowance_for(limits, spent=Spent(discount_minor=1200), member_spent=Spent(),
                         uses=Uses()).discount_minor == 0  # a budget lowered below spend
    assert allowance_for(Limits(), spent=Spent(), member_spent=None, uses=None) == UNLIMITED


def test_use_limits_and_anonymous_receipts() -> None:
    daily = Limits(uses_per_day=1, uses_per_period=3, period=Period.WEEK)
    assert allowance_for(daily, spent=Spent(), member_spent=Spent(),
                         uses=Uses(today=0, period=2)) == UNLIMITED
    assert allowance_for(daily, spent=Spent(), member_spent=Spent(),
                         uses=Uses(today=1, period=1)) == NOTHING
    assert allowance_for(daily, spent=Spent(), member_spent=Spent(),
                         uses=Uses(today=0, period=3)) == NOTHING
    assert allowance_for(daily, spent=Spent(), member_spent=None, uses=None) == NOTHING
    assert allowance_for(Limits(budget_minor=5), spent=Spent(), member_spent=None,
                         uses=None) == Allowance(discount_minor=5)


def test_periods_start_on_monday_and_on_the_first() -> None:
    sunday = date(2026, 3, 8)
    assert period_start(sunday, Period.WEEK) == date(2026, 3, 2)
    assert period_start(date(2026, 3, 2), Period.WEEK) == date(2026, 3, 2)
    assert period_start(sunday, Period.MONTH) == date(2026, 3, 1)


def test_split_caps_and_validation() -> None:
    split = Split(total_minor=100_001)
    assert [split.cap_minor(b) for b in Bucket] == [50_000, 25_000, 25_000]
    assert Split().cap_minor(Bucket.MASS) is None
    with pytest.raises(ValueError, match="add up"):
        Split(base_bp=5000, mass_bp=5000, targeted_bp=1)
    with pytest.raises(ValueError, match="budget_minor"):
        Limits(budget_minor=0)


def test_a_promotion_that_does_not_fit_is_left_out_and_the_walk_goes_on() -> None:
    big = promo(FixedDiscount(amount_minor=500), pid=1, priority=1)
    small = promo(FixedDiscount(amount_minor=100), pid=2)
    q = evaluate(PROGRAM, BASKET, member(), offers=offered(
        (big, Allowance(discount_minor=499)), (small, UNLIMITED)))
    assert [p.id for p in q.promotions] == [2]
    q = evaluate(PROGRAM, BASKET, member(), offers=offered(
        (big, Allowance(discount_minor=500)), (small, UNLIMITED)))
    assert [p.id for p in q.promotions] == [1, 2]


def test_the_pool_is_shared_by_every_promotion_on_the_receipt() -> None:
    first = promo(FixedDiscount(amount_minor=300), pid=1, priority=1)
    second = promo(BonusPoints(points=3), pid=2)  # costs 3.00 at the point value
    third = promo(FixedDiscount(amount_minor=100), pid=3, priority=-1)
    q = evaluate(PROGRAM, BASKET, member(), offers=offered(
        (first, UNLIMITED), (second, UNLIMITED), (third, UNLIMITED), pool=450))
    assert [p.id for p in q.promotions] == [1, 3]  # 300 + 100; the 300 in points no longer fit
    assert sum(p.discount_minor + p.points * 100 for p in q.promotions) <= 450


def test_a_best_of_that_does_not_fit_cannot_win() -> None:
    money = promo(FixedDiscount(amount_minor=300), pid=1, stacking=Stacking.BEST_OF)
    less = promo(FixedDiscount(amount_minor=200), pid=2, stacking=Stacking.BEST_OF)
    q = evaluate(PROGRAM, BASKET, member(), offers=offered(
        (money, Allowance(discount_minor=250)), (less, UNLIMITED)))
    assert [p.id for p in q.promotions] == [2]


def test_limited_points_never_exceed_what_the_walk_counted() -> None:
    # Points are checked as the walk counts them (before points spent) and a limited
    # promotion's final points are capped at that figure, so the check can never be beaten.
    basket = (line("a", 10_000), line("b", 30_000))
    double = promo(PointsMultiplier(factor_percent=200))
    q = evaluate(PROGRAM, basket, member(), offers=offered((double, Allowance(points=12))))
    assert q.promotions[0].points == 12
    assert evaluate(PROGRAM, basket, member(), offers=offered(
        (double, Allowance(points=11)))).promotions == ()
    assert evaluate(PROGRAM, basket, member(), points_to_spend=0, offers=offered(
        (double, Allowance(points=11)), (promo(PercentDiscount(rate_bp=1000), pid=2),
                                         UNLIMITED))).promotions[0].id == 2


def test_per_line_shares_add_up_to_the_totals() -> None:
    q = evaluate(PROGRAM, BASKET, member(), offers=offered(
        (promo(PercentDiscount(rate_bp=1000), BonusPoints(points=7)), UNLIMITED)))
    applied = q.promotions[0]
    assert sum(applied.discount_by_line) == applied.discount_minor > 0
    assert sum(applied.points_by_line) == applied.points == 7
    assert len(applied.discount_by_line) == len(BASKET)
