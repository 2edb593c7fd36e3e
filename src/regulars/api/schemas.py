"""Request bodies of the HTTP API: strict pydantic models (no silent coercion of types)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from regulars.domain.budgets import Limits
from regulars.domain.budgets import Period as UsePeriod
from regulars.domain.engine import QUANTITY_SCALE, BasketLine
from regulars.domain.promotions import (
    BonusPoints,
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
from regulars.domain.rewards import (
    EventRule,
    FixedReward,
    ReferralRule,
    RewardSettings,
    Trigger,
)
from regulars.domain.rewards import Period as RewardPeriod
from regulars.services.coupons import SeriesDraft
from regulars.services.members import MemberRef, Registration
from regulars.services.promotions import Draft
from regulars.services.segments import Draft as SegmentDraft
from regulars.services.segments import rule_of

Text64 = Annotated[str, Field(min_length=1, max_length=64)]
NonNegative = Annotated[int, Field(ge=0, le=10**15)]


def _from_iso(kind: type[date] | type[datetime]) -> Any:
    """JSON has no date type: strict validation of a request body (a parsed dict) refuses
    every string for ``date``/``datetime``. Accept ISO 8601 text, and nothing looser (no
    numbers read as Unix time)."""

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return kind.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"expected an ISO 8601 {kind.__name__}, not {value!r}") from exc
        return value

    return BeforeValidator(parse)


IsoDateTime = Annotated[datetime, _from_iso(datetime)]
IsoDate = Annotated[date, _from_iso(date)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class MemberRefIn(Strict):
    """Exactly one identifier: phone (any usual format), card number, QR token or id."""

    phone: Annotated[str, Field(max_length=40)] | None = None
    card: Annotated[str, Field(max_length=40)] | None = None
    qr: Annotated[str, Field(max_length=64)] | None = None
    id: int | None = None

    @model_validator(mode="after")
    def _one(self) -> MemberRefIn:
        given = [v for v in (self.phone, self.card, self.qr, self.id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of phone, card, qr or id")
        return self

    def to_ref(self) -> MemberRef:
        return MemberRef(phone=self.phone, card=self.card, qr=self.qr, id=self.id)


class LineIn(Strict):
    """A basket line. Give ``quantity`` (whole units) or ``quantity_milli`` (thousandths,
    e.g. 20 500 for 20.5 litres)."""

    sku: Text64
    name: Annotated[str, Field(max_length=200)] = ""
    category: Annotated[str, Field(max_length=64)] = ""
    quantity: Annotated[int, Field(gt=0, le=10**6)] | None = None
    quantity_milli: Annotated[int, Field(gt=0, le=10**9)] | None = None
    unit_price_minor: NonNegative
    discount_minor: NonNegative = 0

    @model_validator(mode="after")
    def _check(self) -> LineIn:
        if (self.quantity is None) == (self.quantity_milli is None):
            raise ValueError("give exactly one of quantity or quantity_milli")
        try:
            self.to_line()
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def to_line(self) -> BasketLine:
        milli = self.quantity_milli if self.quantity is None else self.quantity * QUANTITY_SCALE
        assert milli is not None
        return BasketLine(sku=self.sku, name=self.name, category=self.category,
                          quantity_milli=milli, unit_price_minor=self.unit_price_minor,
                          discount_minor=self.discount_minor)


class SaleIn(Strict):
    member: MemberRefIn | None = None
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    points_to_spend: NonNegative = 0
    coupons: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=10)] = Field(
        default=[], description="coupon codes as printed (case, dashes and spaces do not "
                                "matter); applied after promotions, before the program's "
                                "discount")


class QuoteIn(SaleIn):
    hold: bool = Field(default=False, description="reserve points_to_spend and a use of each "
                                                   "coupon for this till until commit")


class CommitIn(SaleIn):
    receipt_id: Text64 = Field(description="the till's own receipt number, unique per till")
    occurred_at: IsoDateTime | None = Field(
        default=None, description="when the sale happened, for a till that was offline")
    hold_id: int | None = None
    staff_id: int | None = None
    otp_code: Annotated[str, Field(max_length=12)] | None = Field(
        default=None, description="the one-time code sent to the member's phone (POST "
                                  "/v1/pos/otp), needed when points_to_spend is above the "
                                  "program's otp_above_points; not part of the idempotent "
                                  "request, so a replay needs no code")


class OtpIn(Strict):
    """The member who should get a one-time code to confirm spending points."""

    member: MemberRefIn


class RefundLineIn(Strict):
    line_no: Annotated[int, Field(ge=1)]
    quantity: Annotated[int, Field(gt=0)] | None = None
    quantity_milli: Annotated[int, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _one(self) -> RefundLineIn:
        if (self.quantity is None) == (self.quantity_milli is None):
            raise ValueError("give exactly one of quantity or quantity_milli")
        return self

    def milli(self) -> int:
        return self.quantity * QUANTITY_SCALE if self.quantity is not None else \
            int(self.quantity_milli or 0)


class RefundIn(Strict):
    """Lines and quantities to refund; leave ``lines`` out to refund everything left."""

    lines: list[RefundLineIn] | None = None


class MemberIn(Strict):
    phone: Annotated[str, Field(max_length=40)] | None = None
    card: Annotated[str, Field(max_length=40)] | None = None
    first_name: Annotated[str, Field(max_length=100)] | None = None
    last_name: Annotated[str, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    birthday: IsoDate | None = None
    consent: str = "full"
    profile: dict[str, Any] | None = None
    referrer_id: int | None = None
    referral_code: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None, description="the inviting member's code (give this or referrer_id)")
    device_token: Annotated[str, Field(min_length=8, max_length=200)] | None = Field(
        default=None, description="an app's device token: stored hashed, refuses referral "
                                  "farming from one device")

    def to_registration(self) -> Registration:
        return Registration(**self.model_dump())


class MemberPatch(Strict):
    first_name: Annotated[str, Field(max_length=100)] | None = None
    last_name: Annotated[str, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    birthday: IsoDate | None = None
    consent: str | None = None
    profile: dict[str, Any] | None = None


class CardIn(Strict):
    card: Annotated[str, Field(min_length=1, max_length=40)]


class AdjustIn(Strict):
    points: Annotated[int, Field(ge=-10**12, le=10**12)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class MergeIn(Strict):
    source_id: int
    target_id: int


class StoreIn(Strict):
    code: Text64
    name: Annotated[str, Field(min_length=1, max_length=200)]


class TerminalIn(Strict):
    store_id: int
    code: Text64
    name: Annotated[str, Field(max_length=200)] = ""


class StaffIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(max_length=254)] | None = None
    role: str
    store_id: int | None = None


class KeyIn(Strict):
    label: Annotated[str, Field(max_length=200)] = ""


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
    series_id: Annotated[int, Field(ge=1)]

    def to_effect(self) -> Effect:
        return IssueCoupon(series_id=self.series_id)


EffectIn = Annotated[
    PercentDiscountIn | FixedDiscountIn | SetPriceIn | BonusPointsIn | PointsPercentIn
    | PointsMultiplierIn | CheapestFreeIn | VolumeStepsIn | GiftWithPurchaseIn
    | IssueCouponIn,
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
    condition: Annotated[str, Field(min_length=1)] = Field(
        default="true", description="CEL over basket, member, store and time; at most 2000 "
                                    "characters")
    effects: Annotated[list[EffectIn], Field(min_length=1, max_length=10)]
    stacking: Literal["exclusive", "best_of", "stackable"] = "stackable"
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
    schedule: ScheduleIn = ScheduleIn()
    store_ids: Annotated[list[int], Field(min_length=1, max_length=1000)] | None = None
    limits: LimitsIn = LimitsIn()
    segment_id: int | None = Field(
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
    ``consent`` (values)."""

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
    member_id: int | None = Field(default=None, description="bind every code to this member")


# Rewards ----------------------------------------------------------------------------------------

Points = Annotated[int, Field(ge=0, le=10**9)]


class ReferralRuleIn(Strict):
    """Points for the inviting member and for the invited one, paid when the invited member
    registers or when their first receipt is committed. ``link_base`` makes each member's
    link ``<link_base>/r/<code>``."""

    enabled: bool = False
    referrer_points: Points = 0
    referred_points: Points = 0
    trigger: Literal["registration", "first_purchase"] = "registration"
    link_base: Annotated[str, Field(max_length=200, pattern=r"^https?://[^\s/]+(/\S*)?$")] | \
        None = None
    upper_level_points: Annotated[list[Points], Field(
        max_length=4, description="points for the referrer's own referrer (level 2), theirs "
                                  "(level 3), ...; empty: the referrer only")] = []


class FixedRewardIn(Strict):
    enabled: bool = False
    points: Points = 0


class EventRuleIn(Strict):
    """An event type: ``points`` each, at most ``limit`` rewarded events per member per
    ``period`` (calendar periods in the tenant's time zone; no ``limit``: unlimited)."""

    type: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    points: Points
    limit: Annotated[int, Field(ge=1, le=10**6)] | None = None
    period: Literal["day", "week", "month", "year", "lifetime"] = "lifetime"


class RewardSettingsIn(Strict):
    """The tenant's reward settings, whole (what is left out is off)."""

    referral: ReferralRuleIn = ReferralRuleIn()
    birthday: FixedRewardIn = FixedRewardIn()
    profile: FixedRewardIn = FixedRewardIn()
    events: Annotated[list[EventRuleIn], Field(max_length=100)] = []

    @field_validator("events")
    @classmethod
    def _unique_types(cls, events: list[EventRuleIn]) -> list[EventRuleIn]:
        types = [e.type for e in events]
        if len(set(types)) != len(types):
            raise ValueError("each event type may be configured once")
        return events

    def to_settings(self) -> RewardSettings:
        r = self.referral
        return RewardSettings(
            referral=ReferralRule(enabled=r.enabled, referrer_points=r.referrer_points,
                                  referred_points=r.referred_points, trigger=Trigger(r.trigger),
                                  link_base=r.link_base,
                                  upper_level_points=tuple(r.upper_level_points)),
            birthday=FixedReward(enabled=self.birthday.enabled, points=self.birthday.points),
            profile=FixedReward(enabled=self.profile.enabled, points=self.profile.points),
            events=tuple(EventRule(type=e.type, points=e.points, limit=e.limit,
                                   period=RewardPeriod(e.period)) for e in self.events))


class EventIn(Strict):
    """Something a member did that the business rewards. ``event_id`` is the business's own
    id: the same id and body answer the same, the id with another body is refused (409)."""

    event_id: Annotated[str, Field(min_length=1, max_length=150)]
    member: MemberRefIn
    type: Annotated[str, Field(min_length=1, max_length=64)]
    data: dict[str, Any] = {}
