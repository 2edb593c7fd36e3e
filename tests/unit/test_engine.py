"""The rule engine: a basket and a member in, a fully explained quote out."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.domain.checkout.engine import evaluate, max_spendable
from regulars.domain.checkout.quote import BasketLine, Explanation, MemberContext, Quote
from regulars.domain.money import Rounding, apply_rate, divide
from regulars.domain.program.program import (
    EarnMode,
    Level,
    Program,
    RoundingScope,
    SpendWindows,
    level_status,
)

BASE = Level(code="base", name="Base", threshold_minor=0, rate_bp=100)
SILVER = Level(code="silver", name="Silver", threshold_minor=100_000, rate_bp=300)
GOLD = Level(code="gold", name="Gold", threshold_minor=1_000_000, rate_bp=1_000)
LEVELS = (BASE, SILVER, GOLD)


def program(**overrides: Any) -> Program:
    settings_: dict[str, Any] = {"levels": LEVELS, "point_value_minor": 100,
                                 "redeem_share_max_bp": 3_000, "rounding": Rounding.FLOOR,
                                 "rounding_scope": RoundingScope.RECEIPT}
    settings_.update(overrides)
    return Program(**settings_)


def member(
    prog: Program, *, lifetime_minor: int = 0, spendable_points: int = 0, may_earn: bool = True
) -> MemberContext:
    windows = SpendWindows(lifetime_minor=lifetime_minor, rolling_12_months_minor=lifetime_minor,
                           this_year_minor=lifetime_minor, last_year_minor=0)
    return MemberContext(level=level_status(prog, windows, None),
                         spendable_points=spendable_points, may_earn=may_earn)


def line(
    sku: str, unit_price_minor: int, qty: int = 1, *, category: str = "", discount_minor: int = 0
) -> BasketLine:
    return BasketLine(sku=sku, category=category, quantity_milli=qty * 1000,
                      unit_price_minor=unit_price_minor, discount_minor=discount_minor)


def codes(quote: Quote) -> list[str]:
    return [e.code for e in quote.explanations]


def explanation(quote: Quote, code: str) -> Explanation:
    (found,) = [e for e in quote.explanations if e.code == code]
    return found


SILVER_SPEND = 150_000  # 1,500.00 lifetime: silver, 3 %
GOLD_SPEND = 1_000_000  # 10,000.00 lifetime: gold, 10 %

# The benchmark basket: 10.00 × 1, 25.50 × 2, 40.00 × 1, 99.99 × 1, 5.25 × 3.
BENCHMARK = (
    line("A", 1_000, 1),
    line("B", 2_550, 2),
    line("C", 4_000, 1),
    line("D", 9_999, 1),
    line("E", 525, 3),
)
BENCHMARK_GROSS = [1_000, 5_100, 4_000, 9_999, 1_575]  # sums to 21,674 = 216.74


# --- Basket lines -------------------------------------------------------------------------


def test_line_amount_is_price_times_quantity_rounded_half_up() -> None:
    assert line("A", 2_550, 2).gross_minor == 5_100
    # 1.234 kg at 3.99 = 4.92366 -> 4.92
    assert BasketLine(sku="K", quantity_milli=1_234, unit_price_minor=399).gross_minor == 492
    # 0.5 × 0.01 = 0.005 -> 0.01 (an exact half rounds up)
    assert BasketLine(sku="H", quantity_milli=500, unit_price_minor=1).gross_minor == 1
    assert BasketLine(sku="Z", quantity_milli=1, unit_price_minor=0).gross_minor == 0


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**9))
def test_line_amount_rounds_as_divide_half_up(price: int, quantity_milli: int) -> None:
    line_ = BasketLine(sku="P", quantity_milli=quantity_milli, unit_price_minor=price)
    assert line_.gross_minor == divide(price * quantity_milli, 1000, Rounding.HALF_UP)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quantity_milli": 0}, "quantity"),
        ({"quantity_milli": -1000}, "quantity"),
        ({"unit_price_minor": -1}, "unit price"),
        ({"discount_minor": -1}, "discount must not be negative"),
        ({"discount_minor": 1_001}, "must not exceed"),
    ],
)
def test_an_invalid_line_cannot_be_built(overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"sku": "A", "quantity_milli": 1_000, "unit_price_minor": 1_000}
    values.update(overrides)
    with pytest.raises(ValueError, match=message):
        BasketLine(**values)


def test_a_line_discount_equal_to_the_amount_is_allowed() -> None:
    assert line("A", 1_000, discount_minor=1_000).gross_minor == 1_000


def test_evaluate_refuses_an_empty_basket_and_negative_points() -> None:
    prog = program()
    with pytest.raises(ValueError, match="no lines"):
        evaluate(prog, (), None)
    with pytest.raises(ValueError, match="negative"):
        evaluate(prog, (line("A", 100),), member(prog), points_to_spend=-1)


# --- The benchmark basket -----------------------------------------------------------------


def test_benchmark_basket_earns_at_silver_with_receipt_rounding() -> None:
    prog = program()
    quote = evaluate(prog, BENCHMARK, member(prog, lifetime_minor=SILVER_SPEND))

    assert [ql.gross_minor for ql in quote.lines] == BENCHMARK_GROSS
    assert quote.gross_minor == 21_674
    assert quote.paid_minor == 21_674
    assert quote.discount_minor == 0
    assert quote.rate_bp == 300
    assert quote.level_code == "silver"
    # 216.74 × 3 % = 6.5022 points -> 6 under FLOOR.
    assert quote.points_earned == 6
    # Split by largest remainder over the line amounts: exact shares 0.277, 1.412, 1.107,
    # 2.768, 0.436 -> floors 0, 1, 1, 2, 0, and the two units left go to D (.768) and E (.436).
    assert [ql.points_earned for ql in quote.lines] == [0, 1, 1, 3, 1]
    # 30 % of 216.74 = 65.02 -> 65 points at most (the member has none, so 0 here).
    assert quote.max_spendable_points == 0


def test_benchmark_basket_with_points_spent_at_silver() -> None:
    prog = program()
    quote = evaluate(prog, BENCHMARK,
                     member(prog, lifetime_minor=SILVER_SPEND, spendable_points=1_000),
                     points_to_spend=20)

    # 30 % of 21,674 = 6,502.2 -> 6,502 minor -> 65 whole points.
    assert quote.max_spendable_points == 65
    assert quote.points_spent == 20
    assert quote.points_discount_minor == 2_000
    # Points split over line capacities (whole points per line): 10, 51, 40, 99, 15 (sum 215).
    # Shares 0.930, 4.744, 3.721, 9.209, 1.395 -> floors 0, 4, 3, 9, 1 (17); three left go to
    # A, B and C, the largest remainders.
    assert [ql.points_spent for ql in quote.lines] == [1, 5, 4, 9, 1]
    assert [ql.paid_minor for ql in quote.lines] == [900, 4_600, 3_600, 9_099, 1_475]
    assert quote.paid_minor == 19_674
    # Earn on what is left: 196.74 × 3 % = 5.9022 -> 5.
    assert quote.earn_basis_minor == 19_674
    assert quote.points_earned == 5
    # Shares 0.229, 1.169, 0.915, 2.312, 0.375 -> floors 0, 1, 0, 2, 0; C and E take the rest.
    assert [ql.points_earned for ql in quote.lines] == [0, 1, 1, 2, 1]
    assert codes(quote) == ["spend_limit", "points_spent", "points_earned",
                            "earn_after_points", "level_progress"]


def test_benchmark_basket_line_rounding_floors_each_line() -> None:
    prog = program(rounding_scope=RoundingScope.LINE)
    quote = evaluate(prog, BENCHMARK,
                     member(prog, lifetime_minor=SILVER_SPEND, spendable_points=1_000),
                     points_to_spend=20)
    # 9.00, 46.00, 36.00, 90.99, 14.75 at 3 %: 0.27, 1.38, 1.08, 2.7297, 0.4425.
    assert [ql.points_earned for ql in quote.lines] == [0, 1, 1, 2, 0]
    assert quote.points_earned == 4  # one fewer than the receipt total of 5


@pytest.mark.parametrize(
    ("rounding", "expected_lines", "expected_total"),
    [
        # 21,674 at 10 % = 2,167.4 -> 2,167, then split by largest remainder:
        # shares 99.98, 509.91, 399.93, 999.72, 157.47 -> floors sum 2,163; four units to A-D.
        (Rounding.FLOOR, [100, 510, 400, 1_000, 157], 2_167),
        (Rounding.HALF_UP, [100, 510, 400, 1_000, 157], 2_167),
        (Rounding.CEILING, [100, 510, 400, 1_000, 158], 2_168),
    ],
)
def test_benchmark_basket_in_discount_mode_at_gold_receipt_rounding(
    rounding: Rounding, expected_lines: list[int], expected_total: int
) -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT, rounding=rounding)
    quote = evaluate(prog, BENCHMARK, member(prog, lifetime_minor=GOLD_SPEND))
    assert [ql.program_discount_minor for ql in quote.lines] == expected_lines
    assert quote.discount_minor == expected_total
    assert quote.paid_minor == 21_674 - expected_total
    assert quote.points_earned == 0
    assert [ql.points_earned for ql in quote.lines] == [0] * 5
    why = explanation(quote, "program_discount")
    assert why.param("rate_bp") == 1_000
    assert why.param("basis_minor") == 21_674
    assert why.param("discount_minor") == expected_total
    assert why.param("level") == "Gold"
    assert "points_earned" not in codes(quote)
    assert codes(quote)[-1] == "level_top"


@pytest.mark.parametrize(
    ("rounding", "expected_lines"),
    [
        # Per line at 10 %: 100.0, 510.0, 400.0, 999.9, 157.5
        (Rounding.FLOOR, [100, 510, 400, 999, 157]),
        (Rounding.HALF_UP, [100, 510, 400, 1_000, 158]),
        (Rounding.HALF_EVEN, [100, 510, 400, 1_000, 158]),
        (Rounding.CEILING, [100, 510, 400, 1_000, 158]),
    ],
)
def test_benchmark_basket_in_discount_mode_at_gold_line_rounding(
    rounding: Rounding, expected_lines: list[int]
) -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT, rounding=rounding,
                   rounding_scope=RoundingScope.LINE)
    quote = evaluate(prog, BENCHMARK, member(prog, lifetime_minor=GOLD_SPEND))
    assert [ql.program_discount_minor for ql in quote.lines] == expected_lines
    assert quote.paid_minor == 21_674 - sum(expected_lines)


# --- Earning ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        # 50.00 at 3 % = 1.5 points
        (Rounding.FLOOR, 1),
        (Rounding.HALF_UP, 2),
        (Rounding.HALF_EVEN, 2),
        (Rounding.CEILING, 2),
    ],
)
def test_earn_rounds_an_exact_half_point_by_policy(rounding: Rounding, expected: int) -> None:
    prog = program(rounding=rounding)
    quote = evaluate(prog, (line("A", 5_000),), member(prog, lifetime_minor=SILVER_SPEND))
    assert quote.points_earned == expected


def test_half_even_rounds_an_even_half_down() -> None:
    prog = program(rounding=Rounding.HALF_EVEN)
    # 250.00 at 1 % (base) = 2.5 points -> 2
    quote = evaluate(prog, (line("A", 25_000),), member(prog))
    assert quote.points_earned == 2


def test_receipt_rounding_can_earn_more_than_line_rounding() -> None:
    basket = (line("A", 5_000), line("B", 5_000))  # 1.5 points each at 3 %
    receipt = program(rounding_scope=RoundingScope.RECEIPT)
    per_line = program(rounding_scope=RoundingScope.LINE)
    assert evaluate(receipt, basket, member(receipt, lifetime_minor=SILVER_SPEND)
                    ).points_earned == 3
    by_line = evaluate(per_line, basket, member(per_line, lifetime_minor=SILVER_SPEND))
    assert by_line.points_earned == 2
    assert [ql.points_earned for ql in by_line.lines] == [1, 1]


def test_point_value_divides_the_earn() -> None:
    # 1 point = 0.10: 100.00 at 3 % = 3.00 = 30 points.
    prog = program(point_value_minor=10)
    quote = evaluate(prog, (line("A", 10_000),), member(prog, lifetime_minor=SILVER_SPEND))
    assert quote.points_earned == 30


def test_earn_explanation_states_its_inputs() -> None:
    prog = program(rounding=Rounding.HALF_UP, rounding_scope=RoundingScope.LINE)
    quote = evaluate(prog, (line("A", 5_000),), member(prog, lifetime_minor=SILVER_SPEND))
    why = explanation(quote, "points_earned")
    assert dict(why.params) == {"points": 2, "level": "Silver", "rate_bp": 300,
                                "basis_minor": 5_000, "point_value_minor": 100,
                                "rounding": "half_up", "scope": "line"}


def test_excluded_categories_earn_nothing() -> None:
    prog = program(earn_excluded_categories=frozenset({"tobacco", "alcohol"}))
    basket = (line("A", 10_000, category="food"), line("B", 10_000, category="tobacco"),
              line("C", 10_000, category="alcohol"))
    quote = evaluate(prog, basket, member(prog, lifetime_minor=SILVER_SPEND))
    assert [ql.earn_basis_minor for ql in quote.lines] == [10_000, 0, 0]
    assert [ql.points_earned for ql in quote.lines] == [3, 0, 0]
    assert quote.points_earned == 3
    assert quote.paid_minor == 30_000
    assert explanation(quote, "earn_excluded").param("categories") == "alcohol, tobacco"


def test_till_discount_reduces_the_earn_basis() -> None:
    prog = program()
    quote = evaluate(prog, (line("A", 10_000, discount_minor=5_000),),
                     member(prog, lifetime_minor=SILVER_SPEND))
    (ql,) = quote.lines
    assert ql.till_discount_minor == 5_000
    assert ql.paid_minor == 5_000
    assert ql.earn_basis_minor == 5_000
    assert quote.discount_minor == 5_000
    assert quote.points_earned == 1  # 50.00 at 3 % = 1.5 -> 1


def test_earn_basis_is_what_is_left_after_points() -> None:
    prog = program(redeem_share_max_bp=10_000)
    basket = (line("A", 10_000),)
    before = evaluate(prog, basket, member(prog, lifetime_minor=GOLD_SPEND, spendable_points=50))
    after = evaluate(prog, basket, member(prog, lifetime_minor=GOLD_SPEND, spendable_points=50),
                     points_to_spend=50)
    assert before.points_earned == 10  # 100.00 at 10 %
    assert after.paid_minor == 5_000
    assert after.earn_basis_minor == 5_000
    assert after.points_earned == 5  # 50.00 at 10 %
    assert "earn_after_points" in codes(after)
    assert "earn_after_points" not in codes(before)


def test_a_refused_spend_does_not_claim_the_earn_was_after_points() -> None:
    # Points asked for but none spendable: nothing was spent, so the earn is on the full
    # amount and the quote must not say otherwise.
    prog = program()
    quote = evaluate(prog, (line("A", 10_000),), member(prog, spendable_points=0),
                     points_to_spend=10)
    assert quote.points_spent == 0
    assert quote.earn_basis_minor == 10_000
    assert "earn_after_points" not in codes(quote)


def test_a_zero_rate_level_earns_nothing() -> None:
    zero = Level(code="zero", name="Zero", threshold_minor=0, rate_bp=0)
    prog = program(levels=(zero,))
    quote = evaluate(prog, (line("A", 10_000),), member(prog))
    assert quote.points_earned == 0
    assert "points_earned" not in codes(quote)


# --- Discount mode ------------------------------------------------------------------------


def test_discount_mode_takes_the_rate_off_and_earns_no_points() -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT)
    quote = evaluate(prog, (line("A", 10_000),), member(prog, lifetime_minor=SILVER_SPEND))
    (ql,) = quote.lines
    assert ql.program_discount_minor == 300
    assert ql.paid_minor == 9_700
    assert quote.discount_minor == 300
    assert quote.points_earned == 0
    assert codes(quote) == ["program_discount", "level_progress"]  # no points to spend


def test_discount_mode_skips_earn_excluded_categories() -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT, earn_excluded_categories=frozenset({"tobacco"}))
    basket = (line("A", 10_000, category="food"), line("B", 10_000, category="tobacco"))
    quote = evaluate(prog, basket, member(prog, lifetime_minor=GOLD_SPEND))
    assert [ql.program_discount_minor for ql in quote.lines] == [1_000, 0]
    assert explanation(quote, "program_discount").param("basis_minor") == 10_000


def test_discount_mode_applies_after_the_till_discount() -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT)
    quote = evaluate(prog, (line("A", 10_000, discount_minor=2_000),),
                     member(prog, lifetime_minor=GOLD_SPEND))
    assert quote.lines[0].program_discount_minor == 800
    assert quote.discount_minor == 2_800
    assert quote.paid_minor == 7_200


def test_discount_mode_gives_nothing_to_an_anonymous_receipt() -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT)
    quote = evaluate(prog, (line("A", 10_000),), None)
    assert quote.discount_minor == 0
    assert quote.paid_minor == 10_000
    assert "program_discount" not in codes(quote)


def test_points_are_spent_on_what_the_program_discount_leaves() -> None:
    prog = program(earn_mode=EarnMode.DISCOUNT, redeem_share_max_bp=10_000)
    quote = evaluate(prog, (line("A", 10_000),),
                     member(prog, lifetime_minor=GOLD_SPEND, spendable_points=1_000),
                     points_to_spend=1_000)
    # 100.00 - 10 % = 90.00 left: 90 whole points.
    assert quote.max_spendable_points == 90
    assert quote.points_spent == 90
    assert quote.paid_minor == 0


# --- Spending points ----------------------------------------------------------------------


def test_share_cap_limits_a_spend_to_thirty_percent() -> None:
    prog = program()
    mem = member(prog, spendable_points=10_000)
    quote = evaluate(prog, (line("A", 10_000),), mem, points_to_spend=500)
    assert quote.max_spendable_points == 30  # 30 % of 100.00 = 30.00 = 30 points
    assert quote.points_spent == 30  # clamped; the caller refuses a spend above the limit
    assert quote.paid_minor == 7_000
    limit = explanation(quote, "spend_limit")
    assert dict(limit.params) == {"max_points": 30, "spendable_points": 10_000,
                                  "share_bp": 3_000, "point_value_minor": 100,
                                  "min_balance_points": 0}
    assert explanation(quote, "points_spent").param("money_minor") == 3_000


def test_share_cap_rounds_down_to_whole_points() -> None:
    prog = program()
    # 30 % of 99.99 = 29.997 -> 29.99 -> 29 points
    quote = evaluate(prog, (line("A", 9_999),), member(prog, spendable_points=100),
                     points_to_spend=29)
    assert quote.max_spendable_points == 29
    assert quote.points_spent == 29


def test_spend_is_limited_by_the_spendable_balance() -> None:
    prog = program(redeem_share_max_bp=10_000)
    quote = evaluate(prog, (line("A", 10_000),), member(prog, spendable_points=12),
                     points_to_spend=12)
    assert quote.max_spendable_points == 12
    assert quote.points_spent == 12
    assert quote.paid_minor == 8_800


def test_redeem_excluded_categories_take_no_points_and_do_not_count_toward_the_share() -> None:
    prog = program(redeem_excluded_categories=frozenset({"tobacco"}))
    basket = (line("A", 10_000, category="food"), line("B", 90_000, category="tobacco"))
    quote = evaluate(prog, basket, member(prog, spendable_points=1_000), points_to_spend=1_000)
    assert quote.max_spendable_points == 30  # 30 % of the 100.00 food line only
    assert [ql.points_spent for ql in quote.lines] == [30, 0]
    assert [ql.paid_minor for ql in quote.lines] == [7_000, 90_000]


def test_only_redeem_excluded_lines_allow_no_spend() -> None:
    prog = program(redeem_excluded_categories=frozenset({"tobacco"}))
    quote = evaluate(prog, (line("B", 90_000, category="tobacco"),),
                     member(prog, spendable_points=1_000), points_to_spend=10)
    assert quote.max_spendable_points == 0
    assert quote.points_spent == 0
    assert "points_spent" not in codes(quote)


@pytest.mark.parametrize(("spendable", "expected_limit"), [(99, 0), (100, 30), (500, 30)])
def test_a_minimum_balance_is_needed_before_any_spend(
    spendable: int, expected_limit: int
) -> None:
    prog = program(redeem_min_balance_points=100)
    quote = evaluate(prog, (line("A", 10_000),), member(prog, spendable_points=spendable),
                     points_to_spend=10)
    assert quote.max_spendable_points == expected_limit
    assert quote.points_spent == min(10, expected_limit)
    assert explanation(quote, "spend_limit").param("min_balance_points") == 100


@pytest.mark.parametrize("spendable", [0, -50])
def test_a_member_with_nothing_spendable_may_spend_nothing(spendable: int) -> None:
    prog = program()
    assert max_spendable(prog, (10_000,), spendable) == 0


@pytest.mark.parametrize("spendable", [0, -50])
def test_a_member_with_no_points_to_spend_is_told_nothing_about_spending(
        spendable: int) -> None:
    prog = program()
    quote = evaluate(prog, (line("A", 10_000),), member(prog, spendable_points=spendable))
    assert quote.max_spendable_points == 0
    assert "spend_limit" not in codes(quote) and "points_spent" not in codes(quote)
    assert "points_earned" in codes(quote)  # the rest of the explanation stays


def test_points_are_whole_per_line_and_never_exceed_a_line() -> None:
    # A line of 1.50 holds at most 1 point (1.00); a line of 0.50 holds none.
    prog = program(redeem_share_max_bp=10_000)
    basket = (line("A", 150), line("B", 50), line("C", 1_000))
    quote = evaluate(prog, basket, member(prog, spendable_points=1_000), points_to_spend=1_000)
    assert quote.max_spendable_points == 11  # by lines: 1 + 0 + 10 (share would allow 12)
    assert [ql.points_spent for ql in quote.lines] == [1, 0, 10]
    assert [ql.paid_minor for ql in quote.lines] == [50, 50, 0]
    for ql in quote.lines:
        assert ql.points_discount_minor <= ql.gross_minor - ql.till_discount_minor


def test_no_spend_requested_spends_nothing() -> None:
    prog = program()
    quote = evaluate(prog, (line("A", 10_000),), member(prog, spendable_points=1_000))
    assert quote.max_spendable_points == 30
    assert quote.points_spent == 0
    assert "points_spent" not in codes(quote)


# --- Who is on the receipt ----------------------------------------------------------------


def test_an_anonymous_receipt_earns_and_spends_nothing() -> None:
    prog = program()
    quote = evaluate(prog, BENCHMARK, None, points_to_spend=10)
    assert quote.points_earned == 0
    assert quote.points_spent == 0
    assert quote.max_spendable_points == 0
    assert quote.paid_minor == 21_674
    assert quote.rate_bp == 0
    assert quote.level_code is None
    assert codes(quote) == ["anonymous"]


def test_a_member_without_consent_earns_nothing_but_may_spend() -> None:
    prog = program()
    mem = member(prog, lifetime_minor=SILVER_SPEND, spendable_points=100, may_earn=False)
    quote = evaluate(prog, (line("A", 10_000),), mem, points_to_spend=10)
    assert quote.points_earned == 0
    assert all(ql.points_earned == 0 for ql in quote.lines)
    assert quote.points_spent == 10
    assert quote.level_code == "silver"
    assert codes(quote) == ["spend_limit", "points_spent", "no_earn_consent", "level_progress"]


def test_level_progress_explains_what_is_left_to_the_next_level_once_the_basket_is_paid() -> None:
    prog = program()
    quote = evaluate(prog, (line("A", 100),), member(prog, lifetime_minor=99_000))
    why = explanation(quote, "level_progress")
    assert dict(why.params) == {"level": "Base", "next_level": "Silver", "to_next_minor": 900,
                                "next_rate_bp": 300}
    assert "level_reached" not in codes(quote)


def test_a_basket_that_reaches_the_next_level_says_so() -> None:
    prog = program()
    quote = evaluate(prog, (line("A", 100),), member(prog, lifetime_minor=99_999))
    why = explanation(quote, "level_reached")
    assert dict(why.params) == {"level": "Base", "next_level": "Silver", "next_rate_bp": 300}
    assert "level_progress" not in codes(quote)


def test_the_top_level_says_so() -> None:
    prog = program()
    quote = evaluate(prog, (line("A", 100),), member(prog, lifetime_minor=GOLD_SPEND))
    assert explanation(quote, "level_top").param("level") == "Gold"
    assert "level_progress" not in codes(quote)


def test_explanations_are_hashable_values() -> None:
    why = Explanation(code="x", params=(("a", 1),))
    assert why == Explanation(code="x", params=(("a", 1),))
    assert hash(why) == hash(Explanation(code="x", params=(("a", 1),)))
    with pytest.raises(KeyError):
        why.param("missing")


def test_evaluate_does_not_touch_its_inputs() -> None:
    prog = program()
    basket = BENCHMARK
    snapshot = tuple((bl.sku, bl.quantity_milli, bl.unit_price_minor, bl.discount_minor)
                     for bl in basket)
    first = evaluate(prog, basket, member(prog, spendable_points=100), points_to_spend=20)
    second = evaluate(prog, basket, member(prog, spendable_points=100), points_to_spend=20)
    assert first == second
    assert snapshot == tuple((bl.sku, bl.quantity_milli, bl.unit_price_minor, bl.discount_minor)
                             for bl in basket)


# --- Properties over random baskets -------------------------------------------------------

CATEGORIES = ("food", "tobacco", "alcohol", "")


@st.composite
def basket_lines(draw: st.DrawFn) -> BasketLine:
    quantity_milli = draw(st.integers(min_value=1, max_value=20_000))
    unit_price_minor = draw(st.integers(min_value=0, max_value=500_000))
    gross = BasketLine(sku="x", quantity_milli=quantity_milli,
                       unit_price_minor=unit_price_minor).gross_minor
    return BasketLine(
        sku=draw(st.text(alphabet="ABC123", min_size=1, max_size=4)),
        category=draw(st.sampled_from(CATEGORIES)),
        quantity_milli=quantity_milli,
        unit_price_minor=unit_price_minor,
        discount_minor=draw(st.integers(min_value=0, max_value=gross)),
    )


@st.composite
def programs(draw: st.DrawFn) -> Program:
    category_sets = st.frozensets(st.sampled_from(CATEGORIES), max_size=2)
    return Program(
        earn_mode=draw(st.sampled_from(EarnMode)),
        levels=LEVELS,
        point_value_minor=draw(st.sampled_from([1, 10, 100, 250])),
        redeem_share_max_bp=draw(st.integers(min_value=0, max_value=10_000)),
        redeem_min_balance_points=draw(st.integers(min_value=0, max_value=200)),
        redeem_excluded_categories=draw(category_sets),
        earn_excluded_categories=draw(category_sets),
        rounding=draw(st.sampled_from(Rounding)),
        rounding_scope=draw(st.sampled_from(RoundingScope)),
    )


def assert_all_ints(value: object) -> None:
    for f in fields(value):  # type: ignore[arg-type]
        item = getattr(value, f.name)
        if f.name.endswith(("_minor", "_points", "_bp")) or f.name in (
                "points_spent", "points_earned", "line_no", "quantity_milli"):
            assert type(item) is int, f"{f.name} is {type(item).__name__}"


@settings(max_examples=200, deadline=None)
@given(
    prog=programs(),
    basket=st.lists(basket_lines(), min_size=1, max_size=8).map(tuple),
    lifetime_minor=st.integers(min_value=0, max_value=2_000_000),
    spendable_points=st.integers(min_value=-100, max_value=100_000),
    points_to_spend=st.integers(min_value=0, max_value=200_000),
    may_earn=st.booleans(),
    anonymous=st.booleans(),
)
def test_quotes_always_add_up(
    prog: Program, basket: tuple[BasketLine, ...], lifetime_minor: int, spendable_points: int,
    points_to_spend: int, may_earn: bool, anonymous: bool,
) -> None:
    mem = None if anonymous else member(prog, lifetime_minor=lifetime_minor,
                                        spendable_points=spendable_points, may_earn=may_earn)
    quote = evaluate(prog, basket, mem, points_to_spend=points_to_spend)

    assert_all_ints(quote)
    for ql in quote.lines:
        assert_all_ints(ql)
    assert all(type(v) in (int, str) for e in quote.explanations for _, v in e.params)

    assert len(quote.lines) == len(basket)
    assert sum(ql.paid_minor for ql in quote.lines) == quote.paid_minor
    assert sum(ql.points_spent for ql in quote.lines) == quote.points_spent
    assert sum(ql.points_earned for ql in quote.lines) == quote.points_earned
    assert sum(ql.earn_basis_minor for ql in quote.lines) == quote.earn_basis_minor
    assert quote.gross_minor == quote.paid_minor + quote.discount_minor + (
        quote.points_discount_minor)
    assert quote.points_discount_minor == quote.points_spent * prog.point_value_minor

    assert 0 <= quote.points_spent <= quote.max_spendable_points
    assert quote.points_spent <= points_to_spend
    assert quote.max_spendable_points <= max(spendable_points, 0)
    assert quote.points_earned >= 0

    for ql, bl in zip(quote.lines, basket, strict=True):
        assert ql.gross_minor == bl.gross_minor
        assert ql.paid_minor >= 0
        assert ql.program_discount_minor >= 0
        assert ql.points_spent >= 0
        assert ql.points_earned >= 0
        assert ql.points_discount_minor == ql.points_spent * prog.point_value_minor
        assert ql.paid_minor == (ql.gross_minor - ql.till_discount_minor
                                 - ql.program_discount_minor - ql.points_discount_minor)
        if bl.category in prog.redeem_excluded_categories:
            assert ql.points_spent == 0
        if bl.category in prog.earn_excluded_categories:
            assert ql.earn_basis_minor == 0
            assert ql.points_earned == 0
            assert ql.program_discount_minor == 0
        else:
            assert ql.earn_basis_minor == ql.paid_minor

    if mem is None or not mem.may_earn or prog.earn_mode is EarnMode.DISCOUNT:
        assert quote.points_earned == 0
    if mem is None:
        assert quote.points_spent == 0
        assert quote.discount_minor == sum(bl.discount_minor for bl in basket)
    if prog.earn_mode is EarnMode.POINTS:
        assert all(ql.program_discount_minor == 0 for ql in quote.lines)

    # The earn and the program discount follow the rounding policy exactly.
    earning = (mem is not None and mem.may_earn and prog.earn_mode is EarnMode.POINTS
               and quote.rate_bp > 0)
    denominator = 10_000 * prog.point_value_minor
    if earning and prog.rounding_scope is RoundingScope.RECEIPT:
        assert quote.points_earned == divide(quote.earn_basis_minor * quote.rate_bp,
                                             denominator, prog.rounding)
    if earning and prog.rounding_scope is RoundingScope.LINE:
        for ql in quote.lines:
            assert ql.points_earned == divide(ql.earn_basis_minor * quote.rate_bp,
                                              denominator, prog.rounding)
    if prog.earn_mode is EarnMode.DISCOUNT and mem is not None:
        bases = [bl.gross_minor - bl.discount_minor
                 if bl.category not in prog.earn_excluded_categories else 0 for bl in basket]
        if prog.rounding_scope is RoundingScope.RECEIPT:
            assert sum(ql.program_discount_minor for ql in quote.lines) == apply_rate(
                sum(bases), quote.rate_bp, prog.rounding)
        else:
            assert [ql.program_discount_minor for ql in quote.lines] == [
                apply_rate(b, quote.rate_bp, prog.rounding) for b in bases]

    # Each explanation is backed by the figure it explains.
    present = codes(quote)
    assert ("earn_after_points" in present) == (earning and quote.points_spent > 0)
    assert ("points_spent" in present) == (quote.points_spent > 0)
    assert ("points_earned" in present) == earning
    assert ("anonymous" in present) == (mem is None)
    # A member with no points to spend is told nothing about spending.
    assert ("spend_limit" in present) == (mem is not None and mem.spendable_points > 0)


def test_a_lines_gross_is_worked_out_once_and_stays_out_of_equality() -> None:
    a = BasketLine(sku="K", quantity_milli=1_234, unit_price_minor=399)
    assert a.gross_minor == 492
    assert a == BasketLine(sku="K", quantity_milli=1_234, unit_price_minor=399)
    assert replace(a, quantity_milli=2_000).gross_minor == 798
    with pytest.raises(ValueError, match="must not exceed"):
        BasketLine(sku="K", quantity_milli=1_234, unit_price_minor=399, discount_minor=493)
