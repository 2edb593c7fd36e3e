"""Uplift with confidence: ``/v1/admin/analytics/uplift`` (a targeted promotion's test group
against its control group; the holdout against everyone else) and ``/v1/admin/experiments``
(A/B tests between promotions, their sample size and results, and the holdout share).

Reads take the ``analytics`` scope; starting or stopping an experiment and setting the
holdout take ``admin``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from regulars import errors
from regulars.api.analytics import PeriodOnly
from regulars.api.deps import ISO_DAY, Owner, PathId, Reader, RuntimeDep, query_day
from regulars.api.errors_doc import responses
from regulars.api.uplift_schemas import (
    ExperimentIn,
    ExperimentOut,
    ExperimentResultsOut,
    HoldoutIn,
    HoldoutOut,
    HoldoutResultsOut,
    PromotionUpliftOut,
    SampleSizeOut,
)
from regulars.services.analytics import experiments as results
from regulars.services.analytics import uplift
from regulars.services.audit import audit
from regulars.services.promotions import experiments

router = APIRouter(prefix="/v1/admin/analytics/uplift", tags=["analytics"])
experiments_router = APIRouter(prefix="/v1/admin/experiments", tags=["admin"])
NF = responses(errors.NotFound)
ExtraDays = Annotated[int, Query(ge=0, le=uplift.MAX_EXTRA_DAYS)]


@router.get("/promotions/{promotion_id}", response_model=PromotionUpliftOut,
            responses=responses(errors.NotFound, errors.InvalidInput))
def promotion_uplift(promotion_id: PathId, owner: Reader, rt: RuntimeDep,
                     first_day: Annotated[str | None, Query(alias="from", pattern=ISO_DAY)] = None,
                     last_day: Annotated[str | None, Query(alias="to", pattern=ISO_DAY)] = None,
                     follow_up_days: ExtraDays = uplift.FOLLOW_UP_DAYS,
                     pre_days: ExtraDays = uplift.PRE_DAYS) -> uplift.PromotionUplift:
    """A targeted promotion's test group against its control group over the campaign (``from``
    .. ``to``, local days; by default its schedule, or its creation to today) and
    ``follow_up_days`` after it: spend, visits and the share who bought per member, with
    the pre-period (``pre_days`` before) as balance check and CUPED covariate, and the
    campaign's return."""
    first: date | None = query_day(first_day, "from")
    return uplift.promotion_uplift(rt, owner.tenant_id, promotion_id, first_day=first,
                                   last_day=query_day(last_day, "to"),
                                   follow_up_days=follow_up_days, pre_days=pre_days)


@router.get("/holdout", response_model=HoldoutResultsOut,
            responses=responses(errors.InvalidInput))
def holdout_uplift(period: PeriodOnly, owner: Reader,
                   rt: RuntimeDep) -> results.HoldoutResults:
    """Everyone else against the held-out members over the period: the uplift of all the
    marketing together."""
    return results.holdout_for_period(rt, owner.tenant_id, period)


@experiments_router.get("/holdout", response_model=HoldoutOut)
def get_holdout(owner: Reader, rt: RuntimeDep) -> experiments.Holdout:
    """The share of members (basis points) who get no marketing promotions or messages."""
    return experiments.holdout(rt, owner.tenant_id)


@experiments_router.put("/holdout", response_model=HoldoutOut,
                        responses=responses(errors.InvalidInput))
def put_holdout(body: HoldoutIn, owner: Owner, rt: RuntimeDep) -> experiments.Holdout:
    """Set the holdout share, at most 5000 (half the members)."""
    return experiments.set_holdout(rt, owner.tenant_id, body.share_bp,
                                   actor=audit.key(owner.key_id))


@experiments_router.get("/sample-size", response_model=SampleSizeOut,
                        responses=responses(errors.InvalidInput))
def sample_size(owner: Reader, rt: RuntimeDep,
                effect_minor: Annotated[int, Query(ge=1, le=10**12)],
                sd_minor: Annotated[int | None, Query(ge=1, le=10**12)] = None,
                power_bp: Annotated[int, Query(ge=5000, le=9900)] = 8000,
                variants: Annotated[int, Query(ge=2, le=10)] = 2) -> results.SampleSize:
    """Members per variant to find a change of ``effect_minor`` in spend per member, with
    ``power_bp`` power; without ``sd_minor`` the spread of members' spend over the last 28
    days is used."""
    return results.sample_size(rt, owner.tenant_id, effect_minor=effect_minor,
                               sd_minor=sd_minor, power_bp=power_bp, variants=variants)


@experiments_router.post("", response_model=ExperimentOut, status_code=201,
                         responses=responses(errors.InvalidInput))
def create_experiment(body: ExperimentIn, owner: Owner,
                      rt: RuntimeDep) -> experiments.ExperimentView:
    """Start an experiment: from now each member gets only their variant's promotion."""
    return experiments.create(rt, owner.tenant_id, body.to_draft(), actor=audit.key(owner.key_id))


@experiments_router.get("", response_model=list[ExperimentOut])
def list_experiments(owner: Reader, rt: RuntimeDep) -> list[experiments.ExperimentView]:
    return experiments.list_all(rt, owner.tenant_id)


@experiments_router.get("/{experiment_id}", response_model=ExperimentOut, responses=NF)
def get_experiment(experiment_id: PathId, owner: Reader,
                   rt: RuntimeDep) -> experiments.ExperimentView:
    return experiments.get(rt, owner.tenant_id, experiment_id)


@experiments_router.post("/{experiment_id}/stop", response_model=ExperimentOut,
                         responses=responses(errors.NotFound, errors.Conflict))
def stop_experiment(experiment_id: PathId, owner: Owner,
                    rt: RuntimeDep) -> experiments.ExperimentView:
    """Stop the experiment: every variant then applies to everyone its promotion targets."""
    return experiments.stop(rt, owner.tenant_id, experiment_id, actor=audit.key(owner.key_id))


@experiments_router.get("/{experiment_id}/results", response_model=ExperimentResultsOut,
                        responses=NF)
def experiment_results(experiment_id: PathId, owner: Reader,
                       rt: RuntimeDep) -> results.ExperimentResults:
    """Each variant against the first, with fixed and always-valid intervals; the winner only
    when its always-valid intervals against every other variant clear zero, else the
    variants that beat the first (``beats_baseline``)."""
    return results.experiment_results(rt, owner.tenant_id, experiment_id)
