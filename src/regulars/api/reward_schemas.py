"""Request bodies of the action-rewards API: referral, birthday, profile and custom-event
rules, and posted events. Strict pydantic models, as in :mod:`regulars.api.schemas`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from regulars.api.pos_schemas import Out, examples
from regulars.api.schemas import MemberRefIn, SmallJson, Strict
from regulars.domain.rewards.rewards import (
    EventRule,
    FixedReward,
    ReferralRule,
    RewardSettings,
    Trigger,
)
from regulars.domain.rewards.rewards import Period as RewardPeriod

# Rewards ----------------------------------------------------------------------------------------

Points = Annotated[int, Field(ge=0, le=10**9)]


class ReferralRuleIn(Strict):
    """Points for the inviting member and for the invited one, paid when the invited member
    registers or when their first receipt is committed. ``link_base`` makes each member's
    link ``<link_base>/r/<code>``; Regulars serves ``/c/<tenant id>/r/<code>`` (the join page
    with the code), so ``https://<its address>/c/<tenant id>`` is a base that works as it is,
    and the customer page shows that link when no base is set."""

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
    data: SmallJson = {}


# Answers --------------------------------------------------------------------------------------

class RewardSettingsOut(Out):
    """The tenant's reward settings, whole (what ``PUT /v1/admin/rewards`` takes)."""

    model_config = examples({
        "referral": {"enabled": True, "referrer_points": 200, "referred_points": 100,
                     "trigger": "first_purchase", "link_base": None,
                     "upper_level_points": []},
        "birthday": {"enabled": True, "points": 300}, "profile": {"enabled": False, "points": 0},
        "events": [{"type": "review", "points": 50, "limit": 1, "period": "month"}]})

    referral: ReferralRule
    birthday: FixedReward
    profile: FixedReward
    events: list[EventRule]


class EventOut(Out):
    """What the event earned (``points`` 0 with a ``reason``: ``limit_reached``,
    ``no_consent`` or ``no_points``), the type's limit and period, the member's rewarded events
    of the period so far and their balance after. A replay answers the same."""

    model_config = examples({
        "event_id": "review-311", "type": "review", "member_id": 7, "points": 50,
        "rewarded": True, "reason": None, "limit": 1, "period": "month", "used_in_period": 1,
        "balance_points": 550})

    event_id: str
    type: str
    member_id: int
    points: int
    rewarded: bool
    reason: str | None
    limit: int | None
    period: str
    used_in_period: int
    balance_points: int
