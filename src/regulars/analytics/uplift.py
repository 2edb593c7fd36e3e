"""Uplift statistics: test against control (or variant against variant), with honest intervals.

Every function takes per-member outcomes (spend in minor units, visits, 0/1 "bought") as
arrays and returns frozen results in floats; callers that report money round it explicitly
(:func:`round_minor`). Confidence is 95 % unless ``level`` says otherwise.

- :func:`mean_difference`: difference of means, Welch's t interval and two-sided p-value
  (unequal variances, Welch–Satterthwaite degrees of freedom).
- :func:`relative_uplift`: ``mean_test / mean_control − 1`` with a delta-method interval.
- :func:`proportion_difference`: difference of shares, Mee's score interval and the score test
  it inverts (at no difference, the pooled z test), so the two always agree.
- :func:`cuped`: the same difference after removing what a pre-period covariate explains,
  ``y − θ·(x − x̄)`` with ``θ = cov(y, x) / var(x)`` over both groups pooled.
- :func:`balance`: were the groups alike before (standardised mean difference and a test).
- :func:`sequential_interval`: an always-valid interval (normal-mixture boundary, Johari et al.
  2017 / Howard et al. 2021): looking at it every day does not inflate false wins.
- :func:`pairwise_sequential`: that interval for every pair of an experiment's variants.
- :func:`sample_size`: members per arm to detect an effect (two-sided t test, non-central t).
- :func:`verdict`: say plainly when the sample is too small to tell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from regulars.domain.analytics.experiments import pairs

FloatArray = npt.NDArray[np.float64]
Outcomes = npt.ArrayLike

LEVEL = 0.95
# Fewer members than this in either arm and no interval is trusted (the t approximation and
# the variance estimates are poor below it).
MIN_MEMBERS_PER_ARM = 30
# An absolute standardised mean difference below this counts as balanced (the usual rule).
BALANCED_SMD = 0.1


@dataclass(frozen=True, kw_only=True)
class Difference:
    """``test − control`` with its interval and two-sided p-value."""

    test_mean: float
    control_mean: float
    test_n: int
    control_n: int
    estimate: float
    low: float
    high: float
    p_value: float
    level: float = LEVEL

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass(frozen=True, kw_only=True)
class Relative:
    """``test / control − 1`` as a fraction, with its delta-method interval (``None`` when the
    control's mean is zero and there is nothing to be relative to)."""

    estimate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, kw_only=True)
class Cuped:
    """The difference after variance reduction by a pre-period covariate."""

    theta: float
    difference: Difference
    variance_reduction: float  # share of the plain variance removed, 0..1


@dataclass(frozen=True, kw_only=True)
class Balance:
    """Pre-period comparison: standardised mean difference and Welch's p-value."""

    smd: float
    p_value: float

    @property
    def balanced(self) -> bool:
        return abs(self.smd) < BALANCED_SMD


class Verdict(StrEnum):
    TOO_SMALL = "too_small"  # not enough members in an arm to say anything
    UNCLEAR = "unclear"  # the interval crosses zero: no effect shown either way
    UP = "up"
    DOWN = "down"


def _array(values: Outcomes) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError("outcomes must be one value per member")
    return array


def _moments(values: FloatArray) -> tuple[float, float, int]:
    """Mean, sample variance (``ddof=1``, 0 below two values) and count."""
    n = int(values.size)
    if n == 0:
        return 0.0, 0.0, 0
    return float(values.mean()), float(values.var(ddof=1)) if n > 1 else 0.0, n


def welch(*, test_mean: float, test_var: float, test_n: int, control_mean: float,
          control_var: float, control_n: int, level: float = LEVEL) -> Difference:
    """Welch's interval from each group's mean, sample variance and count. With fewer than
    two members in a group, or no variance at all, the interval is unbounded (p = 1) unless
    the means differ with zero variance, which is then certain."""
    estimate = test_mean - control_mean
    base = Difference(test_mean=test_mean, control_mean=control_mean, test_n=test_n,
                      control_n=control_n, estimate=estimate, level=level, low=-math.inf,
                      high=math.inf, p_value=1.0)
    if test_n < 2 or control_n < 2:
        return base
    a, b = test_var / test_n, control_var / control_n
    se2 = a + b
    if se2 == 0:
        p = 1.0 if estimate == 0 else 0.0
        return replace(base, low=estimate, high=estimate, p_value=p)
    df = se2 ** 2 / (a ** 2 / (test_n - 1) + b ** 2 / (control_n - 1))
    se = math.sqrt(se2)
    crit = float(stats.t.ppf(0.5 + level / 2, df))
    p = float(2 * stats.t.sf(abs(estimate) / se, df))
    return replace(base, low=estimate - crit * se, high=estimate + crit * se, p_value=p)


def mean_difference(test: Outcomes, control: Outcomes, *, level: float = LEVEL) -> Difference:
    """Difference of means, Welch's interval and p-value."""
    tm, tv, tn = _moments(_array(test))
    cm, cv, cn = _moments(_array(control))
    return welch(test_mean=tm, test_var=tv, test_n=tn, control_mean=cm, control_var=cv,
                 control_n=cn, level=level)


def relative_uplift(test: Outcomes, control: Outcomes, *, level: float = LEVEL) -> Relative:
    """``mean_t / mean_c − 1`` with the delta-method variance
    ``var_t/(n_t·m_c²) + m_t²·var_c/(n_c·m_c⁴)`` and a normal interval."""
    tm, tv, tn = _moments(_array(test))
    cm, cv, cn = _moments(_array(control))
    if cm == 0 or tn < 2 or cn < 2:
        return Relative(estimate=None if cm == 0 else tm / cm - 1, low=None, high=None)
    ratio = tm / cm
    se = math.sqrt(tv / (tn * cm ** 2) + tm ** 2 * cv / (cn * cm ** 4))
    z = float(stats.norm.ppf(0.5 + level / 2))
    return Relative(estimate=ratio - 1, low=ratio - 1 - z * se, high=ratio - 1 + z * se)


def _restricted_shares(delta: float, *, test_share: float, control_share: float,
                       ratio: float) -> tuple[float, float]:
    """The shares of greatest likelihood under ``test − control = delta``, in closed form
    (the cubic of Miettinen & Nurminen 1985 / Farrington & Manning 1990); ``ratio`` is
    ``control_n / test_n``."""
    a = 1 + ratio
    b = -(1 + ratio + test_share + ratio * control_share + delta * (ratio + 2))
    c = delta ** 2 + delta * (2 * test_share + ratio + 1) + test_share + ratio * control_share
    d = -test_share * delta * (1 + delta)
    v = b ** 3 / (3 * a) ** 3 - b * c / (6 * a ** 2) + d / (2 * a)
    u = math.copysign(math.sqrt(max(0.0, b ** 2 / (3 * a) ** 2 - c / (3 * a))), v)
    # Where u is 0 the three roots coincide at −b/3a (cos of any angle times 0).
    w = (math.pi + math.acos(min(1.0, max(-1.0, v / u ** 3)))) / 3 if u else 0.0
    test = min(1.0, max(0.0, 2 * u * math.cos(w) - b / (3 * a)))
    return test, min(1.0, max(0.0, test - delta))


def proportion_difference(*, test_yes: int, test_n: int, control_yes: int, control_n: int,
                          level: float = LEVEL) -> Difference:
    """Difference of shares with Mee's (1984) score interval: the differences ``δ`` whose
    score statistic ``(p̂_t − p̂_c − δ) / √(p̃_t(1−p̃_t)/n_t + p̃_c(1−p̃_c)/n_c)`` (``p̃`` the
    shares of greatest likelihood under ``δ``) stays within the critical value. The p-value is
    that statistic's at ``δ = 0``, the pooled two-sample z test, so the interval excludes zero
    exactly when ``p < 1 − level``. Unlike Wald's, the interval keeps a width when a group's
    share is 0 or 1 and stays within −1..1. Raises ``ValueError`` for an empty group."""
    if test_n < 1 or control_n < 1:
        raise ValueError("each group needs at least one member")
    pt, pc = test_yes / test_n, control_yes / control_n
    estimate = pt - pc

    def spread(delta: float) -> float:
        st, sc = _restricted_shares(delta, test_share=pt, control_share=pc,
                                    ratio=control_n / test_n)
        return math.sqrt(st * (1 - st) / test_n + sc * (1 - sc) / control_n)

    z = float(stats.norm.ppf(0.5 + level / 2))
    # Past the estimate by a hair: with both shares at 0 or 1 the spread there is 0.
    step = 0.0 if spread(estimate) > 0 else 1e-12
    low, high = -1.0, 1.0
    if estimate - step > -1:
        low = optimize.brentq(lambda d: estimate - d - z * spread(d), -1.0, estimate - step)
    if estimate + step < 1:
        high = optimize.brentq(lambda d: d - estimate - z * spread(d), estimate + step, 1.0)
    se0 = spread(0.0)
    p = 1.0 if se0 == 0 else float(2 * stats.norm.sf(abs(estimate) / se0))
    return Difference(test_mean=pt, control_mean=pc, test_n=test_n, control_n=control_n,
                      estimate=estimate, level=level, low=low, high=high, p_value=p)


def cuped(test: Outcomes, control: Outcomes, *, test_pre: Outcomes, control_pre: Outcomes,
          level: float = LEVEL) -> Cuped:
    """CUPED: ``θ = cov(y, x) / var(x)`` on both groups pooled, each outcome adjusted to
    ``y − θ·(x − x̄)``, then Welch on the adjusted outcomes. With no variance in the
    pre-period, ``θ = 0`` and this is the plain difference."""
    y_t, y_c = _array(test), _array(control)
    x_t, x_c = _array(test_pre), _array(control_pre)
    if y_t.size != x_t.size or y_c.size != x_c.size:
        raise ValueError("one pre-period value per member")
    y, x = np.concatenate([y_t, y_c]), np.concatenate([x_t, x_c])
    var_x = float(x.var(ddof=1)) if x.size > 1 else 0.0
    theta = float(np.cov(y, x, ddof=1)[0, 1]) / var_x if var_x > 0 else 0.0
    centre = float(x.mean()) if x.size else 0.0
    adjusted = mean_difference(y_t - theta * (x_t - centre), y_c - theta * (x_c - centre),
                               level=level)
    plain = mean_difference(y_t, y_c, level=level)
    width, plain_width = adjusted.high - adjusted.low, plain.high - plain.low
    reduction = (1 - (width / plain_width) ** 2
                 if math.isfinite(plain_width) and plain_width > 0 else 0.0)
    return Cuped(theta=theta, difference=adjusted, variance_reduction=max(0.0, reduction))


def balance(test_pre: Outcomes, control_pre: Outcomes) -> Balance:
    """Standardised mean difference ``(m_t − m_c) / √((v_t + v_c) / 2)`` and Welch's
    p-value on the pre-period outcomes."""
    diff = mean_difference(test_pre, control_pre)
    _, tv, _ = _moments(_array(test_pre))
    _, cv, _ = _moments(_array(control_pre))
    pooled_sd = math.sqrt((tv + cv) / 2)
    smd = diff.estimate / pooled_sd if pooled_sd > 0 else 0.0
    return Balance(smd=smd, p_value=diff.p_value)


def sequential_interval(test: Outcomes, control: Outcomes, *, alpha: float = 1 - LEVEL,
                        mixing_sd: float | None = None) -> Difference:
    """An always-valid interval for the difference of means: the set of effects the
    normal-mixture SPRT (mixing variance ``τ²``) does not reject at ``alpha``,
    ``Δ̂ ± √(V(V+τ²)/τ² · (2·ln(1/α) + ln((V+τ²)/V)))`` with ``V`` the estimate's variance.
    It holds at every look at once, so a winner declared the first day it excludes zero is
    wrong no more than ``alpha`` of the time. ``τ`` defaults to a quarter of the pooled
    standard deviation of the outcomes (an effect size worth finding)."""
    y_t, y_c = _array(test), _array(control)
    plain = mean_difference(y_t, y_c)
    base = replace(plain, level=1 - alpha, low=-math.inf, high=math.inf, p_value=1.0)
    if plain.test_n < 2 or plain.control_n < 2:
        return base
    tv, cv = float(y_t.var(ddof=1)), float(y_c.var(ddof=1))
    v = tv / plain.test_n + cv / plain.control_n
    tau = mixing_sd if mixing_sd is not None else 0.25 * math.sqrt((tv + cv) / 2)
    if v == 0 or tau <= 0:
        return replace(base, low=plain.estimate, high=plain.estimate, p_value=plain.p_value)
    t2 = tau ** 2
    half = _mixture_half_width(v, t2, alpha)
    # The always-valid p-value: 1 / the mixture likelihood ratio against no effect, at most 1.
    log_ratio = (0.5 * math.log(v / (v + t2))
                 + t2 * plain.estimate ** 2 / (2 * v * (v + t2)))
    return replace(base, low=plain.estimate - half, high=plain.estimate + half,
                   p_value=math.exp(-max(0.0, log_ratio)))


def _mixture_half_width(v: float, t2: float, alpha: float) -> float:
    """The half-width of the normal-mixture SPRT's always-valid interval for an estimate of
    variance ``v`` with mixing variance ``t2`` at ``alpha``."""
    return math.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / alpha) + math.log((v + t2) / v)))


def pairwise_sequential(arms: Sequence[Outcomes], *,
                        alpha: float) -> dict[tuple[int, int], Difference]:
    """:func:`sequential_interval` of ``arms[test] − arms[control]`` at ``alpha`` for every
    ``test > control``, keyed ``(test, control)``: what
    :func:`regulars.domain.analytics.experiments.decide` reads."""
    return {(test, control): sequential_interval(arms[test], arms[control], alpha=alpha)
            for test, control in pairs(len(arms))}


def power(*, effect: float, sd: float, per_arm: int, alpha: float = 1 - LEVEL) -> float:
    """Power of the two-sided two-sample t test with ``per_arm`` members in each arm."""
    if per_arm < 2 or sd <= 0:
        return 0.0
    df = 2 * per_arm - 2
    nc = abs(effect) / sd * math.sqrt(per_arm / 2)
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def sample_size(*, effect: float, sd: float, alpha: float = 1 - LEVEL,
                power_wanted: float = 0.8, most: int = 10_000_000) -> int | None:
    """The fewest members per arm for the t test to find ``effect`` (in the outcome's unit,
    with standard deviation ``sd``) with ``power_wanted``; ``None`` past ``most``. Starts from
    the normal approximation and steps to the exact non-central-t answer."""
    if effect == 0 or sd <= 0:
        return None
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power_wanted))
    n = max(2, math.ceil(2 * (z * sd / effect) ** 2))
    if n > most:
        return None
    while n > 2 and power(effect=effect, sd=sd, per_arm=n - 1, alpha=alpha) >= power_wanted:
        n -= 1
    while power(effect=effect, sd=sd, per_arm=n, alpha=alpha) < power_wanted:
        n += 1
        if n > most:
            return None
    return n


def sequential_sample_size(*, effect: float, sd: float, alpha: float = 1 - LEVEL,
                           power_wanted: float = 0.8, most: int = 10_000_000) -> int | None:
    """The fewest members per arm for :func:`sequential_interval` (at its default mixing
    ``τ = sd/4``) to clear zero for a true ``effect`` with ``power_wanted``, judged at that
    one look: ``|effect| ≥ half-width + z(power)·√V`` with ``V = 2·sd²/n``. The always-valid
    interval is wider than the fixed-horizon one, so this is more than :func:`sample_size`;
    an experiment looked at before then may clear earlier, so the power at this size is at
    least the one wanted. ``None`` past ``most``."""
    if effect == 0 or sd <= 0:
        return None
    t2 = (0.25 * sd) ** 2
    z = float(stats.norm.ppf(power_wanted))

    def enough(n: int) -> bool:
        v = 2 * sd * sd / n
        return abs(effect) >= _mixture_half_width(v, t2, alpha) + z * math.sqrt(v)

    high = 2
    while not enough(high):
        if high > most:
            return None
        high *= 2
    low = high // 2  # not enough at ``low`` (or below 2); enough at ``high``
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high if high <= most else None


def verdict(difference: Difference, *, least_per_arm: int = MIN_MEMBERS_PER_ARM) -> Verdict:
    """Too small when an arm has fewer than ``least_per_arm`` members; unclear when the
    interval crosses zero or the p-value is not below ``1 − level`` (the two agree for every
    difference here; the p-value guards the rounding at the edge); otherwise the direction."""
    if min(difference.test_n, difference.control_n) < least_per_arm:
        return Verdict.TOO_SMALL
    if not difference.excludes_zero or difference.p_value >= 1 - difference.level:
        return Verdict.UNCLEAR
    return Verdict.UP if difference.low > 0 else Verdict.DOWN


def round_minor(value: float) -> int:
    """A money figure computed in floats, to whole minor units, halves away from zero."""
    if not math.isfinite(value):
        raise ValueError("not a finite amount")
    return int(math.copysign(math.floor(abs(value) + 0.5), value))
