"""Request bodies of the marketing API: promotions with their effects, schedule, limits and
budget; segments; coupon series. Strict pydantic models, as in :mod:`regulars.api.schemas`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from regulars.api.schemas import Id, IsoDate, NonNegative, Strict, Text64
from regulars.domain.money import Rounding
from regulars.domain.promotions.budgets import Limits
from regulars.domain.promotions.budgets import Period as UsePeriod
from regulars.domain.promotions.promotions import (
    BonusPoints,
    Cashback,
    CashbackOn,
    CheapestFree,
    Effect,
    FixedDiscount,
    GiftWithPurchase,
    IssueCoupon,
    PercentDiscount,
    PointsMultiplier,
    PointsPercent,
    Schedule,
    SetPrice,
    Stacking,
    VolumeStep,
    VolumeSteps,
)
from regulars.services.promotions.coupons import SeriesDraft
from regulars.services.promotions.promotions import Draft
from regulars.services.promotions.segments import Draft as SegmentDraft
from regulars.services.promotions.segments import rule_of

# Promotions -------------------------------------------------------------------------------------

Codes = Annotated[list[Text64], Field(max_length=500)]
RateBp = Annotated[int, Field(ge=1, le=10_000)]


class _Match(Strict):
    categories: Codes = []
    skus: Codes = []


class PercentDiscountIn(_Match):
    kind: Literal["percent_discount"]
    rate_bp: RateBp

    def to_effect(self) -> Effect:
        return PercentDiscount(rate_bp=self.rate_bp, categories=frozenset(self.categories),
                               skus=frozenset(self.skus))


class FixedDiscountIn(_Match):
    kind: Literal["fixed_discount"]
    amount_minor: Annotated[int, Field(ge=1, le=10**15)]

    def to_effect(self) -> Effect:
        return FixedDiscount(amount_minor=self.amount_minor,
                             categories=frozenset(self.categories), skus=frozenset(self.skus))


class SetPriceIn(_Match):
    kind: Literal["set_price"]
    unit_price_minor: NonNegative

    def to_effect(self) -> Effect:
        return SetPrice(unit_price_minor=self.unit_price_minor,
                        categories=frozenset(self.categories), skus=frozenset(self.skus))


class BonusPointsIn(Strict):
    kind: Literal["bonus_points"]
    points: Annotated[int, Field(ge=1, le=10**9)]

    def to_effect(self) -> Effect:
        return BonusPoints(points=self.points)


class PointsPercentIn(Strict):
    kind: Literal["points_percent"]
    rate_bp: RateBp

    def to_effect(self) -> Effect:
        return PointsPercent(rate_bp=self.rate_bp)


class PointsMultiplierIn(Strict):
    kind: Literal["points_multiplier"]
    factor_percent: Annotated[int, Field(ge=101, le=10_000)]

    def to_effect(self) -> Effect:
        return PointsMultiplier(factor_percent=self.factor_percent)


class CheapestFreeIn(_Match):
    kind: Literal["cheapest_free"]
    every_n: Annotated[int, Field(ge=2, le=1000)]

    def to_effect(self) -> Effect:
        return CheapestFree(every_n=self.every_n, categories=frozenset(self.categories),
                            skus=frozenset(self.skus))


class VolumeStepIn(Strict):
    from_milli: Annotated[int, Field(ge=1, le=10**12)]
    rate_bp: RateBp


class VolumeStepsIn(_Match):
    kind: Literal["volume_steps"]
    steps: Annotated[list[VolumeStepIn], Field(min_length=1, max_length=20)]

    def to_effect(self) -> Effect:
        return VolumeSteps(steps=tuple(VolumeStep(from_milli=s.from_milli, rate_bp=s.rate_bp)
                                       for s in self.steps),
                           categories=frozenset(self.categories), skus=frozenset(self.skus))


class GiftWithPurchaseIn(_Match):
    """For every ``buy_milli`` of matching quantity (3000: three items), one unit of
    ``gift_sku`` already in the basket is free, at most ``max_gifts`` per receipt."""

    kind: Literal["gift_with_purchase"]
    gift_sku: Text64
    buy_milli: Annotated[int, Field(ge=1, le=10**12)]
    max_gifts: Annotated[int, Field(ge=1, le=1000)] | None = None

    def to_effect(self) -> Effect:
        return GiftWithPurchase(gift_sku=self.gift_sku, buy_milli=self.buy_milli,
                                max_gifts=self.max_gifts,
                                categories=frozenset(self.categories), skus=frozenset(self.skus))


class IssueCouponIn(Strict):
    """At commit, a code of coupon series ``series_id`` is issued to the receipt's member."""

    kind: Literal["issue_coupon"]
    series_id: Id

    def to_effect(self) -> Effect:
        return IssueCoupon(series_id=self.series_id)


class CashbackIn(_Match):
    """``rate_bp`` of the matching lines (``basis``: what is left to pay on them at the
    promotion's turn, or its part that earns points) returned as money into the member's
    wallet at commit, rounded once per receipt by ``rounding``, at most ``max_minor`` per
    receipt (null: no cap). Members only (the wallet is opened by the first cashback); less
    the share of the receipt paid from the wallet or with prepaid goods; counted against the
    promotion's money budget and caps; taken back in proportion by refunds."""

    kind: Literal["cashback"]
    rate_bp: RateBp
    basis: Literal["paid", "earn_basis"] = "paid"
    rounding: Literal["floor", "half_up", "half_even", "ceiling"] = "floor"
    max_minor: Annotated[int, Field(ge=1, le=10**12)] | None = None

    def to_effect(self) -> Effect:
        return Cashback(rate_bp=self.rate_bp, basis=CashbackOn(self.basis),
                        rounding=Rounding(self.rounding), max_minor=self.max_minor,
                        categories=frozenset(self.categories), skus=frozenset(self.skus))


EffectIn = Annotated[
    PercentDiscountIn | FixedDiscountIn | SetPriceIn | BonusPointsIn | PointsPercentIn
    | PointsMultiplierIn | CheapestFreeIn | VolumeStepsIn | GiftWithPurchaseIn
    | IssueCouponIn | CashbackIn,
    Field(discriminator="kind")]
# A coupon's own effect: any but issuing another coupon.
CouponEffectIn = Annotated[
    PercentDiscountIn | FixedDiscountIn | SetPriceIn | BonusPointsIn | PointsPercentIn
    | PointsMultiplierIn | CheapestFreeIn | VolumeStepsIn | GiftWithPurchaseIn,
    Field(discriminator="kind")]


class ScheduleIn(Strict):
    """Local dates (inclusive), ISO weekdays (1 = Monday; empty: every day), and hours
    ``hour_from <= h < hour_to`` (a window with ``hour_from > hour_to`` crosses midnight)."""

    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None
    weekdays: Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(max_length=7)] = []
    hour_from: Annotated[int, Field(ge=0, le=23)] = 0
    hour_to: Annotated[int, Field(ge=1, le=24)] = 24

    def to_schedule(self) -> Schedule:
        return Schedule(starts_on=self.starts_on, ends_on=self.ends_on,
                        weekdays=frozenset(self.weekdays), hour_from=self.hour_from,
                        hour_to=self.hour_to)


Cap = Annotated[int, Field(ge=1, le=10**15)]


class LimitsIn(Strict):
    """A promotion's budget over its life (money off and/or points), its caps per member
    over its life, and its uses per member per local day and per week or calendar month;
    null: no limit. A promotion with a per-member limit never applies to anonymous
    receipts."""

    budget_minor: Cap | None = None
    budget_points: Cap | None = None
    member_minor: Cap | None = None
    member_points: Cap | None = None
    uses_per_day: Cap | None = None
    uses_per_period: Cap | None = None
    period: Literal["week", "month"] = "month"

    def to_limits(self) -> Limits:
        return Limits(budget_minor=self.budget_minor, budget_points=self.budget_points,
                      member_minor=self.member_minor, member_points=self.member_points,
                      uses_per_day=self.uses_per_day, uses_per_period=self.uses_per_period,
                      period=UsePeriod(self.period))


class BudgetIn(Strict):
    """The tenant's monthly loyalty budget (null: none, nothing capped) and its split in
    basis points between the base scheme, mass and targeted promotions (adding up to
    10000). Only the mass share is enforced: mass promotions stop when it is spent."""

    total_minor: Annotated[int, Field(ge=0, le=10**15)] | None
    base_bp: Annotated[int, Field(ge=0, le=10_000)] = 5000
    mass_bp: Annotated[int, Field(ge=0, le=10_000)] = 2500
    targeted_bp: Annotated[int, Field(ge=0, le=10_000)] = 2500


class PromotionIn(Strict):
    """A promotion, whole: creating one saves version 1, changing it saves the next."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    condition: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        default="true", description="CEL over basket, member, store and time; at most 2000 "
                                    "characters")
    effects: Annotated[list[EffectIn], Field(min_length=1, max_length=10)]
    stacking: Literal["exclusive", "best_of", "stackable"] = "stackable"
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
    schedule: ScheduleIn = ScheduleIn()
    store_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)] | None = None
    limits: LimitsIn = LimitsIn()
    segment_id: Id | None = Field(
        default=None, description="Only members in this segment at quote/commit time get the "
                                  "promotion, and it draws from the targeted budget bucket")
    control_share_bp: Annotated[int, Field(ge=0, le=5000)] = Field(
        default=0, description="Basis points of the segment held back as a control group: "
                               "they are eligible but never get the promotion (needs "
                               "segment_id)")

    @model_validator(mode="after")
    def _check(self) -> PromotionIn:
        try:
            self.schedule.to_schedule()
            for effect in self.effects:
                effect.to_effect()
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def to_draft(self) -> Draft:
        return Draft(name=self.name, condition=self.condition,
                     effects=tuple(e.to_effect() for e in self.effects),
                     stacking=Stacking(self.stacking), priority=self.priority,
                     schedule=self.schedule.to_schedule(),
                     store_ids=None if self.store_ids is None else frozenset(self.store_ids),
                     limits=self.limits.to_limits(), segment_id=self.segment_id,
                     control_share_bp=self.control_share_bp)


# Segments ---------------------------------------------------------------------------------------

class SegmentIn(Strict):
    """A segment: a name and rules that must all hold. Each rule is ``{"kind": ...}`` with
    that kind's fields: ``recency`` (compare le|ge, days), ``frequency`` (compare, days,
    count), ``spend`` (compare, days, amount_minor), ``store_share`` (store_id, days,
    min_percent), ``tags`` (match any|all, tags), ``profile`` (field, value), ``birthday``,
    ``consent`` (values), ``level`` (levels: codes or names), ``rfm`` (groups: RFM groups
    among champions, loyal, potential_loyalist, new, promising, need_attention,
    about_to_sleep, at_risk, cannot_lose, hibernating, lost; scored as the CLV report does
    on the purchases up to yesterday)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    rules: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _check(self) -> SegmentIn:
        self.to_draft()
        return self

    def to_draft(self) -> SegmentDraft:
        return SegmentDraft(name=self.name, rules=tuple(rule_of(r) for r in self.rules))


# Coupons ----------------------------------------------------------------------------------------

class CouponSeriesIn(Strict):
    """A coupon series: one effect from the promotions' registry, uses per code (1: single
    use) and local validity dates, inclusive."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    effect: CouponEffectIn
    max_uses: Annotated[int, Field(ge=1, le=10**6)] = 1
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None

    @model_validator(mode="after")
    def _check(self) -> CouponSeriesIn:
        try:
            self.effect.to_effect()
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self

    def to_draft(self) -> SeriesDraft:
        return SeriesDraft(name=self.name, effect=self.effect.to_effect(),
                           max_uses=self.max_uses, starts_on=self.starts_on,
                           ends_on=self.ends_on)


class CouponCodesIn(Strict):
    count: Annotated[int, Field(ge=1, le=100_000)]
    member_id: Id | None = Field(default=None, description="bind every code to this member")
