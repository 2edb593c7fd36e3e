"""The points liability in the IFRS 15 manner: points issued are revenue deferred as a
contract liability, released when they are redeemed or expire; valued at the program's point
value. Breakage (the share of points that expire unspent) is estimated from the points whose
expiry date has passed, and discounts what is outstanding to its expected cost.

Pure: months of point movements in, valued months and journal lines out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from regulars.domain.analytics.figures import share_bp
from regulars.domain.money import BASIS_POINTS, Rounding, divide

LIABILITY = "Contract liability: loyalty points"
REVENUE = "Revenue"
ADJUSTMENTS = "Loyalty programme expense"

MIN_MATURED_POINTS = 1_000
"""Breakage is estimated only from at least this many points past their expiry date..."""
MIN_MATURED_MEMBERS = 30
"""...held by at least this many members: fewer, and a handful of members' habits make the
share (6 points of one member expired unspent read as 100 % breakage)."""


def breakage_bp(*, matured_points: int, unspent_points: int) -> int | None:
    """Share of matured points that expired unspent; None before any point has matured."""
    return share_bp(unspent_points, matured_points)


def enough_history(*, matured_points: int, matured_members: int) -> bool:
    """Whether enough points have matured, among enough members, for their breakage to
    stand for the outstanding points'."""
    return matured_points >= MIN_MATURED_POINTS and matured_members >= MIN_MATURED_MEMBERS


def expected_cost(outstanding_minor: int, breakage: int | None) -> int:
    """What the outstanding points are expected to cost once breakage takes its share."""
    if breakage is None:
        return outstanding_minor
    return divide(outstanding_minor * (BASIS_POINTS - breakage), BASIS_POINTS, Rounding.HALF_UP)


@dataclass(frozen=True, kw_only=True)
class PointsMonth:
    """One month of point movements on members' accounts (``opening + issued - redeemed -
    expired + other == closing``; ``other``: manual adjustments, merges, debts)."""

    month: date
    opening_points: int
    issued_points: int
    redeemed_points: int
    expired_points: int
    closing_points: int

    @property
    def other_points(self) -> int:
        return (self.closing_points - self.opening_points - self.issued_points
                + self.redeemed_points + self.expired_points)


@dataclass(frozen=True, kw_only=True)
class ValuedMonth:
    month: date
    opening_minor: int
    deferred_minor: int
    """Points issued: revenue deferred."""
    released_redeemed_minor: int
    released_expired_minor: int
    """Breakage recognised as revenue."""
    other_minor: int
    closing_minor: int


def value(month: PointsMonth, point_value_minor: int) -> ValuedMonth:
    v = point_value_minor
    return ValuedMonth(month=month.month, opening_minor=month.opening_points * v,
                       deferred_minor=month.issued_points * v,
                       released_redeemed_minor=month.redeemed_points * v,
                       released_expired_minor=month.expired_points * v,
                       other_minor=month.other_points * v,
                       closing_minor=month.closing_points * v)


@dataclass(frozen=True, kw_only=True)
class JournalLine:
    day: date
    account: str
    debit_minor: int
    credit_minor: int
    memo: str


def _pair(day: date, amount: int, debit: str, credit: str, memo: str) -> list[JournalLine]:
    if amount < 0:
        amount, debit, credit = -amount, credit, debit
    if amount == 0:
        return []
    return [JournalLine(day=day, account=debit, debit_minor=amount, credit_minor=0, memo=memo),
            JournalLine(day=day, account=credit, debit_minor=0, credit_minor=amount, memo=memo)]


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def journal(months: list[ValuedMonth]) -> list[JournalLine]:
    """Balanced lines, dated each month's last day: revenue deferred for points issued,
    released for points redeemed and expired, and the expense of points given by hand."""
    lines: list[JournalLine] = []
    for m in months:
        day = month_end(m.month)
        lines += _pair(day, m.deferred_minor, REVENUE, LIABILITY, "points issued")
        lines += _pair(day, m.released_redeemed_minor, LIABILITY, REVENUE, "points redeemed")
        lines += _pair(day, m.released_expired_minor, LIABILITY, REVENUE,
                       "points expired (breakage)")
        lines += _pair(day, m.other_minor, ADJUSTMENTS, LIABILITY, "points adjusted")
    return lines
