"""``/v1/admin/analytics``: what the loyalty program brings, for an owner's key.

Every report takes a period: ``range`` is a preset counted in the tenant's local days
(``this_month``, ``last_30_days``, ``last_90_days``, ``last_365_days``, ``year_to_date``) or
``custom`` with ``from`` and ``to`` (inclusive, at most 3660 days); a bad range is a 422
naming ``range``, ``from`` or ``to``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from regulars import errors
from regulars.api.analytics_schemas import OverviewOut
from regulars.api.deps import Owner, QueryId, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics import figures
from regulars.services.analytics.figures import MAX_WINDOW_DAYS, Request, Windows

router = APIRouter(prefix="/v1/admin/analytics", tags=["analytics"])
Days = Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)]
ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _day(text: str | None, field: str) -> date | None:
    """A calendar day written ``YYYY-MM-DD`` (a number is no day: 422 naming ``field``)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise errors.InvalidInput("%(field)s: not a day (YYYY-MM-DD)", field=field,
                                  params={"field": field}) from exc


def period_request(
        range_: Annotated[Preset, Query(alias="range")] = Preset.LAST_30_DAYS,
        first_day: Annotated[str | None, Query(alias="from", pattern=ISO_DAY)] = None,
        last_day: Annotated[str | None, Query(alias="to", pattern=ISO_DAY)] = None,
        store_id: QueryId = None, staff_id: QueryId = None,
        active_days: Days = 90, repeat_days: Days = 90, at_risk_days: Days = 90,
        churn_days: Days = 180) -> Request:
    return Request(preset=range_, first_day=_day(first_day, "from"),
                   last_day=_day(last_day, "to"), store_id=store_id,
                   staff_id=staff_id,
                   windows=Windows(active_days=active_days, repeat_days=repeat_days,
                                   at_risk_days=at_risk_days, churn_days=churn_days))


PeriodRequest = Annotated[Request, Depends(period_request)]


@router.get("/overview", response_model=OverviewOut,
            responses=responses(errors.InvalidInput, errors.NotFound))
def overview(request: PeriodRequest, owner: Owner, rt: RuntimeDep) -> OverviewOut:
    """Sales net of refunds and voids, members and points for the period and the period
    before it, for the chain or one store (``store_id``) or cashier (``staff_id``)."""
    return OverviewOut.model_validate(figures.overview(rt, owner.tenant_id, request))
