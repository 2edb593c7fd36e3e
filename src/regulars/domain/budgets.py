"""Budgets and use limits of promotions, and the tenant's loyalty budget split.

Pure: the service layer reads what was spent inside the pricing transaction and asks
:func:`allowance_for` what a promotion may still give on one receipt; the engine leaves out a
promotion whose effect on the receipt does not fit (see
:func:`regulars.domain.promotions.choose`). The counts themselves are kept by conditional
updates in the database, so a limit holds under any interleaving of commits.

What counts against what:

- ``budget_minor`` / ``member_minor``: the money off the promotion gives (its discounts);
- ``budget_points`` / ``member_points``: the points it awards;
- ``uses_per_day`` / ``uses_per_period``: receipts of one member it applied to, per local
  day and per local week (ISO, Monday first) or calendar month;
- the tenant's *mass* bucket: discounts plus points valued at the program's point value, per
  local calendar month, over all mass promotions.

A promotion with a per-member cap or use limit never applies to an anonymous receipt: there is
nobody to count it against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from regulars.domain.money import BASIS_POINTS

MAX_AMOUNT = 10**15


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"


class Bucket(StrEnum):
    BASE = "base"  # the base scheme's points, valued at the point value (reported only)
    MASS = "mass"  # promotions for everyone (enforced)
    TARGETED = "targeted"  # promotions for a segment (enforced)


def _check(name: str, value: int | None) -> None:
    if value is not None and not 0 < value <= MAX_AMOUNT:
        raise ValueError(f"{name} must be positive (or null for no limit)")


@dataclass(frozen=True, kw_only=True)
class Limits:
    """A promotion's budget over its life, its per-member caps and its use limits; ``None``
    means no limit."""

    budget_minor: int | None = None
    budget_points: int | None = None
    member_minor: int | None = None
    member_points: int | None = None
    uses_per_day: int | None = None
    uses_per_period: int | None = None
    period: Period = Period.MONTH

    def __post_init__(self) -> None:
        for name in ("budget_minor", "budget_points", "member_minor", "member_points",
                     "uses_per_day", "uses_per_period"):
            _check(name, getattr(self, name))

    @property
    def per_member(self) -> bool:
        return any(v is not None for v in (self.member_minor, self.member_points,
                                           self.uses_per_day, self.uses_per_period))


NO_LIMITS = Limits()


@dataclass(frozen=True, kw_only=True)
class Allowance:
    """What a promotion may still give on one receipt; ``None``: no limit."""

    discount_minor: int | None = None
    points: int | None = None

    def fits(self, *, discount_minor: int, points: int) -> bool:
        return ((self.discount_minor is None or discount_minor <= self.discount_minor)
                and (self.points is None or points <= self.points))


UNLIMITED = Allowance()
NOTHING = Allowance(discount_minor=0, points=0)


@dataclass(frozen=True, kw_only=True)
class Spent:
    """Money off and points a promotion gave (over its life, or to one member)."""

    discount_minor: int = 0
    points: int = 0


@dataclass(frozen=True, kw_only=True)
class Uses:
    """How often a promotion applied to one member today and in the current period."""

    today: int = 0
    period: int = 0


def _left(cap: int | None, spent: int) -> int | None:
    return None if cap is None else max(0, cap - spent)


def _least(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def allowance_for(limits: Limits, *, spent: Spent, member_spent: Spent | None,
                  uses: Uses | None) -> Allowance:
    """What ``limits`` leave for one receipt, given what the promotion gave so far, what it
    gave this member and how often it applied to them (both ``None``: an anonymous
    receipt)."""
    if limits.per_member and (member_spent is None or uses is None):
        return NOTHING
    if uses is not None and (
            (limits.uses_per_day is not None and uses.today >= limits.uses_per_day)
            or (limits.uses_per_period is not None and uses.period >= limits.uses_per_period)):
        return NOTHING
    mine = member_spent or Spent()
    return Allowance(
        discount_minor=_least(_left(limits.budget_minor, spent.discount_minor),
                              _left(limits.member_minor, mine.discount_minor)),
        points=_least(_left(limits.budget_points, spent.points),
                      _left(limits.member_points, mine.points)))


def period_start(day: date, period: Period) -> date:
    """The first local day of the week (Monday) or month ``day`` falls in."""
    if period is Period.WEEK:
        return day - timedelta(days=day.isoweekday() - 1)
    return day.replace(day=1)


# The tenant's loyalty budget ------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Split:
    """The monthly loyalty budget (``None``: not set, nothing capped) and its shares."""

    total_minor: int | None = None
    base_bp: int = 5000
    mass_bp: int = 2500
    targeted_bp: int = 2500

    def __post_init__(self) -> None:
        if self.total_minor is not None and not 0 <= self.total_minor <= MAX_AMOUNT:
            raise ValueError("total_minor must not be negative")
        shares = (self.base_bp, self.mass_bp, self.targeted_bp)
        if any(not 0 <= s <= BASIS_POINTS for s in shares) or sum(shares) != BASIS_POINTS:
            raise ValueError("base_bp, mass_bp and targeted_bp must each lie between 0 and "
                             "10000 and add up to 10000")

    def cap_minor(self, bucket: Bucket) -> int | None:
        """A bucket's cap for the month, floored (``None`` while no total is set)."""
        if self.total_minor is None:
            return None
        share = {Bucket.BASE: self.base_bp, Bucket.MASS: self.mass_bp,
                 Bucket.TARGETED: self.targeted_bp}[bucket]
        return self.total_minor * share // BASIS_POINTS
