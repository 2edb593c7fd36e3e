"""Integer money: rounding by named policy, rates in basis points, exact splits."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from regulars.domain.money import BASIS_POINTS, Rounding, allocate, apply_rate, divide, prorate


def reference_round(value: Fraction, rounding: Rounding) -> int:
    """An independent oracle built on ``Fraction``; ``round`` on a Fraction is half-to-even."""
    if rounding is Rounding.FLOOR:
        return math.floor(value)
    if rounding is Rounding.CEILING:
        return math.ceil(value)
    if rounding is Rounding.HALF_EVEN:
        return round(value)
    sign = -1 if value < 0 else 1
    return sign * math.floor(abs(value) + Fraction(1, 2))


# --- divide -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        # (n, d): {FLOOR, HALF_UP, HALF_EVEN, CEILING}
        (10, 5, {"floor": 2, "half_up": 2, "half_even": 2, "ceiling": 2}),
        (7, 3, {"floor": 2, "half_up": 2, "half_even": 2, "ceiling": 3}),  # 2.333
        (8, 3, {"floor": 2, "half_up": 3, "half_even": 3, "ceiling": 3}),  # 2.667
        (5, 2, {"floor": 2, "half_up": 3, "half_even": 2, "ceiling": 3}),  # 2.5
        (7, 2, {"floor": 3, "half_up": 4, "half_even": 4, "ceiling": 4}),  # 3.5
        (1, 2, {"floor": 0, "half_up": 1, "half_even": 0, "ceiling": 1}),  # 0.5
        (-7, 3, {"floor": -3, "half_up": -2, "half_even": -2, "ceiling": -2}),  # -2.333
        (-8, 3, {"floor": -3, "half_up": -3, "half_even": -3, "ceiling": -2}),  # -2.667
        (-5, 2, {"floor": -3, "half_up": -3, "half_even": -2, "ceiling": -2}),  # -2.5
        (-7, 2, {"floor": -4, "half_up": -4, "half_even": -4, "ceiling": -3}),  # -3.5
        (-1, 2, {"floor": -1, "half_up": -1, "half_even": 0, "ceiling": 0}),  # -0.5
        (5, -2, {"floor": -3, "half_up": -3, "half_even": -2, "ceiling": -2}),  # -2.5
        (-5, -2, {"floor": 2, "half_up": 3, "half_even": 2, "ceiling": 3}),  # 2.5
        (0, 7, {"floor": 0, "half_up": 0, "half_even": 0, "ceiling": 0}),
        (0, -7, {"floor": 0, "half_up": 0, "half_even": 0, "ceiling": 0}),
    ],
)
@pytest.mark.parametrize("rounding", list(Rounding))
def test_divide_rounds_by_the_named_policy(
    numerator: int, denominator: int, expected: dict[str, int], rounding: Rounding
) -> None:
    assert divide(numerator, denominator, rounding) == expected[rounding.value]


@pytest.mark.parametrize("rounding", list(Rounding))
def test_divide_by_zero_raises(rounding: Rounding) -> None:
    with pytest.raises(ZeroDivisionError):
        divide(1, 0, rounding)


@given(
    numerator=st.integers(min_value=-(10**12), max_value=10**12),
    denominator=st.integers(min_value=-(10**6), max_value=10**6).filter(bool),
    rounding=st.sampled_from(Rounding),
)
def test_divide_agrees_with_exact_fraction(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    result = divide(numerator, denominator, rounding)
    assert type(result) is int
    assert result == reference_round(Fraction(numerator, denominator), rounding)


@given(
    k=st.integers(min_value=-(10**9), max_value=10**9),
    scale=st.integers(min_value=1, max_value=10**4),
)
def test_divide_exact_halves(k: int, scale: int) -> None:
    # (2k + 1)·s / 2s is exactly k + ½, written with a non-trivial denominator.
    numerator, denominator = (2 * k + 1) * scale, 2 * scale
    half_up = divide(numerator, denominator, Rounding.HALF_UP)
    assert half_up == (k + 1 if k >= 0 else k)  # away from zero: 2.5 -> 3, -2.5 -> -3
    assert divide(-numerator, denominator, Rounding.HALF_UP) == -half_up
    half_even = divide(numerator, denominator, Rounding.HALF_EVEN)
    assert half_even in (k, k + 1)
    assert half_even % 2 == 0
    assert divide(numerator, denominator, Rounding.FLOOR) == k
    assert divide(numerator, denominator, Rounding.CEILING) == k + 1


# --- apply_rate ---------------------------------------------------------------------------


def test_apply_rate_uses_basis_points() -> None:
    assert BASIS_POINTS == 10_000
    assert apply_rate(100_000, 300, Rounding.FLOOR) == 3_000  # 3 % of 1,000.00
    assert apply_rate(10_000, 10_000, Rounding.FLOOR) == 10_000  # 100 %
    assert apply_rate(12_345, 0, Rounding.CEILING) == 0


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        (Rounding.FLOOR, 2),
        (Rounding.HALF_UP, 3),
        (Rounding.HALF_EVEN, 2),
        (Rounding.CEILING, 3),
    ],
)
def test_apply_rate_rounds_an_exact_half(rounding: Rounding, expected: int) -> None:
    # 250 × 100 bp = 2.5
    assert apply_rate(250, 100, rounding) == expected


def test_apply_rate_rounds_a_fraction_below_a_half() -> None:
    # 99.99 at 3 % = 2.9997: floor keeps 2, the others round to 3.
    assert apply_rate(9_999, 3, Rounding.FLOOR) == 2
    assert apply_rate(9_999, 3, Rounding.HALF_UP) == 3
    assert apply_rate(9_999, 3, Rounding.HALF_EVEN) == 3
    assert apply_rate(9_999, 3, Rounding.CEILING) == 3


def test_apply_rate_on_a_negative_amount() -> None:
    assert apply_rate(-250, 100, Rounding.FLOOR) == -3
    assert apply_rate(-250, 100, Rounding.HALF_UP) == -3
    assert apply_rate(-250, 100, Rounding.HALF_EVEN) == -2
    assert apply_rate(-250, 100, Rounding.CEILING) == -2


@given(
    amount=st.integers(min_value=-(10**10), max_value=10**10),
    rate_bp=st.integers(min_value=0, max_value=BASIS_POINTS),
    rounding=st.sampled_from(Rounding),
)
def test_apply_rate_agrees_with_exact_fraction(
    amount: int, rate_bp: int, rounding: Rounding
) -> None:
    expected = reference_round(Fraction(amount * rate_bp, BASIS_POINTS), rounding)
    assert apply_rate(amount, rate_bp, rounding) == expected


# --- allocate -----------------------------------------------------------------------------


def test_allocate_splits_in_proportion() -> None:
    assert allocate(100, [1, 1, 2]) == [25, 25, 50]
    assert allocate(10, [3, 7]) == [3, 7]


def test_allocate_gives_leftover_units_to_the_largest_remainders() -> None:
    # Shares 3.33.., 3.33.., 3.33..: the lone unit goes to the last position on a tie.
    assert allocate(10, [1, 1, 1]) == [3, 3, 4]
    # Shares 1.2, 2.8: the larger remainder (0.8) wins over position.
    assert allocate(4, [3, 7]) == [1, 3]
    # Shares 0.6, 0.6, 0.8 -> floors 0, 0, 0; two units go to 0.8, then the later 0.6.
    assert allocate(2, [3, 3, 4]) == [0, 1, 1]


def test_allocate_breaks_ties_toward_later_positions() -> None:
    assert allocate(1, [1, 1]) == [0, 1]
    assert allocate(2, [1, 1, 1]) == [0, 1, 1]


def test_allocate_zero_weights_receive_nothing() -> None:
    assert allocate(7, [0, 5, 0]) == [0, 7, 0]


def test_allocate_all_zero_weights_puts_everything_last() -> None:
    assert allocate(7, [0, 0, 0]) == [0, 0, 7]
    assert allocate(0, [0, 0]) == [0, 0]


def test_allocate_over_no_weights() -> None:
    assert allocate(0, []) == []
    with pytest.raises(ValueError, match="no weights"):
        allocate(1, [])


def test_allocate_refuses_negative_weights() -> None:
    with pytest.raises(ValueError, match="negative"):
        allocate(10, [1, -1, 2])


def test_allocate_negative_total_mirrors_the_positive_split() -> None:
    assert allocate(-10, [1, 1, 1]) == [-3, -3, -4]
    assert allocate(-1, [1, 1]) == [0, -1]


weights_strategy = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20)


@given(total=st.integers(min_value=-(10**9), max_value=10**9), weights=weights_strategy)
def test_allocate_parts_sum_to_total_and_stay_within_one_of_the_exact_share(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert all(type(p) is int for p in parts)
    assert sum(parts) == total
    weight_sum = sum(weights)
    if weight_sum == 0:
        assert parts == [0] * (len(weights) - 1) + [total]
        return
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(part - exact) < 1
        if total >= 0:
            assert part >= 0
        else:
            assert part <= 0


@given(total=st.integers(min_value=-(10**9), max_value=10**9), weights=weights_strategy)
def test_allocate_is_sign_symmetric(total: int, weights: list[int]) -> None:
    assume(sum(weights) > 0)
    assert allocate(-total, weights) == [-p for p in allocate(total, weights)]


@given(data=st.data(), weights=weights_strategy)
def test_allocate_respects_weights_as_capacities_when_total_fits(
    data: st.DataObject, weights: list[int]
) -> None:
    total = data.draw(st.integers(min_value=0, max_value=sum(weights)), label="total")
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, capacity in zip(parts, weights, strict=True):
        assert 0 <= part <= capacity


# --- prorate ------------------------------------------------------------------------------


def test_prorate_floors_toward_zero() -> None:
    assert prorate(100, 1, 3) == 33
    assert prorate(-100, 1, 3) == -33
    assert prorate(100, 0, 3) == 0
    assert prorate(100, 3, 3) == 100
    assert prorate(-100, 3, 3) == -100


def test_prorate_refuses_bad_parts() -> None:
    with pytest.raises(ValueError, match="whole"):
        prorate(100, 0, 0)
    with pytest.raises(ValueError, match="whole"):
        prorate(100, 1, -1)
    with pytest.raises(ValueError, match="between"):
        prorate(100, -1, 3)
    with pytest.raises(ValueError, match="between"):
        prorate(100, 4, 3)


def test_prorate_three_thirds_add_up_to_the_total() -> None:
    steps = [prorate(100, k, 3) - prorate(100, k - 1, 3) for k in (1, 2, 3)]
    assert steps == [33, 33, 34]
    assert sum(steps) == 100


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    chunks=st.lists(st.integers(min_value=1, max_value=10**5), min_size=1, max_size=30),
)
def test_prorate_used_cumulatively_sums_to_total_exactly(total: int, chunks: list[int]) -> None:
    whole = sum(chunks)
    done = 0
    refunded: list[int] = []
    for chunk in chunks:
        step = prorate(total, done + chunk, whole) - prorate(total, done, whole)
        refunded.append(step)
        done += chunk
    assert done == whole
    assert sum(refunded) == total
    # Every step moves in the direction of the total: no partial refund overshoots.
    for step in refunded:
        assert (step >= 0) if total >= 0 else (step <= 0)
    # And every running sum stays within the total.
    running = 0
    for step in refunded:
        running += step
        assert abs(running) <= abs(total)


def reference_allocate(total: int, weights: list[int]) -> list[int]:
    """The largest-remainder split written out plainly: every remainder ranked, always."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * (len(weights) - 1) + [total]
    magnitude = abs(total)
    parts = [magnitude * w // weight_sum for w in weights]
    ranked = sorted(((magnitude * w % weight_sum, i) for i, w in enumerate(weights)),
                    reverse=True)
    for _, index in ranked[:magnitude - sum(parts)]:
        parts[index] += 1
    return [(-1 if total < 0 else 1) * p for p in parts]


@given(total=st.integers(min_value=-(10**9), max_value=10**9), weights=weights_strategy)
def test_allocate_matches_the_plain_largest_remainder_split(total: int,
                                                            weights: list[int]) -> None:
    assert allocate(total, weights) == reference_allocate(total, weights)
