"""The uplift statistics against hand-computed figures and scipy's own tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from regulars.analytics.uplift import (
    Verdict,
    balance,
    cuped,
    mean_difference,
    power,
    proportion_difference,
    relative_uplift,
    round_minor,
    sample_size,
    sequential_interval,
    sequential_sample_size,
    verdict,
)

TEST = [12.0, 15.0, 9.0, 20.0, 14.0]
CONTROL = [10.0, 11.0, 8.0, 13.0]


def test_welch_difference_matches_hand_computation_and_scipy() -> None:
    d = mean_difference(TEST, CONTROL)
    # means 14 and 10.5; variances 16.5 and 14/3; se² = 3.3 + 13/12
    se2 = 16.5 / 5 + (13 / 3) / 4
    df = se2 ** 2 / ((16.5 / 5) ** 2 / 4 + ((13 / 3) / 4) ** 2 / 3)
    assert d.estimate == pytest.approx(3.5)
    half = stats.t.ppf(0.975, df) * math.sqrt(se2)
    assert (d.low, d.high) == pytest.approx((3.5 - half, 3.5 + half))
    reference = stats.ttest_ind(TEST, CONTROL, equal_var=False)
    assert d.p_value == pytest.approx(reference.pvalue)
    ci = reference.confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high))


def test_a_group_of_one_gives_an_unbounded_interval() -> None:
    d = mean_difference([5.0], CONTROL)
    assert (d.low, d.high, d.p_value) == (-math.inf, math.inf, 1.0)
    assert verdict(d) is Verdict.TOO_SMALL


def test_relative_uplift_by_the_delta_method() -> None:
    r = relative_uplift(TEST, CONTROL)
    se = math.sqrt(16.5 / (5 * 10.5 ** 2) + 14 ** 2 * (13 / 3) / (4 * 10.5 ** 4))
    z = stats.norm.ppf(0.975)
    assert r.estimate == pytest.approx(14 / 10.5 - 1)
    assert (r.low, r.high) == pytest.approx((1 / 3 - z * se, 1 / 3 + z * se))
    assert relative_uplift([1.0, 2.0], [0.0, 0.0]).estimate is None


def test_proportion_difference_by_hand() -> None:
    d = proportion_difference(test_yes=60, test_n=200, control_yes=40, control_n=200)
    assert d.estimate == pytest.approx(0.1)
    # The score interval is close to Wald's when no share is near 0 or 1.
    se = math.sqrt(0.3 * 0.7 / 200 + 0.2 * 0.8 / 200)
    assert d.high - d.estimate == pytest.approx(stats.norm.ppf(0.975) * se, rel=0.02)
    z0 = 0.1 / math.sqrt(0.25 * 0.75 * (2 / 200))
    assert d.p_value == pytest.approx(2 * stats.norm.sf(z0))


# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17, table II, method 5 (Mee's score).
NEWCOMBE_MEE = [((56, 70, 48, 80), (0.0533, 0.3377)), ((9, 10, 3, 10), (0.1821, 0.8370)),
                ((6, 7, 2, 7), (0.0544, 0.8478)), ((5, 56, 0, 29), (-0.0313, 0.1926)),
                ((0, 10, 0, 20), (-0.1611, 0.2775)), ((0, 10, 0, 10), (-0.2775, 0.2775)),
                ((10, 10, 0, 20), (0.7225, 1.0)), ((10, 10, 0, 10), (0.6777, 1.0))]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_MEE)
def test_proportion_interval_is_mee_s_score_interval_as_published(
        counts: tuple[int, int, int, int], published: tuple[float, float]) -> None:
    test_yes, test_n, control_yes, control_n = counts
    d = proportion_difference(test_yes=test_yes, test_n=test_n, control_yes=control_yes,
                              control_n=control_n)
    assert (d.low, d.high) == pytest.approx(published, abs=5e-5)


def test_a_group_of_all_buyers_leaves_the_interval_a_width_and_the_verdict_with_the_p_value(
        ) -> None:
    # The campaign page's case: every control member bought, 277 of 300 test members did.
    # Wald's interval had no control variance and read "lower, clearly" at p = 0.116.
    d = proportion_difference(test_yes=277, test_n=300, control_yes=30, control_n=30)
    assert d.control_mean == 1 and d.p_value == pytest.approx(0.1159, abs=1e-4)
    assert d.low < 0 < d.high and verdict(d) is Verdict.UNCLEAR
    none = proportion_difference(test_yes=0, test_n=40, control_yes=0, control_n=40)
    assert none.low < 0 < none.high and none.p_value == 1 and verdict(none) is Verdict.UNCLEAR
    every = proportion_difference(test_yes=40, test_n=40, control_yes=0, control_n=40)
    assert 0 < every.low < every.high == 1 and verdict(every) is Verdict.UP


@pytest.mark.parametrize(("test_n", "control_n"), [(30, 30), (45, 31)])
def test_proportion_verdict_says_clearly_exactly_when_p_is_below_five_percent(
        test_n: int, control_n: int) -> None:
    for test_yes in range(test_n + 1):
        for control_yes in range(control_n + 1):
            d = proportion_difference(test_yes=test_yes, test_n=test_n,
                                      control_yes=control_yes, control_n=control_n)
            assert -1 <= d.low <= d.estimate <= d.high <= 1 and d.high - d.low > 0.01
            clear = verdict(d) in (Verdict.UP, Verdict.DOWN)
            assert clear == d.excludes_zero == (d.p_value < 0.05), (test_yes, control_yes)


def test_cuped_theta_is_the_pooled_regression_slope_and_narrows_the_interval() -> None:
    rng = np.random.default_rng(7)
    pre_t, pre_c = rng.normal(100, 20, 400), rng.normal(100, 20, 400)
    y_t = 0.8 * pre_t + 5 + rng.normal(0, 5, 400)
    y_c = 0.8 * pre_c + rng.normal(0, 5, 400)
    result = cuped(y_t, y_c, test_pre=pre_t, control_pre=pre_c)
    x, y = np.concatenate([pre_t, pre_c]), np.concatenate([y_t, y_c])
    assert result.theta == pytest.approx(stats.linregress(x, y).slope)
    plain = mean_difference(y_t, y_c)
    assert result.difference.high - result.difference.low < (plain.high - plain.low) / 2
    assert result.variance_reduction > 0.75
    assert result.difference.low < 5 < result.difference.high


def test_cuped_without_pre_period_variance_is_the_plain_difference() -> None:
    result = cuped(TEST, CONTROL, test_pre=[0] * 5, control_pre=[0] * 4)
    assert result.theta == 0
    assert result.difference == mean_difference(TEST, CONTROL)


def test_balance_reports_the_standardised_mean_difference() -> None:
    b = balance(TEST, CONTROL)
    assert b.smd == pytest.approx(3.5 / math.sqrt((16.5 + 13 / 3) / 2))
    assert not b.balanced
    assert balance([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).balanced


def test_sample_size_matches_the_textbook_answer() -> None:
    # Half a standard deviation, 80 % power, 5 %: 64 per arm (Cohen; statsmodels 63.77).
    n = sample_size(effect=0.5, sd=1.0)
    assert n == 64
    assert power(effect=0.5, sd=1.0, per_arm=64) >= 0.8 > power(effect=0.5, sd=1.0, per_arm=63)
    assert sample_size(effect=0, sd=1.0) is None
    assert sample_size(effect=1e-6, sd=1.0) is None


def test_the_always_valid_size_finds_the_effect_with_the_power_asked_where_the_fixed_one_does_not(
        ) -> None:
    """Half a standard deviation: the always-valid interval at the fixed test's 64 per arm
    clears zero about a third of the time; at its own size, 80 % (1,000 seeded
    experiments, each read once at the end)."""
    n = sequential_sample_size(effect=0.5, sd=1.0)
    assert n is not None and n > 64
    rng = np.random.default_rng(11)

    def cleared(per_arm: int) -> float:
        hits = sum(sequential_interval(rng.normal(0.5, 1, per_arm), rng.normal(0, 1, per_arm)).low
                   > 0 for _ in range(1000))
        return hits / 1000

    assert cleared(64) < 0.45  # about a third
    assert cleared(n) >= 0.775  # 80 % less two binomial standard errors (2.5 points)
    assert sequential_sample_size(effect=0.5, sd=1.0, alpha=0.05 / 3) > n
    assert sequential_sample_size(effect=0, sd=1.0) is None
    assert sequential_sample_size(effect=1e-6, sd=1.0) is None


def test_sequential_interval_is_wider_than_the_fixed_one_and_shares_its_centre() -> None:
    rng = np.random.default_rng(3)
    t, c = rng.normal(10, 3, 500), rng.normal(9, 3, 500)
    fixed, always = mean_difference(t, c), sequential_interval(t, c)
    assert always.estimate == fixed.estimate
    assert always.low < fixed.low and always.high > fixed.high
    v = t.var(ddof=1) / 500 + c.var(ddof=1) / 500
    tau2 = (0.25 * math.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)) ** 2
    half = math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(20) + math.log((v + tau2) / v)))
    assert always.high - always.estimate == pytest.approx(half)


def test_looking_every_day_does_not_inflate_false_wins() -> None:
    """No effect, 200 experiments, 10 looks each: the fixed interval 'wins' at some look far
    more often than 5 %; the sequential one stays under it."""
    rng = np.random.default_rng(11)
    fixed_wins = sequential_wins = 0
    for _ in range(200):
        t, c = rng.normal(0, 1, 1000), rng.normal(0, 1, 1000)
        looks = range(100, 1001, 100)
        fixed_wins += any(mean_difference(t[:n], c[:n]).excludes_zero for n in looks)
        sequential_wins += any(sequential_interval(t[:n], c[:n]).excludes_zero for n in looks)
    assert fixed_wins / 200 > 0.12
    assert sequential_wins / 200 <= 0.05


def test_verdict_says_plainly_what_the_interval_shows() -> None:
    rng = np.random.default_rng(5)
    up = mean_difference(rng.normal(11, 1, 100), rng.normal(10, 1, 100))
    flat = mean_difference(rng.normal(10, 1, 100), rng.normal(10, 1, 100))
    assert verdict(up) is Verdict.UP
    assert verdict(mean_difference(rng.normal(9, 1, 100), rng.normal(10, 1, 100))) \
        is Verdict.DOWN
    assert verdict(flat) is Verdict.UNCLEAR
    assert verdict(mean_difference(TEST, CONTROL)) is Verdict.TOO_SMALL


def test_money_is_rounded_explicitly_halves_away_from_zero() -> None:
    assert [round_minor(x) for x in (2.5, -2.5, 2.4999, 0.0)] == [3, -3, 2, 0]
    with pytest.raises(ValueError):
        round_minor(math.inf)
