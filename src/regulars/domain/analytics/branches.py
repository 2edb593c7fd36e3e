"""Figures per store and per cashier, ranked: the share of receipts with a member first (what
a till's staff most influence), then the number of receipts."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.domain.analytics.figures import average, share_bp


@dataclass(frozen=True, kw_only=True)
class Counts:
    receipts: int = 0
    member_receipts: int = 0
    revenue_minor: int = 0
    member_revenue_minor: int = 0
    redemptions: int = 0
    """Receipts on which points were spent."""
    refunds: int = 0
    """Refunds made in the period of the store's or cashier's receipts."""
    refunded_minor: int = 0
    adjustments: int = 0
    """Manual adjustments of points made by the store's or cashier's staff."""
    adjusted_points: int = 0
    enrolments: int = 0
    """Members who joined at the store, or whom the cashier enrolled."""
    active_members: int = 0
    """Members with a net receipt of the store's or cashier's: a sum of them counts a member
    who bought at two stores twice (the chain's is counted on its own)."""

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{name: getattr(self, name) + getattr(other, name)
                         for name in self.__dataclass_fields__})


@dataclass(frozen=True, kw_only=True)
class BranchFigures:
    counts: Counts
    identified_share_bp: int | None
    average_minor: int | None
    member_average_minor: int | None


def figures_of(counts: Counts) -> BranchFigures:
    return BranchFigures(counts=counts,
                         identified_share_bp=share_bp(counts.member_receipts, counts.receipts),
                         average_minor=average(counts.revenue_minor, counts.receipts),
                         member_average_minor=average(counts.member_revenue_minor,
                                                      counts.member_receipts))


def rank_key(figures: BranchFigures) -> tuple[int, int]:
    """Sort key: best first."""
    share = figures.identified_share_bp
    return (-(share if share is not None else -1), -figures.counts.receipts)
