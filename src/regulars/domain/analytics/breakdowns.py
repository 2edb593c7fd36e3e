"""Figures of one group of members (a level, a segment, or all members) over a period, from
aggregated totals: what they bought net of refunds and voids, how often, and the points they
earned and spent. Rounded half up; ``None`` where the denominator is zero."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.domain.analytics.figures import PointsTotals, SalesTotals, average, share_bp


@dataclass(frozen=True, kw_only=True)
class GroupFigures:
    members: int
    """Members in the group at the period's end."""
    buyers: int
    """Of them, those with a net receipt in the period."""
    receipts: int
    revenue_minor: int
    discount_minor: int
    reward_cost_minor: int
    average_minor: int | None
    items_per_receipt_milli: int | None
    visits_per_buyer_milli: int | None
    active_share_bp: int | None
    """Buyers as a share of the group's members."""
    revenue_share_bp: int | None
    """The group's revenue as a share of the whole business's (anonymous receipts too)."""
    points_issued: int
    points_redeemed: int


def group_figures(sales: SalesTotals, points: PointsTotals, *, members: int, buyers: int,
                  revenue_all_minor: int) -> GroupFigures:
    return GroupFigures(
        members=members, buyers=buyers, receipts=sales.receipts,
        revenue_minor=sales.revenue_minor, discount_minor=sales.discount_minor,
        reward_cost_minor=sales.reward_cost_minor,
        average_minor=average(sales.revenue_minor, sales.receipts),
        items_per_receipt_milli=average(sales.items_milli, sales.receipts),
        visits_per_buyer_milli=average(sales.receipts * 1000, buyers),
        active_share_bp=share_bp(buyers, members),
        revenue_share_bp=share_bp(sales.revenue_minor, revenue_all_minor),
        points_issued=points.issued, points_redeemed=points.redeemed)
