"""Answers and bodies of uplift, experiments and the holdout: money per member in minor units
of the tenant's currency, visits per member and shares as fractions, p-values in 0..1. An
interval bound is ``null`` when the sample cannot bound it. ``verdict`` says plainly what the
interval shows: ``too_small`` (too few members to tell), ``unclear`` (it crosses zero),
``up`` or ``down``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from regulars.api.pos_schemas import Day, Out, examples
from regulars.api.schemas import Id, Strict
from regulars.services.promotions.experiments import ExperimentDraft, VariantDraft

_MONEY = {"test_mean_minor": 15000, "control_mean_minor": 12000, "difference_minor": 3000,
          "low_minor": 800, "high_minor": 5200, "p_value": 0.008, "verdict": "up"}
_RATE = {"test_mean": 1.4, "control_mean": 1.2, "difference": 0.2, "low": 0.05,
         "high": 0.35, "p_value": 0.01, "verdict": "up"}


class MoneyEstimateOut(Out):
    model_config = examples(_MONEY)
    test_mean_minor: int
    control_mean_minor: int
    difference_minor: int
    low_minor: int | None
    high_minor: int | None
    p_value: float
    verdict: str


class RateEstimateOut(Out):
    model_config = examples(_RATE)
    test_mean: float
    control_mean: float
    difference: float
    low: float | None
    high: float | None
    p_value: float
    verdict: str


class RelativeOut(Out):
    model_config = examples({"estimate": 0.25, "low": 0.06, "high": 0.44})
    estimate: float | None
    low: float | None
    high: float | None


_WINDOW: dict[str, Any] = {
    "window": "campaign", "first_day": "2026-03-10", "last_day": "2026-03-19",
    "spend": _MONEY, "spend_cuped": _MONEY, "cuped_theta": 0.8,
    "spend_relative": {"estimate": 0.25, "low": 0.06, "high": 0.44}, "visits": _RATE,
    "bought": _RATE}


class WindowUpliftOut(Out):
    """Test against control in one window; spend also with the pre-period as covariate."""

    model_config = examples(_WINDOW)
    window: str
    first_day: Day
    last_day: Day
    spend: MoneyEstimateOut
    spend_cuped: MoneyEstimateOut
    cuped_theta: float
    spend_relative: RelativeOut
    visits: RateEstimateOut
    bought: RateEstimateOut


_PRE = {"first_day": "2026-02-10", "last_day": "2026-03-09", "test_mean_minor": 9000,
        "control_mean_minor": 9100, "smd": -0.01, "p_value": 0.9, "balanced": True}
_RETURN = {"incremental_revenue_minor": 540000, "incremental_low_minor": 144000,
           "incremental_high_minor": 936000, "discount_minor": 90000, "points": 9000,
           "points_value_minor": 90000, "cashback_minor": 0, "return_minor": 450000,
           "return_low_minor": 54000,
           "return_high_minor": 846000, "verdict": "up"}


class PreBalanceOut(Out):
    model_config = examples(_PRE)
    first_day: Day
    last_day: Day
    test_mean_minor: int
    control_mean_minor: int
    smd: float
    p_value: float
    balanced: bool


class CampaignReturnOut(Out):
    """Incremental spend of the test group less the value of the points the promotion gave
    and the cashback it credited (its discounts already lower what members paid)."""

    model_config = examples(_RETURN)
    incremental_revenue_minor: int
    incremental_low_minor: int | None
    incremental_high_minor: int | None
    discount_minor: int
    points: int
    points_value_minor: int
    cashback_minor: int
    return_minor: int
    return_low_minor: int | None
    return_high_minor: int | None
    verdict: str


class PromotionUpliftOut(Out):
    model_config = examples({
        "promotion_id": 7, "name": "Bonus week", "currency": "RUB", "control_share_bp": 1000,
        "test_members": 180, "control_members": 20, "too_small": False,
        "pre": _PRE, "windows": [_WINDOW], "campaign_return": _RETURN})
    promotion_id: int
    name: str
    currency: str
    control_share_bp: int
    test_members: int
    control_members: int
    too_small: bool
    pre: PreBalanceOut
    windows: list[WindowUpliftOut]
    campaign_return: CampaignReturnOut


# Experiments ------------------------------------------------------------------------------------

class VariantIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    promotion_id: Id


class ExperimentIn(Strict):
    """Two to ten variants, each an active promotion that is in no other experiment; the
    first is the baseline the others are read against."""

    model_config = {**Strict.model_config, "json_schema_extra": {"examples": [
        {"name": "5 % or 10 % off", "variants": [{"name": "5 %", "promotion_id": 3},
                                                  {"name": "10 %", "promotion_id": 4}]}]}}
    name: Annotated[str, Field(min_length=1, max_length=200)]
    variants: Annotated[list[VariantIn], Field(min_length=2, max_length=10)]

    def to_draft(self) -> ExperimentDraft:
        return ExperimentDraft(name=self.name, variants=tuple(
            VariantDraft(name=v.name, promotion_id=v.promotion_id) for v in self.variants))


class VariantOut(Out):
    model_config = examples({"position": 0, "name": "5 %", "promotion_id": 3})
    position: int
    name: str
    promotion_id: int


_EXPERIMENT = {"id": 1, "name": "5 % or 10 % off", "status": "running",
               "started_at": "2026-03-01T09:00:00Z", "stopped_at": None,
               "variants": [{"position": 0, "name": "5 %", "promotion_id": 3},
                            {"position": 1, "name": "10 %", "promotion_id": 4}]}


class ExperimentOut(Out):
    model_config = examples(_EXPERIMENT)
    id: int
    name: str
    status: str
    started_at: datetime
    stopped_at: datetime | None
    variants: list[VariantOut]


class VariantResultOut(Out):
    model_config = examples({"position": 1, "name": "10 %", "promotion_id": 4,
                             "members": 1520, "spend_mean_minor": 15300, "visits_mean": 1.7,
                             "against_baseline": _MONEY, "always_valid": _MONEY})
    position: int
    name: str
    promotion_id: int
    members: int
    spend_mean_minor: int
    visits_mean: float
    against_baseline: MoneyEstimateOut | None
    always_valid: MoneyEstimateOut | None


class ExperimentResultsOut(Out):
    """Each variant against the first. Every pair of variants is compared by an always-valid
    interval at 5 % / (k(k − 1)/2), k the number of variants; ``winner_position`` only when
    one variant's intervals against every other clear zero (``verdict`` ``winner``).
    ``beats_baseline`` lists the positions whose interval against the first clears zero: when
    some do but none is shown above all the others, ``verdict`` is ``no_best_yet``; else
    ``no_winner_yet``, or ``too_small`` (and the list empty) while a variant has fewer than 30
    members."""

    model_config = examples({"experiment": _EXPERIMENT, "currency": "RUB",
                             "since": "2026-03-01T09:00:00Z",
                             "until": "2026-03-20T09:00:00Z", "variants": [],
                             "winner_position": None, "beats_baseline": [],
                             "verdict": "no_winner_yet"})
    experiment: ExperimentOut
    currency: str
    since: datetime
    until: datetime
    variants: list[VariantResultOut]
    winner_position: int | None
    beats_baseline: list[int]
    verdict: str


class SampleSizeOut(Out):
    model_config = examples({"per_arm": 64, "total": 128, "per_arm_always_valid": 124,
                             "effect_minor": 500, "sd_minor": 1000, "power_bp": 8000,
                             "variants": 2})
    per_arm: int | None
    """Members per variant for a test read once, at the end; ``null``: more than ten million
    members per arm would be needed."""
    total: int | None
    per_arm_always_valid: int | None
    """Members per variant for the always-valid interval the winner is named by (which may be
    looked at every day) to find the effect with the power asked for; ``null`` as above."""
    effect_minor: int
    sd_minor: int
    power_bp: int
    variants: int


class HoldoutIn(Strict):
    share_bp: Annotated[int, Field(ge=0, le=5000)]


class HoldoutOut(Out):
    model_config = examples({"share_bp": 500})
    share_bp: int


class HoldoutResultsOut(Out):
    """Everyone else (``test``) against the held-out members (``control``)."""

    model_config = examples({"currency": "RUB", "share_bp": 500,
                             "since": "2026-03-01T00:00:00Z", "until": "2026-04-01T00:00:00Z",
                             "held_out": 51, "rest": 949, "spend": _MONEY, "visits": _RATE,
                             "bought": _RATE})
    currency: str
    share_bp: int
    since: datetime
    until: datetime
    held_out: int
    rest: int
    spend: MoneyEstimateOut
    visits: RateEstimateOut
    bought: RateEstimateOut
