"""The BG/NBD model (Fader, Hardie and Lee 2005, "Counting your customers the easy way").

While alive, a member buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop
out with probability p ~ Beta(a, b). ``alpha`` is in the summary's time unit (a rate
parameter: refit, do not convert, when the unit changes).

Likelihood of one member with ``x`` repeat purchases, last at ``t_x``, observed for ``T``
(equation 6 of the paper, in logs):

    ln L = lnΓ(r+x) − lnΓ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
           + ln[ (α+T)^−(r+x) + [x>0] a/(b+x−1) (α+t_x)^−(r+x) ]

Expected purchases in the next ``t`` (equation 10) use the Gaussian hypergeometric function:

    E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1)
        · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, expit, gammaln, hyp2f1

from regulars.analytics._mle import maximise
from regulars.analytics.errors import NotEnoughData
from regulars.analytics.summary import (
    CalibrationSummary,
    FloatArray,
    TimeUnit,
    distinct_counts,
)

MIN_MEMBERS = 20
MIN_REPEAT_BUYERS = 5
# r, a and b have no unit and α is in the time unit (days at the finest): no real buyers'
# parameters lie beyond e^±10 (≈ 22,000). A fit out there sits on the ridge of a model at its
# limit (nobody drops out: r and α grow together, a shrinks), not at a maximum.
PLAUSIBLE_LOG = 10.0


@dataclass(frozen=True, kw_only=True)
class BgNbdFit:
    """Fitted BG/NBD parameters; ``alpha`` is in ``unit``. ``log_likelihood`` is the total
    over the ``members`` the fit saw."""

    r: float
    alpha: float
    a: float
    b: float
    unit: TimeUnit
    members: int
    log_likelihood: float


@dataclass(frozen=True)
class _Histories:
    """Distinct (x, t_x, T) rows with their member counts; ``x_values`` are the distinct
    purchase counts and ``x_index`` points each row at its own, so the special functions of
    x alone (the costly part of the likelihood) are computed once per purchase count."""

    x: FloatArray
    t_x: FloatArray
    age: FloatArray
    weight: FloatArray
    x_values: FloatArray
    x_index: npt.NDArray[np.intp]

    @classmethod
    def of(cls, summary: CalibrationSummary) -> _Histories:
        (frequency, first, last), counts = distinct_counts(
            summary.frequency, summary.days_since_first, summary.days_since_last)
        x = frequency.astype(np.float64)
        x_values, x_index = np.unique(x, return_inverse=True)
        unit = float(summary.unit.days)
        return cls(x=x, t_x=(first - last) / unit, age=first / unit,
                   weight=counts.astype(np.float64), x_values=x_values, x_index=x_index)

    def log_likelihood(self, params: FloatArray) -> FloatArray:
        """ln L per distinct row (equation 6, see the module docstring)."""
        r, alpha, a, b = params
        xs = self.x_values
        by_x = gammaln(r + xs) - gammaln(r) + betaln(a, b + xs) - betaln(a, b)
        # b + x − 1 is only read where x > 0; max(x, 1) keeps the log finite elsewhere.
        drop_by_x = np.where(xs > 0, np.log(a) - np.log(b + np.maximum(xs, 1.0) - 1.0),
                             -np.inf)
        x = self.x
        stays = -(r + x) * np.log(alpha + self.age)
        drops = drop_by_x[self.x_index] - (r + x) * np.log(alpha + self.t_x)
        result: FloatArray = (by_x[self.x_index] + r * np.log(alpha)
                              + np.logaddexp(stays, drops))
        return result


def fit_bgnbd(summary: CalibrationSummary) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for ``summary``.

    Members with the same (frequency, recency, age) are one row with a weight, so the cost
    grows with the distinct histories, not the members. Raises :class:`NotEnoughData` below
    ``MIN_MEMBERS`` members or ``MIN_REPEAT_BUYERS`` members with a repeat purchase, and
    :class:`FitFailed` when the likelihood has no usable maximum.
    """
    members = len(summary)
    repeaters = int(np.count_nonzero(summary.frequency))
    if members < MIN_MEMBERS or repeaters < MIN_REPEAT_BUYERS:
        raise NotEnoughData(
            "the purchase model needs at least %(members)s members, %(repeat_buyers)s of "
            "them with a repeat purchase; there are %(found)s, %(found_repeat)s with one",
            reason="too_few_members",
            params={"members": MIN_MEMBERS, "repeat_buyers": MIN_REPEAT_BUYERS,
                    "found": members, "found_repeat": repeaters})
    histories = _Histories.of(summary)

    def mean_negative_ll(logs: FloatArray) -> float:
        return -float(np.sum(histories.weight * histories.log_likelihood(np.exp(logs)))) / members

    mean_age = float(np.mean(summary.days_since_first)) / summary.unit.days
    start = np.array([1.0, mean_age or 1.0, 1.0, 1.0])
    r, alpha, a, b = maximise(mean_negative_ll, start, model="purchase",
                              edge=PLAUSIBLE_LOG)
    total = float(np.sum(histories.weight * histories.log_likelihood(np.array([r, alpha, a, b]))))
    return BgNbdFit(r=float(r), alpha=float(alpha), a=float(a), b=float(b),
                    unit=summary.unit, members=members, log_likelihood=total)


def _drop_out_odds_log(fit: BgNbdFit, x: FloatArray, t_x: FloatArray,
                       age: FloatArray) -> FloatArray:
    """ln of a/(b+x−1) ((α+T)/(α+t_x))^(r+x), −∞ for members without a repeat purchase."""
    odds: FloatArray = np.where(
        x > 0,
        np.log(fit.a) - np.log(fit.b + np.maximum(x, 1.0) - 1.0)
        + (fit.r + x) * (np.log(fit.alpha + age) - np.log(fit.alpha + t_x)),
        -np.inf)
    return odds


def _same_unit(fit: BgNbdFit, summary: CalibrationSummary) -> None:
    if fit.unit is not summary.unit:
        raise ValueError(f"a fit in {fit.unit.name.lower()} applied to a summary in "
                         f"{summary.unit.name.lower()}: refit on a summary in that unit")


def probability_alive(fit: BgNbdFit, summary: CalibrationSummary) -> FloatArray:
    """P(alive at the calibration end) per member of ``summary`` (1 without a repeat
    purchase: in this model a member can only drop out right after a purchase).

    Raises ``ValueError`` when the fit and the summary are in different time units.
    """
    _same_unit(fit, summary)
    x = summary.frequency.astype(np.float64)
    result: FloatArray = expit(-_drop_out_odds_log(fit, x, summary.recency, summary.age))
    return result


def expected_purchases(fit: BgNbdFit, summary: CalibrationSummary, *,
                       horizon: float) -> FloatArray:
    """Expected purchases per member in the ``horizon`` (in the fit's unit) after the
    calibration end. ``horizon`` 0 gives 0.

    The hypergeometric part depends on (x, T) only, so it is computed once per distinct pair
    (far fewer than members: T takes one value per day of first purchase). The closed form
    divides by a − 1: a fit with a within rounding of 1 loses precision here. Raises
    ``ValueError`` for a negative horizon or a fit in another unit than the summary.
    """
    if horizon < 0:
        raise ValueError("horizon must not be negative")
    _same_unit(fit, summary)
    pairs = summary.purchase_age_groups
    distinct = summary.taken(pairs.first)
    x, age = distinct.frequency.astype(np.float64), distinct.age
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = horizon / (alpha + age + horizon)
    tail = np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + horizon)))
    if_alive = ((a + b + x - 1.0) / (a - 1.0)
                * (1.0 - tail * hyp2f1(r + x, b + x, a + b + x - 1.0, z)))
    result: FloatArray = if_alive[pairs.inverse] * probability_alive(fit, summary)
    return result
