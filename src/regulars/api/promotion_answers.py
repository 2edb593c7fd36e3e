"""Answers of ``/v1/admin/promotions``, ``/v1/admin/budget``, ``/v1/admin/coupon-series`` and
``/v1/admin/segments`` (see :mod:`regulars.api.pos_schemas` for the conventions). Effects,
schedules, limits and segment rules are answered in the form they are sent in
(:mod:`regulars.api.promotion_schemas`), each effect and rule with its ``kind``."""

from __future__ import annotations

from typing import Any

from regulars.api.pos_schemas import Day, Instant, Out, examples

_AT = "2026-03-01T12:00:00+00:00"
_EFFECT = {"kind": "percent_discount", "rate_bp": 1000, "categories": ["coffee"], "skus": []}
_LIMITS = {"budget_minor": 500000, "budget_points": None, "member_minor": None,
           "member_points": None, "uses_per_day": None, "uses_per_period": None,
           "period": "month"}
_PROMOTION: dict[str, Any] = {
    "id": 3, "version": 1, "status": "active", "name": "Coffee week",
    "condition": "basket.total_minor >= 1000", "stacking": "stackable", "priority": 0,
    "schedule": {"starts_on": "2026-03-02", "ends_on": "2026-03-08", "weekdays": [],
                 "hour_from": 0, "hour_to": 24},
    "store_ids": None, "effects": [_EFFECT], "limits": _LIMITS, "segment_id": None,
    "control_share_bp": 0, "created_at": _AT, "updated_at": _AT}


class PromotionOut(Out):
    """A promotion at its current version, with its definition as sent."""

    model_config = examples(_PROMOTION)

    id: int
    version: int
    status: str
    name: str
    condition: str
    stacking: str
    priority: int
    schedule: dict[str, Any]
    store_ids: list[int] | None
    effects: list[dict[str, Any]]
    limits: dict[str, Any]
    segment_id: int | None
    control_share_bp: int
    created_at: Instant
    updated_at: Instant


class PromotionBudgetOut(Out):
    """A promotion's caps over its life (``null``: none), what it spent and what is left."""

    budget_minor: int | None
    spent_minor: int
    remaining_minor: int | None
    budget_points: int | None
    spent_points: int
    remaining_points: int | None


class MonthFiguresOut(Out):
    """What receipts got from a promotion in a month, net of refunds, and how many:
    ``discount_minor`` off the receipts, ``points`` and ``cashback_minor`` credited to the
    members' wallets (counted in budgets and caps as a discount is, shown apart)."""

    receipts: int
    discount_minor: int
    points: int
    cashback_minor: int


class PromotionBurnOut(Out):
    """A promotion's budget over its life and this local month's figures."""

    model_config = examples({
        "id": 3, "month": "2026-03-01",
        "budget": {"budget_minor": 500000, "spent_minor": 1200, "remaining_minor": 498800,
                   "budget_points": None, "spent_points": 0, "remaining_points": None},
        "this_month": {"receipts": 4, "discount_minor": 1200, "points": 0,
                       "cashback_minor": 0}})

    id: int
    month: Day
    budget: PromotionBudgetOut
    this_month: MonthFiguresOut


class GroupsOut(Out):
    """Members recorded at commit in the promotion's test and control groups."""

    model_config = examples({"test": 180, "control": 20, "control_share_bp": 1000})

    test: int
    control: int
    control_share_bp: int


class BudgetSplitOut(Out):
    """The monthly loyalty budget (``null``: none), its shares and each bucket's cap."""

    model_config = examples({"total_minor": 100000, "base_bp": 5000, "mass_bp": 2500,
                             "targeted_bp": 2500, "caps_minor": {
                                 "base": 50000, "mass": 25000, "targeted": 25000}})

    total_minor: int | None
    base_bp: int
    mass_bp: int
    targeted_bp: int
    caps_minor: dict[str, int | None]


class BucketBurnOut(Out):
    cap_minor: int | None
    spent_minor: int
    remaining_minor: int | None
    enforced: bool


class PromotionMonthOut(MonthFiguresOut):
    id: int


class CatalogRewardsMonthOut(Out):
    """The catalogue rewards redeemed on the month's receipts and still standing: their cost
    (each reward's stated cost, else the discount it gave), the value of the points spent
    for them, and the difference, which is what ``base`` counts for them (it counted the
    points when the base scheme issued them); negative when the rewards cost less than
    their points."""

    claims: int
    cost_minor: int
    points_value_minor: int
    difference_minor: int


class BudgetBurnOut(Out):
    """This local month's spend per bucket (``base``, ``mass``, ``targeted``) and per
    promotion. The base bucket includes what the catalogue rewards cost beyond the value of
    their points, also shown apart in ``catalog_rewards``."""

    model_config = examples({
        "month": "2026-03-01",
        "buckets": {"base": {"cap_minor": 50000, "spent_minor": 900, "remaining_minor": 49100,
                             "enforced": False},
                    "mass": {"cap_minor": 25000, "spent_minor": 1200,
                             "remaining_minor": 23800, "enforced": True},
                    "targeted": {"cap_minor": 25000, "spent_minor": 0,
                                 "remaining_minor": 25000, "enforced": True}},
        "promotions": [{"id": 3, "receipts": 4, "discount_minor": 1000, "points": 0,
                        "cashback_minor": 200}],
        "catalog_rewards": {"claims": 2, "cost_minor": 180, "points_value_minor": 400,
                            "difference_minor": -220}})

    month: Day
    buckets: dict[str, BucketBurnOut]
    promotions: list[PromotionMonthOut]
    catalog_rewards: CatalogRewardsMonthOut


class CouponSeriesOut(Out):
    """A coupon series: its effect, uses per code, validity (local dates, inclusive) and how
    many codes it issued and uses they took."""

    model_config = examples({
        "id": 2, "name": "Welcome back", "effect": {"kind": "percent_discount",
                                                    "rate_bp": 1000, "categories": [],
                                                    "skus": []},
        "max_uses": 1, "starts_on": None, "ends_on": "2026-12-31", "codes_issued": 3,
        "uses": 1, "created_at": _AT})

    id: int
    name: str
    effect: dict[str, Any]
    max_uses: int
    starts_on: Day | None
    ends_on: Day | None
    codes_issued: int
    uses: int
    created_at: Instant


class CouponCodesOut(Out):
    """New codes, in this answer only (only their keyed digests are stored)."""

    model_config = examples({"series_id": 2, "member_id": None, "count": 2,
                             "codes": ["K7QM-2XPD-9TRA", "B4NC-8WLE-3HFY"]})

    series_id: int
    member_id: int | None
    count: int
    codes: list[str]


class SegmentOut(Out):
    """A saved segment, its rules as sent and how many members it holds now."""

    model_config = examples({
        "id": 4, "name": "Recent", "rules": [{"kind": "recency", "compare": "le",
                                               "days": 30}],
        "members_count": 120, "created_at": _AT, "updated_at": _AT})

    id: int
    name: str
    rules: list[dict[str, Any]]
    members_count: int
    created_at: Instant
    updated_at: Instant


class SegmentMembersOut(Out):
    """A page of the segment's member ids now, by id, and how many it holds in all."""

    model_config = examples({"total": 120, "member_ids": [7, 9, 12], "limit": 100,
                             "offset": 0})

    total: int
    member_ids: list[int]
    limit: int
    offset: int
