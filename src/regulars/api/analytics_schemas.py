"""Answers of ``/v1/admin/analytics``: figures in minor units of the tenant's currency,
shares in basis points, per-member and per-receipt counts in thousandths."""

from __future__ import annotations

from typing import Any

from regulars.api.pos_schemas import Day, Out, examples

_SALES = {"receipts": 4, "member_receipts": 3, "anonymous_receipts": 1,
          "revenue_minor": 38000, "discount_minor": 0, "reward_cost_minor": 1000,
          "average_minor": 9500, "member_average_minor": 11000,
          "anonymous_average_minor": 5000, "member_uplift_minor": 6000,
          "items_per_receipt_milli": 1250, "identified_share_bp": 7500}
_MEMBERS = {"new": 2, "active": 2, "visits_per_active_milli": 2000, "first_time_buyers": 1,
            "repeat_rate_bp": 0, "at_risk": 0, "churned": 0}
_POINTS = {"issued": 1140, "redeemed": 10, "expired": 0, "redemption_rate_bp": 88,
           "reward_cost_share_bp": 263}
_FIGURES: dict[str, Any] = {"first_day": "2026-03-01", "last_day": "2026-03-02",
                            "sales": _SALES, "members": _MEMBERS, "points": _POINTS}


class SalesOut(Out):
    model_config = examples(_SALES)
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
    items_per_receipt_milli: int | None
    identified_share_bp: int | None


class MemberFiguresOut(Out):
    model_config = examples(_MEMBERS)
    new: int
    active: int
    visits_per_active_milli: int | None
    first_time_buyers: int
    repeat_rate_bp: int | None
    at_risk: int
    churned: int


class PointsFiguresOut(Out):
    model_config = examples(_POINTS)
    issued: int
    redeemed: int
    expired: int
    redemption_rate_bp: int | None
    reward_cost_share_bp: int | None


class FiguresOut(Out):
    model_config = examples(_FIGURES)
    first_day: Day
    last_day: Day
    sales: SalesOut
    members: MemberFiguresOut
    points: PointsFiguresOut


class WindowsOut(Out):
    active_days: int
    repeat_days: int
    at_risk_days: int
    churn_days: int


class BucketOut(Out):
    first_day: Day
    member_receipts: int
    anonymous_receipts: int
    revenue_minor: int


class OverviewOut(Out):
    """The period's figures (``current``), the period before of equal length (``previous``)
    and the period's sales in bars (days up to 62 days, then weeks, then months)."""

    model_config = examples({
        "currency": "RUB", "timezone": "Europe/Moscow", "store_id": None, "staff_id": None,
        "windows": {"active_days": 90, "repeat_days": 90, "at_risk_days": 90,
                    "churn_days": 180},
        "current": _FIGURES,
        "previous": {**_FIGURES, "first_day": "2026-02-27", "last_day": "2026-02-28"},
        "series": [{"first_day": "2026-03-01", "member_receipts": 1, "anonymous_receipts": 0,
                    "revenue_minor": 4000}]})
    currency: str
    timezone: str
    store_id: int | None
    staff_id: int | None
    windows: WindowsOut
    current: FiguresOut
    previous: FiguresOut
    series: list[BucketOut]
