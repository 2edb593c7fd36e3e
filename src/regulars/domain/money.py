"""Integer amounts and explicit rounding.

Money is held in minor units (cents, kopecks) and points in whole points, both as ``int``.
Rates are basis points (1 % = 100 bp), so ``amount_minor * rate_bp / 10_000`` is an exact
rational number and the only place a fraction appears is :func:`divide`, which rounds it by a
named policy. No float touches these paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

BASIS_POINTS = 10_000


class Rounding(StrEnum):
    """How a fraction of a unit is settled."""

    FLOOR = "floor"
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    CEILING = "ceiling"


def divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    """``numerator / denominator`` rounded by ``rounding``; exact for any integers.

    Raises ``ZeroDivisionError`` for a zero denominator. Halves round away from zero under
    ``HALF_UP`` and to the even neighbour under ``HALF_EVEN``.
    """
    if denominator == 0:
        raise ZeroDivisionError("denominator is zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)  # floor division, remainder >= 0
    if remainder == 0 or rounding is Rounding.FLOOR:
        return quotient
    if rounding is Rounding.CEILING:
        return quotient + 1
    twice = 2 * remainder
    if twice > denominator:
        return quotient + 1
    if twice < denominator:
        return quotient
    # An exact half.
    if rounding is Rounding.HALF_UP:
        return quotient + 1 if numerator >= 0 else quotient
    return quotient + (quotient % 2)


def apply_rate(amount: int, rate_bp: int, rounding: Rounding) -> int:
    """``amount * rate_bp / 10 000`` rounded by ``rounding``."""
    return divide(amount * rate_bp, BASIS_POINTS, rounding)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` in proportion; the parts sum to ``total`` exactly.

    Largest-remainder method: each part gets the floor of its share, then the units left go to
    the largest remainders, ties to the later position (so a lone remainder lands on the last
    line). All weights zero: everything goes to the last position. Weights must be >= 0.
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero total over no weights")
        return []
    if min(weights) < 0:
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * (len(weights) - 1) + [total]
    magnitude = abs(total)
    parts = [magnitude * weight // weight_sum for weight in weights]
    left = magnitude - sum(parts)
    if left:  # the remainders are worked out only when some unit is left to place
        remainders = sorted([(magnitude * weight % weight_sum, index)
                             for index, weight in enumerate(weights)], reverse=True)
        for _, index in remainders[:left]:
            parts[index] += 1
    return [-p for p in parts] if total < 0 else parts


def prorate(total: int, part: int, whole: int) -> int:
    """The share of ``total`` that ``part`` of ``whole`` carries, floored toward zero.

    Used cumulatively (``prorate(t, done + now, whole) - prorate(t, done, whole)``) so that a
    sequence of partial refunds adds up to exactly ``total`` once ``whole`` is reached.
    """
    if whole <= 0:
        raise ValueError("whole must be positive")
    if not 0 <= part <= whole:
        raise ValueError("part must lie between 0 and whole")
    if part == whole:
        return total
    sign = -1 if total < 0 else 1
    return sign * (abs(total) * part // whole)
