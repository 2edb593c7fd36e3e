"""The engine's steps one at a time: each returns its amounts per line and its explanations,
and works only on the amounts it is given."""

from __future__ import annotations

from regulars.domain.checkout.engine import (
    coupon_step,
    earn_step,
    evaluate,
    program_discount_step,
    promotion_step,
    spend_step,
)
from regulars.domain.money import Rounding
from regulars.domain.program.program import EarnMode, RoundingScope
from regulars.domain.promotions.coupons import CouponOffer, Series
from regulars.domain.promotions.promotions import BonusPoints, FixedDiscount, PercentDiscount
from regulars.domain.promotions.walk import Pricing
from tests.unit.test_engine import GOLD, SILVER, line, member, program
from tests.unit.test_promotions import offers, promo

BASKET = (line("a", 10_000), line("b", 5_000, category="tobacco"), line("c", 2_501))


def pricing(*, rate_bp: int = 300, earnable: tuple[bool, ...] = (True, True, True),
            may_earn: bool = True) -> Pricing:
    return Pricing(point_value_minor=100, rounding=Rounding.FLOOR, per_line=False,
                   base_rate_bp=rate_bp, may_earn=may_earn, earnable=earnable)


def test_promotion_step_without_offers_takes_nothing_off_and_says_nothing() -> None:
    for given in (None, offers()):
        step = promotion_step(BASKET, [10_000, 5_000, 2_501], given, pricing())
        assert step.discount_minor == (0, 0, 0) and step.applied == () and step.why == ()


def test_promotion_step_discounts_what_the_till_left_and_names_the_promotion() -> None:
    step = promotion_step(BASKET, [10_000, 4_000, 2_500],
                          offers(promo(PercentDiscount(rate_bp=1_000))), pricing())
    assert step.discount_minor == (1_000, 400, 250)
    assert [e.code for e in step.why] == ["promotion_discount"]
    assert ("discount_minor", 1_650) in step.why[0].params


def test_coupon_step_applies_each_coupon_to_what_the_one_before_left() -> None:
    half = Series(id=1, name="Half", effect=PercentDiscount(rate_bp=5_000), max_uses=1)
    fixed = Series(id=2, name="Ten", effect=FixedDiscount(amount_minor=1_000), max_uses=1)
    step = coupon_step(program(), BASKET[:1], [10_000],
                       (CouponOffer(code_id=1, series=half), CouponOffer(code_id=2, series=fixed)),
                       pricing(earnable=(True,)))
    assert step.by_coupon == ((5_000,), (1_000,))
    assert step.discount_minor == (6_000,)
    assert [e.code for e in step.why] == ["coupon_discount", "coupon_discount"]


def test_program_discount_step_gives_nothing_in_the_points_mode() -> None:
    step = program_discount_step(program(), SILVER, [10_000, 5_000], [True, True])
    assert step.discount_minor == (0, 0) and step.why == ()


def test_program_discount_step_rounds_per_line_and_skips_excluded_lines() -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT, rounding_scope=RoundingScope.LINE)
    step = program_discount_step(prog, GOLD, [10_005, 5_000, 2_501], [True, False, True])
    assert step.discount_minor == (1_000, 0, 250)
    (why,) = step.why
    assert why.code == "program_discount" and ("basis_minor", 12_506) in why.params


def test_spend_step_caps_the_request_and_spreads_it_over_redeemable_lines() -> None:
    prog = program(redeem_excluded_categories=frozenset({"tobacco"}))
    step = spend_step(prog, BASKET, [10_000, 5_000, 2_501],
                      member(prog, spendable_points=1_000), points_to_spend=1_000)
    assert step.limit == 37  # 30 % of 125.01, in whole points of 1.00
    assert step.points == 37 and sum(step.points_by_line) == 37
    assert step.points_by_line[1] == 0
    assert step.money_minor == tuple(p * 100 for p in step.points_by_line)
    assert [e.code for e in step.why] == ["spend_limit", "points_spent"]


def test_spend_step_for_an_anonymous_receipt_spends_nothing_and_says_nothing() -> None:
    step = spend_step(program(), BASKET, [10_000, 5_000, 2_501], None, points_to_spend=10)
    assert (step.limit, step.points, step.why) == (0, 0, ())


def test_earn_step_earns_on_the_earnable_basis_and_spreads_bonus_points() -> None:
    prog = program()
    bonus = Series(id=3, name="Bonus", effect=BonusPoints(points=30), max_uses=1)
    step = earn_step(prog, BASKET, [10_000, 5_000, 2_500], member(prog), (),
                     (CouponOffer(code_id=1, series=bonus),),
                     pricing=pricing(rate_bp=100, earnable=(True, False, True)), spent=0)
    assert step.basis_minor == (10_000, 0, 2_500)
    assert sum(step.program_points) == 1  # 1 % of 125.00 in points of 1.00, floored
    assert step.coupon_points == (24, 0, 6) and step.by_coupon == (30,)
    assert [e.code for e in step.why] == ["points_earned", "earn_excluded", "coupon_points"]


def test_earn_step_tells_an_anonymous_receipt_why_it_earns_nothing() -> None:
    step = earn_step(program(), BASKET, [10_000, 5_000, 2_501], None, (), (),
                     pricing=pricing(rate_bp=0, may_earn=False), spent=0)
    assert step.program_points == (0, 0, 0)
    assert [e.code for e in step.why] == ["anonymous"]


def test_evaluate_is_the_steps_composed() -> None:
    prog = program()
    quote = evaluate(prog, BASKET, member(prog, spendable_points=50), points_to_spend=20)
    assert [ln.paid_minor for ln in quote.lines] == [
        ln.gross_minor - ln.points_discount_minor for ln in quote.lines]
    assert quote.points_spent == 20
    assert [e.code for e in quote.explanations] == [
        "spend_limit", "points_spent", "points_earned", "earn_after_points", "level_progress"]
