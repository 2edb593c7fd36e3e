"""Customer lifetime value per member from a BG/NBD and a Gamma-Gamma fit.

CLV over ``months`` months of 30 days: for each month i, the purchases expected in it (the
difference of expected purchases by the end of months i and i−1), times the expected spend
per purchase, times the margin, discounted by (1 + monthly rate)^i. This is the sum
``lifetimes``' ``customer_lifetime_value`` computes, with the month fixed at 30 days in any
time unit.

Model outputs are estimates (floats); :func:`to_minor` turns one into minor units by a named
:class:`~regulars.domain.money.Rounding`, exactly (the float's binary value is rounded, with
no second rounding through decimal text), and :class:`MemberValue` holds them so rounded.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from regulars.analytics.bgnbd import BgNbdFit, expected_purchases, probability_alive
from regulars.analytics.gamma_gamma import GammaGammaFit, expected_spend
from regulars.analytics.summary import CalibrationSummary, FloatArray, IntArray
from regulars.domain.money import BASIS_POINTS, Rounding, divide

DAYS_PER_MONTH = 30


def to_minor(estimate: float, rounding: Rounding) -> int:
    """``estimate`` (minor units) rounded to a whole minor unit by ``rounding``.

    Raises ``ValueError`` for a NaN or an infinity.
    """
    if not math.isfinite(estimate):
        raise ValueError(f"cannot round {estimate} to minor units")
    numerator, denominator = estimate.as_integer_ratio()
    return divide(numerator, denominator, rounding)


def to_minor_array(estimates: FloatArray, rounding: Rounding) -> IntArray:
    """:func:`to_minor` of every element, exactly, at array speed: the fractional part of a
    float is itself a float (no error), so comparing it with 0.5 decides a half exactly.

    Raises ``ValueError`` when an element is a NaN, an infinity, or past 2**53 (where a float
    no longer holds every whole number).
    """
    if not np.all(np.abs(estimates) < 2.0**53):
        raise ValueError("cannot round NaN, infinite or huge estimates to minor units")
    if rounding is Rounding.FLOOR:
        return np.floor(estimates).astype(np.int64)
    if rounding is Rounding.CEILING:
        return np.ceil(estimates).astype(np.int64)
    if rounding is Rounding.HALF_EVEN:
        return np.rint(estimates).astype(np.int64)  # ties to even, on the exact value
    size = np.abs(estimates)
    whole = np.floor(size)
    away = whole + (size - whole >= 0.5)  # HALF_UP: halves away from zero
    rounded: IntArray = (np.sign(estimates) * away).astype(np.int64)
    return rounded


def purchases_in_days(fit: BgNbdFit, summary: CalibrationSummary, *, days: int) -> FloatArray:
    """Expected purchases per member in the ``days`` days after the calibration end."""
    if days < 0:
        raise ValueError("days must not be negative")
    return expected_purchases(fit, summary, horizon=days / fit.unit.days)


def lifetime_value(purchases: BgNbdFit, spend: GammaGammaFit, summary: CalibrationSummary,
                   *, margin_bp: int, discount_monthly_bp: int, months: int = 12) -> FloatArray:
    """CLV per member in minor units (an estimate) over ``months`` months after the
    calibration end; ``margin_bp`` is the share of spend that is profit (10 000 = all of it),
    ``discount_monthly_bp`` the monthly discount rate (100 = 1 % a month)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    if not 0 <= margin_bp <= BASIS_POINTS:
        raise ValueError("margin_bp must lie between 0 and 10000")
    if discount_monthly_bp < 0:
        raise ValueError("discount_monthly_bp must not be negative")
    month = DAYS_PER_MONTH / purchases.unit.days
    value_per_purchase = expected_spend(spend, summary) * (margin_bp / BASIS_POINTS)
    rate = discount_monthly_bp / BASIS_POINTS
    total = np.zeros(len(summary))
    before = np.zeros(len(summary))
    for i in range(1, months + 1):
        by_end = expected_purchases(purchases, summary, horizon=i * month)
        total += value_per_purchase * (by_end - before) / (1.0 + rate) ** i
        before = by_end
    return total


@dataclass(frozen=True, kw_only=True)
class ValuePolicy:
    """How member values are computed and rounded (defaults: 12 months, half-even)."""

    margin_bp: int
    discount_monthly_bp: int
    months: int = 12
    rounding: Rounding = Rounding.HALF_EVEN


@dataclass(frozen=True, kw_only=True)
class MemberValue:
    """One member's outlook at the calibration end; amounts are rounded estimates."""

    member_id: Hashable
    probability_alive: float
    purchases_90_days: float
    purchases_365_days: float
    spend_per_purchase_minor: int
    lifetime_value_minor: int


@dataclass(frozen=True, kw_only=True)
class MemberValueArrays:
    """Every member's outlook as arrays in the order of ``summary.member_ids``: what
    :func:`member_values` gives, without an object per member."""

    probability_alive: FloatArray
    purchases_90_days: FloatArray
    purchases_365_days: FloatArray
    spend_per_purchase_minor: IntArray
    lifetime_value_minor: IntArray


VALUE_ROWS = 65_536
"""Members whose values are worked out together: the float temporaries of a CLV's monthly
horizons (a dozen arrays) are this many rows long, not one per member of the business."""


def member_value_arrays(purchases: BgNbdFit, spend: GammaGammaFit,
                        summary: CalibrationSummary, policy: ValuePolicy, *,
                        rows: int = VALUE_ROWS) -> MemberValueArrays:
    """Every member's outlook (see :class:`MemberValueArrays`), worked out ``rows`` members
    at a time into arrays of them all (the same values whatever ``rows``)."""
    size = len(summary)
    found = MemberValueArrays(
        probability_alive=np.empty(size), purchases_90_days=np.empty(size),
        purchases_365_days=np.empty(size), spend_per_purchase_minor=np.empty(size, np.int64),
        lifetime_value_minor=np.empty(size, np.int64))
    for start in range(0, size, rows):
        part, into = summary.rows(start, start + rows), slice(start, start + rows)
        found.probability_alive[into] = probability_alive(purchases, part)
        found.purchases_90_days[into] = purchases_in_days(purchases, part, days=90)
        found.purchases_365_days[into] = purchases_in_days(purchases, part, days=365)
        found.spend_per_purchase_minor[into] = to_minor_array(expected_spend(spend, part),
                                                              policy.rounding)
        found.lifetime_value_minor[into] = to_minor_array(lifetime_value(
            purchases, spend, part, margin_bp=policy.margin_bp,
            discount_monthly_bp=policy.discount_monthly_bp, months=policy.months),
            policy.rounding)
    return found


def lifetime_value_array(purchases: BgNbdFit, spend: GammaGammaFit,
                         summary: CalibrationSummary, policy: ValuePolicy, *,
                         rows: int = VALUE_ROWS) -> IntArray:
    """Every member's lifetime value alone (``member_value_arrays``' last array, the same
    values), worked out ``rows`` members at a time: what orders and totals the members, when
    the rest of an outlook is wanted for a page of them only."""
    found: IntArray = np.empty(len(summary), np.int64)
    for start in range(0, len(summary), rows):
        found[start:start + rows] = to_minor_array(lifetime_value(
            purchases, spend, summary.rows(start, start + rows), margin_bp=policy.margin_bp,
            discount_monthly_bp=policy.discount_monthly_bp, months=policy.months),
            policy.rounding)
    return found


def member_values(purchases: BgNbdFit, spend: GammaGammaFit, summary: CalibrationSummary,
                  policy: ValuePolicy) -> list[MemberValue]:
    """Every member's :class:`MemberValue`, in the order of ``summary.member_ids``."""
    found = member_value_arrays(purchases, spend, summary, policy)
    return [
        MemberValue(member_id=member_id, probability_alive=alive, purchases_90_days=in_90,
                    purchases_365_days=in_365, spend_per_purchase_minor=spend_minor,
                    lifetime_value_minor=value_minor)
        for member_id, alive, in_90, in_365, spend_minor, value_minor in zip(
            summary.member_ids, found.probability_alive.tolist(),
            found.purchases_90_days.tolist(), found.purchases_365_days.tolist(),
            found.spend_per_purchase_minor.tolist(), found.lifetime_value_minor.tolist(),
            strict=True)
    ]
