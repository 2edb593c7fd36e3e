"""Answers of ``/v1/admin/analytics``: figures in minor units of the tenant's currency,
shares in basis points, per-member and per-receipt counts in thousandths."""

from __future__ import annotations

from typing import Any

from pydantic import Field

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


class PeriodPointsOut(PointsFiguresOut):
    first_day: Day
    last_day: Day


class PointsOut(Out):
    """Points issued, redeemed and expired in the period and the period before."""

    model_config = examples({"currency": "RUB", "current": {**_POINTS, "first_day": "2026-03-01",
                                                            "last_day": "2026-03-02"},
                             "previous": {**_POINTS, "first_day": "2026-02-27",
                                          "last_day": "2026-02-28"}})
    currency: str
    current: PeriodPointsOut
    previous: PeriodPointsOut


class CohortOut(Out):
    month: Day
    members: int
    active: list[int]
    shares_bp: list[int | None]


class CohortsOut(Out):
    """Members by the month they joined (within the period) and the share of each who
    bought in each later month; the curve is that share by months since joining."""

    model_config = examples({
        "first_day": "2026-01-01", "last_day": "2026-03-31",
        "months": ["2026-01-01", "2026-02-01", "2026-03-01"],
        "cohorts": [{"month": "2026-01-01", "members": 2, "active": [1, 1, 1],
                     "shares_bp": [5000, 5000, 5000]},
                    {"month": "2026-02-01", "members": 1, "active": [1, 1],
                     "shares_bp": [10000, 10000]}],
        "curve_bp": [6667, 6667, 5000]})
    first_day: Day
    last_day: Day
    months: list[Day]
    cohorts: list[CohortOut]
    curve_bp: list[int | None]


class ExpiryBucketOut(Out):
    month: Day | None
    kind: str
    points: int
    value_minor: int


class PointsMonthOut(Out):
    month: Day
    opening_points: int
    issued_points: int
    redeemed_points: int
    expired_points: int
    other_points: int
    closing_points: int


class ValuedMonthOut(Out):
    month: Day
    opening_minor: int
    deferred_minor: int
    released_redeemed_minor: int
    released_expired_minor: int
    other_minor: int
    closing_minor: int


class LiabilityMonthOut(Out):
    points: PointsMonthOut
    money: ValuedMonthOut


_MONTH = {"points": {"month": "2026-01-01", "opening_points": 0, "issued_points": 39,
                     "redeemed_points": 5, "expired_points": 0, "other_points": 0,
                     "closing_points": 34},
          "money": {"month": "2026-01-01", "opening_minor": 0, "deferred_minor": 3900,
                    "released_redeemed_minor": 500, "released_expired_minor": 0,
                    "other_minor": 0, "closing_minor": 3400}}


class LiabilityOut(Out):
    """Points members hold now, valued at the current point value, by the month they
    expire; breakage (share of matured points that expired unspent) and the expected cost
    (``enough_history`` false: too few matured points, fewer than 1,000 or of fewer than 30
    members, for breakage to count, and the cost values every outstanding point);
    and the liability's months over the period (IFRS 15: issued points defer revenue,
    redeemed and expired points release it)."""

    model_config = examples({
        "currency": "RUB", "point_value_minor": 100, "outstanding_points": 29,
        "outstanding_minor": 2900, "matured_points": 39, "matured_unspent_points": 34,
        "matured_members": 2, "breakage_bp": 8718, "enough_history": False,
        "expected_cost_minor": 2900,
        "by_expiry": [{"month": "2026-03-01", "kind": "month", "points": 9,
                       "value_minor": 900},
                      {"month": None, "kind": "never", "points": 0, "value_minor": 0}],
        "first_day": "2026-01-01", "last_day": "2026-01-31", "months": [_MONTH]})
    currency: str
    point_value_minor: int
    outstanding_points: int
    outstanding_minor: int
    matured_points: int
    matured_unspent_points: int
    matured_members: int
    breakage_bp: int | None
    enough_history: bool
    expected_cost_minor: int
    by_expiry: list[ExpiryBucketOut]
    first_day: Day
    last_day: Day
    months: list[LiabilityMonthOut]


class JournalLineOut(Out):
    model_config = examples({"day": "2026-01-31", "account": "Revenue", "debit_minor": 3900,
                             "credit_minor": 0, "memo": "points issued"})
    day: Day
    account: str
    debit_minor: int
    credit_minor: int
    memo: str


class CountsOut(Out):
    receipts: int
    member_receipts: int
    revenue_minor: int
    member_revenue_minor: int
    redemptions: int
    refunds: int
    refunded_minor: int
    adjustments: int
    adjusted_points: int
    enrolments: int
    active_members: int = Field(
        description="members with a net receipt of the store's or cashier's in the period "
                    "(the chain's: each member once)")


class BranchFiguresOut(Out):
    counts: CountsOut
    identified_share_bp: int | None
    average_minor: int | None
    member_average_minor: int | None


class BranchOut(Out):
    id: int
    name: str
    rank: int
    figures: BranchFiguresOut
    store_id: int | None
    store_name: str | None
    store_identified_share_bp: int | None
    store_average_minor: int | None
    store_enrolments: int | None = Field(
        description="members the cashier's store enrolled in the period (a store: its own)")
    store_active_members: int | None = Field(
        description="members who bought at the cashier's store in the period (a store: its "
                    "own)")


_COUNTS = {"receipts": 4, "member_receipts": 2, "revenue_minor": 38000,
           "member_revenue_minor": 30000, "redemptions": 0, "refunds": 1,
           "refunded_minor": 10000, "adjustments": 1, "adjusted_points": 50, "enrolments": 2,
           "active_members": 2}
_BRANCH_FIGURES = {"counts": _COUNTS, "identified_share_bp": 5000, "average_minor": 9500,
                   "member_average_minor": 15000}


class BranchesOut(Out):
    """Stores (or cashiers) ranked by the share of receipts with a member, then receipts;
    each cashier beside their store's figure; ``chain``: the whole business. Enrolments
    count members by the store, and the cashier, who enrolled them (a cashier's only for
    members enrolled at a till that said who, or in the console)."""

    model_config = examples({
        "currency": "RUB", "first_day": "2026-03-01", "last_day": "2026-03-02",
        "chain": _BRANCH_FIGURES,
        "rows": [{"id": 1, "name": "Main street", "rank": 1, "figures": _BRANCH_FIGURES,
                  "store_id": 1, "store_name": "Main street", "store_identified_share_bp": 5000,
                  "store_average_minor": 9500, "store_enrolments": 2,
                  "store_active_members": 2}]})
    currency: str
    first_day: Day
    last_day: Day
    chain: BranchFiguresOut
    rows: list[BranchOut]


class NoCashierOut(Out):
    """What no named cashier did at a store in the period: its receipts (and their refunds)
    and manual adjustments that recorded no cashier, and the members who joined there with
    none (who registered themselves, or joined before the cashier was recorded, 0038)."""

    store_id: int
    store_name: str
    figures: BranchFiguresOut
    store_identified_share_bp: int | None
    store_average_minor: int | None
    store_enrolments: int | None
    store_active_members: int | None


class CashiersOut(BranchesOut):
    """The cashiers as ``rows`` (each a named staff member, as before), and per store in
    ``no_cashier`` what no named cashier did. A cashier's row sits under their own store
    (``store_id`` null for staff of every store) and counts what they did at any till, so a
    store's cashiers' rows and its ``no_cashier`` row add up to the store's receipts,
    revenue, redemptions, refunds and enrolments when its cashiers work at its own tills only
    (active members are a distinct count per row; manual adjustments made in the console
    belong to no store)."""

    model_config = examples({
        "currency": "RUB", "first_day": "2026-03-01", "last_day": "2026-03-02",
        "chain": _BRANCH_FIGURES, "rows": [],
        "no_cashier": [{"store_id": 1, "store_name": "Main street", "figures": _BRANCH_FIGURES,
                        "store_identified_share_bp": 5000, "store_average_minor": 9500,
                        "store_enrolments": 2, "store_active_members": 2}]})
    no_cashier: list[NoCashierOut]


_GROUP = {"members": 2, "buyers": 1, "receipts": 2, "revenue_minor": 30000,
          "discount_minor": 0, "reward_cost_minor": 0, "average_minor": 15000,
          "items_per_receipt_milli": 1000, "visits_per_buyer_milli": 2000,
          "active_share_bp": 5000, "revenue_share_bp": 7500, "points_issued": 900,
          "points_redeemed": 0}


class GroupFiguresOut(Out):
    model_config = examples(_GROUP)
    members: int = Field(description="members in the group at the period's end")
    buyers: int = Field(description="of them, those with a net receipt in the period")
    receipts: int
    revenue_minor: int
    discount_minor: int
    reward_cost_minor: int
    average_minor: int | None
    items_per_receipt_milli: int | None
    visits_per_buyer_milli: int | None
    active_share_bp: int | None = Field(description="buyers as a share of members")
    revenue_share_bp: int | None = Field(
        description="share of the whole business's revenue, anonymous receipts included")
    points_issued: int
    points_redeemed: int


class GroupRowOut(Out):
    key: str = Field(description="the level's code, or the segment's id")
    name: str
    figures: GroupFiguresOut


class BreakdownOut(Out):
    """Each level of the current program (lowest first) or each saved segment, with its
    members' figures for the period, beside all members together. Membership is taken at
    the end of ``members_at_day`` (or now, for a period that has not ended)."""

    model_config = examples({
        "currency": "RUB", "first_day": "2026-03-01", "last_day": "2026-03-31",
        "members_at_day": "2026-03-15", "all_members": _GROUP,
        "rows": [{"key": "gold", "name": "Gold", "figures": _GROUP}]})
    currency: str
    first_day: Day
    last_day: Day
    members_at_day: Day
    all_members: GroupFiguresOut
    rows: list[GroupRowOut]
