"""Figures derived from aggregated totals: shares, averages and rates, each rounded half up to
an integer (money in minor units, shares in basis points, quantities in thousandths), and
``None`` where the denominator is zero (no receipts: no average).

The totals are net of refunds and voids: a voided or fully refunded receipt is no sale; a
partly refunded one counts with what was kept (see ``db/analytics/figures.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from regulars.domain.money import BASIS_POINTS, Rounding, divide


def share_bp(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` in basis points; None when ``whole`` is zero."""
    return divide(part * BASIS_POINTS, whole, Rounding.HALF_UP) if whole else None


def average(total: int, count: int) -> int | None:
    return divide(total, count, Rounding.HALF_UP) if count else None


@dataclass(frozen=True, kw_only=True)
class SalesTotals:
    """Net sales of one kind of receipt (with a member, or anonymous)."""

    receipts: int = 0
    revenue_minor: int = 0
    """Money paid, less money refunded."""
    discount_minor: int = 0
    reward_cost_minor: int = 0
    """What the points spent took off the bills; a catalogue reward at its stated cost."""
    items_milli: int = 0

    def __add__(self, other: SalesTotals) -> SalesTotals:
        return SalesTotals(receipts=self.receipts + other.receipts,
                           revenue_minor=self.revenue_minor + other.revenue_minor,
                           discount_minor=self.discount_minor + other.discount_minor,
                           reward_cost_minor=self.reward_cost_minor + other.reward_cost_minor,
                           items_milli=self.items_milli + other.items_milli)


@dataclass(frozen=True, kw_only=True)
class PointsTotals:
    issued: int = 0
    """Accrued (purchases, welcome, referrals, rewards), less accruals taken back by refunds."""
    redeemed: int = 0
    """Spent on receipts, less points returned by refunds."""
    expired: int = 0


@dataclass(frozen=True, kw_only=True)
class Sales:
    receipts: int
    member_receipts: int
    anonymous_receipts: int
    revenue_minor: int
    discount_minor: int
    reward_cost_minor: int
    average_minor: int | None
    member_average_minor: int | None
    anonymous_average_minor: int | None
    member_uplift_minor: int | None
    """Members' average check less anonymous receipts' (None unless both exist)."""
    items_per_receipt_milli: int | None
    identified_share_bp: int | None


def sales(members: SalesTotals, anonymous: SalesTotals) -> Sales:
    both = members + anonymous
    member_avg = average(members.revenue_minor, members.receipts)
    anonymous_avg = average(anonymous.revenue_minor, anonymous.receipts)
    return Sales(
        receipts=both.receipts, member_receipts=members.receipts,
        anonymous_receipts=anonymous.receipts, revenue_minor=both.revenue_minor,
        discount_minor=both.discount_minor, reward_cost_minor=both.reward_cost_minor,
        average_minor=average(both.revenue_minor, both.receipts),
        member_average_minor=member_avg, anonymous_average_minor=anonymous_avg,
        member_uplift_minor=(None if member_avg is None or anonymous_avg is None
                             else member_avg - anonymous_avg),
        items_per_receipt_milli=average(both.items_milli, both.receipts),
        identified_share_bp=share_bp(members.receipts, both.receipts))


@dataclass(frozen=True, kw_only=True)
class Points:
    issued: int
    redeemed: int
    expired: int
    redemption_rate_bp: int | None
    """Redeemed as a share of issued in the period."""
    reward_cost_share_bp: int | None
    """Reward cost as a share of revenue."""


def points(totals: PointsTotals, *, reward_cost_minor: int, revenue_minor: int) -> Points:
    return Points(issued=totals.issued, redeemed=totals.redeemed, expired=totals.expired,
                  redemption_rate_bp=share_bp(totals.redeemed, totals.issued),
                  reward_cost_share_bp=share_bp(reward_cost_minor, revenue_minor))
