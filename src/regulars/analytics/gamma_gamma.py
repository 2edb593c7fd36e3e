"""The Gamma-Gamma model of spend per purchase (Fader, Hardie and Lee 2005, "RFM and CLV";
Fader and Hardie 2013, "The Gamma-Gamma model of monetary value").

A member's purchases have amounts z_i ~ Gamma(p, ν), with ν ~ Gamma(q, γ) across members; the
mean z̄ of ``x`` repeat purchases is sufficient. ``gamma`` is in minor units (a scale: a fit
on cents has γ one hundred times the γ of a fit on dollars, ``p`` and ``q`` unchanged).

    ln L = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln z̄ + px ln x − (px+q) ln(γ + x z̄)

Expected spend per purchase given x and z̄, a weighted mean of the population mean p γ/(q−1)
and the member's own z̄ (defined for q > 1, which the fit insists on):

    E[Z | x, z̄] = p (γ + x z̄) / (px + q − 1)

The model assumes spend per purchase is independent of how often a member buys; check it
(the correlation of frequency and z̄ among repeat buyers) before relying on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

from regulars.analytics._mle import maximise
from regulars.analytics.errors import FitFailed, NotEnoughData
from regulars.analytics.summary import CalibrationSummary, FloatArray, distinct_counts

MIN_REPEAT_BUYERS = 10


@dataclass(frozen=True, kw_only=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma parameters; ``gamma`` is in minor units. ``members`` counts the
    repeat buyers with a positive repeat spend, the only members the fit reads."""

    p: float
    q: float
    gamma: float
    members: int
    log_likelihood: float


def _log_likelihood(params: FloatArray, x: FloatArray, mean: FloatArray,
                    x_values: FloatArray, x_index: npt.NDArray[np.intp]) -> FloatArray:
    """ln L per member of (x, z̄); ``x == x_values[x_index]``: the log-gammas depend on x
    alone, so they are computed once per distinct purchase count."""
    p, q, gamma = params
    px_values = p * x_values
    by_x = gammaln(px_values + q) - gammaln(px_values)
    px = p * x
    result: FloatArray = (by_x[x_index] - gammaln(q) + q * np.log(gamma)
                          + (px - 1.0) * np.log(mean) + px * np.log(x)
                          - (px + q) * np.log(gamma + x * mean))
    return result


def mean_repeat_spend(summary: CalibrationSummary) -> FloatArray:
    """z̄ per member in minor units: repeat spend over repeat purchases (0 without any).

    An estimate's input, not an amount of money: it is a float.
    """
    x = summary.frequency
    spend = summary.repeat_spend_minor.astype(np.float64)
    result: FloatArray = np.divide(spend, x, out=np.zeros_like(spend), where=x > 0)
    return result


def fit_gamma_gamma(summary: CalibrationSummary) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from the members of ``summary`` with a repeat
    purchase of positive amount.

    Raises :class:`NotEnoughData` below ``MIN_REPEAT_BUYERS`` such members, and
    :class:`FitFailed` when the likelihood has no usable maximum or q <= 1 (the expected spend
    would be unbounded).
    """
    chosen = (summary.frequency > 0) & (summary.repeat_spend_minor > 0)
    members = int(np.count_nonzero(chosen))
    if members < MIN_REPEAT_BUYERS:
        raise NotEnoughData(
            "the spend model needs at least %(repeat_buyers)s members with a paid repeat "
            "purchase; there are %(found)s", reason="too_few_repeat_spenders",
            params={"repeat_buyers": MIN_REPEAT_BUYERS, "found": members})
    # Members with the same (x, repeat spend) have the same likelihood: one row each, with
    # its members' count as a weight (the cost grows with the distinct pairs).
    (repeats, repeat_spend), counts = distinct_counts(summary.frequency,
                                                      summary.repeat_spend_minor, where=chosen)
    x = repeats.astype(np.float64)
    mean = repeat_spend.astype(np.float64)
    mean /= x
    weight = counts.astype(np.float64)
    x_values, x_index = np.unique(x, return_inverse=True)

    def total_ll(params: FloatArray) -> float:
        return float(np.sum(weight * _log_likelihood(params, x, mean, x_values, x_index)))

    start = np.array([1.0, 2.0, float(np.sum(weight * mean)) / members])
    p, q, gamma = maximise(lambda logs: -total_ll(np.exp(logs)) / members, start,
                           model="spend")
    if q <= 1.0:
        raise FitFailed("the spend model's q is %(q)s, not above 1: the mean spend is "
                        "unbounded", reason="unbounded_spend", params={"q": f"{q:.3f}"})
    total = total_ll(np.array([p, q, gamma]))
    return GammaGammaFit(p=float(p), q=float(q), gamma=float(gamma), members=members,
                         log_likelihood=total)


def expected_spend(fit: GammaGammaFit, summary: CalibrationSummary) -> FloatArray:
    """Expected spend per future purchase per member, in minor units (an estimate: a float;
    round it with :func:`regulars.analytics.clv.to_minor`). A member without a paid repeat
    purchase gets the population mean p γ / (q − 1)."""
    x = summary.frequency.astype(np.float64)
    mean = mean_repeat_spend(summary)
    x = np.where(mean > 0, x, 0.0)
    result: FloatArray = fit.p * (fit.gamma + x * mean) / (fit.p * x + fit.q - 1.0)
    return result
