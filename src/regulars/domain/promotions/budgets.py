"""Budgets and use limits of promotions, and the tenant's loyalty budget split.

Pure: the service layer reads what was spent inside the pricing transaction and asks
:func:`allowance_for` what a promotion may still give on one receipt; the engine leaves out a
promotion whose effect on the receipt does not fit (see
:func:`regulars.domain.promotions.walk.choose`). The counts themselves are kept by conditional
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

from dataclasses import dataclass, field
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


# Why a limit left a promotion out of a receipt (the quote explains it with this word).
REASONS = frozenset({"budget", "member_cap", "uses_per_day", "uses_per_period", "members_only",
                     "bucket"})


@dataclass(frozen=True, kw_only=True)
class Allowance:
    """What a promotion may still give on one receipt; ``None``: no limit. The ``*_by``
    fields name the limit each amount comes from (see :data:`REASONS`)."""

    discount_minor: int | None = None
    points: int | None = None
    discount_by: str = field(default="budget", compare=False)
    points_by: str = field(default="budget", compare=False)

    def fits(self, *, discount_minor: int, points: int) -> bool:
        return self.refusal(discount_minor=discount_minor, points=points) is None

    def refusal(self, *, discount_minor: int, points: int,
                issues_coupon: bool = False) -> str | None:
        """The limit that refuses this much (one of :data:`REASONS`), or ``None``. A
        promotion that issues a coupon is refused once any cap is at zero."""
        if self.discount_minor is not None and (
                discount_minor > self.discount_minor
                or (issues_coupon and self.discount_minor == 0)):
            return self.discount_by
        if self.points is not None and (points > self.points
                                        or (issues_coupon and self.points == 0)):
            return self.points_by
        return None


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


def _least(budget: int | None, member: int | None) -> tuple[int | None, str]:
    """The smaller of what the budget and the member cap leave, and which one it is."""
    if member is not None and (budget is None or member < budget):
        return member, "member_cap"
    return budget, "budget"


def _nothing(reason: str) -> Allowance:
    return Allowance(discount_minor=0, points=0, discount_by=reason, points_by=reason)


def allowance_for(limits: Limits, *, spent: Spent, member_spent: Spent | None,
                  uses: Uses | None) -> Allowance:
    """What ``limits`` leave for one receipt, given what the promotion gave so far, what it
    gave this member and how often it applied to them (both ``None``: an anonymous
    receipt)."""
    if limits.per_member and (member_spent is None or uses is None):
        return _nothing("members_only")
    if uses is not None and limits.uses_per_day is not None \
            and uses.today >= limits.uses_per_day:
        return _nothing("uses_per_day")
    if uses is not None and limits.uses_per_period is not None \
            and uses.period >= limits.uses_per_period:
        return _nothing("uses_per_period")
    mine = member_spent or Spent()
    discount_minor, discount_by = _least(_left(limits.budget_minor, spent.discount_minor),
                                         _left(limits.member_minor, mine.discount_minor))
    points, points_by = _least(_left(limits.budget_points, spent.points),
                               _left(limits.member_points, mine.points))
    return Allowance(discount_minor=discount_minor, points=points, discount_by=discount_by,
                     points_by=points_by)


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
