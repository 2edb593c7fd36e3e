"""``/v1/admin/analytics``: what the loyalty program brings, for an owner's key.

Every report takes a period: ``range`` is a preset counted in the tenant's local days
(``this_month``, ``last_30_days``, ``last_90_days``, ``last_365_days``, ``year_to_date``) or
``custom`` with ``from`` and ``to`` (inclusive, at most 3660 days); a bad range is a 422
naming ``range``, ``from`` or ``to``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from regulars import errors
from regulars.api.analytics_schemas import (
    BranchesOut,
    BreakdownOut,
    CashiersOut,
    CohortsOut,
    JournalLineOut,
    LiabilityOut,
    OverviewOut,
    PointsOut,
)
from regulars.api.clv import OutlookQuery
from regulars.api.deps import ISO_DAY, QueryId, Reader, RuntimeDep, query_day
from regulars.api.errors_doc import responses
from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics import (
    branches,
    breakdowns,
    cohorts,
    figures,
    liability,
    tables,
)
from regulars.services.analytics.exports import MEDIA_TYPES, ExportFormat, table_chunks
from regulars.services.analytics.figures import MAX_WINDOW_DAYS, Request, Windows
from regulars.services.analytics.tables import TableName, TableRequest

router = APIRouter(prefix="/v1/admin/analytics", tags=["analytics"])
Days = Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)]


def period_only(
        range_: Annotated[Preset, Query(alias="range")] = Preset.LAST_30_DAYS,
        first_day: Annotated[str | None, Query(alias="from", pattern=ISO_DAY)] = None,
        last_day: Annotated[str | None, Query(alias="to", pattern=ISO_DAY)] = None) -> Request:
    return Request(preset=range_, first_day=query_day(first_day, "from"),
                   last_day=query_day(last_day, "to"))


PeriodOnly = Annotated[Request, Depends(period_only)]


def period_request(
        period: PeriodOnly, store_id: QueryId = None, staff_id: QueryId = None,
        active_days: Days = 90, repeat_days: Days = 90, at_risk_days: Days = 90,
        churn_days: Days = 180) -> Request:
    return replace(period, store_id=store_id, staff_id=staff_id,
                   windows=Windows(active_days=active_days, repeat_days=repeat_days,
                                   at_risk_days=at_risk_days, churn_days=churn_days))


PeriodRequest = Annotated[Request, Depends(period_request)]


@router.get("/overview", response_model=OverviewOut,
            responses=responses(errors.InvalidInput, errors.NotFound))
def overview(request: PeriodRequest, owner: Reader, rt: RuntimeDep) -> OverviewOut:
    """Sales net of refunds and voids, members and points for the period and the period
    before it, for the chain or one store (``store_id``) or cashier (``staff_id``)."""
    return OverviewOut.model_validate(figures.overview(rt, owner.tenant_id, request))


RANGE_ERRORS = responses(errors.InvalidInput)


@router.get("/points", response_model=PointsOut,
            responses=responses(errors.InvalidInput, errors.NotFound))
def points(request: PeriodRequest, owner: Reader, rt: RuntimeDep) -> PointsOut:
    """Points issued (net of accruals taken back by refunds), redeemed (net of points
    returned), expired; the redemption rate and reward cost as a share of revenue."""
    return PointsOut.model_validate(figures.points(rt, owner.tenant_id, request))


@router.get("/members/cohorts", response_model=CohortsOut, responses=RANGE_ERRORS)
def member_cohorts(request: PeriodOnly, owner: Reader, rt: RuntimeDep) -> CohortsOut:
    """Monthly cohorts of the members who joined in the period, and the retention curve."""
    return CohortsOut.model_validate(cohorts.cohorts(rt, owner.tenant_id, request))


@router.get("/liability", response_model=LiabilityOut, responses=RANGE_ERRORS)
def points_liability(request: PeriodOnly, owner: Reader, rt: RuntimeDep) -> LiabilityOut:
    """The points liability now, breakage and expected cost; its months over the period."""
    return LiabilityOut.model_validate(liability.liability(rt, owner.tenant_id, request))


@router.get("/ifrs15/journal", response_model=list[JournalLineOut], responses=RANGE_ERRORS)
def ifrs15_journal(request: PeriodOnly, owner: Reader,
                   rt: RuntimeDep) -> list[JournalLineOut]:
    """Balanced journal lines, one set per month of the period, dated its last day."""
    return [JournalLineOut.model_validate(line)
            for line in liability.journal(rt, owner.tenant_id, request)]


@router.get("/stores", response_model=BranchesOut, responses=RANGE_ERRORS)
def stores(request: PeriodOnly, owner: Reader, rt: RuntimeDep) -> BranchesOut:
    """Every store with activity in the period, ranked, beside the chain."""
    found = branches.branches(rt, owner.tenant_id, request)
    return BranchesOut.model_validate({**_common(found), "rows": found.stores})


@router.get("/cashiers", response_model=CashiersOut, responses=RANGE_ERRORS)
def cashiers(request: PeriodOnly, owner: Reader, rt: RuntimeDep) -> CashiersOut:
    """Every cashier with activity in the period, ranked, beside their store and the chain;
    per store, what no cashier was recorded for."""
    found = branches.branches(rt, owner.tenant_id, request)
    return CashiersOut.model_validate({**_common(found), "rows": found.cashiers,
                                       "no_cashier": found.no_cashier})


def _common(found: branches.Branches) -> dict[str, object]:
    return {"currency": found.currency, "first_day": found.first_day,
            "last_day": found.last_day, "chain": found.chain}


@router.get("/levels", response_model=BreakdownOut, responses=RANGE_ERRORS)
def levels(request: PeriodOnly, owner: Reader, rt: RuntimeDep) -> breakdowns.Breakdown:
    """The period's figures per level of the current program, beside all members."""
    return breakdowns.by_level(rt, owner.tenant_id, request)


@router.get("/segments", response_model=BreakdownOut, responses=RANGE_ERRORS)
def segments(request: PeriodOnly, owner: Reader, rt: RuntimeDep) -> breakdowns.Breakdown:
    """The period's figures per saved segment, beside all members."""
    return breakdowns.by_segment(rt, owner.tenant_id, request)


_FILE_CONTENT = {media: {"schema": {"type": "string", "format": "binary"}}
                 for media in MEDIA_TYPES.values()}


@router.get("/tables/{name}", response_class=StreamingResponse, responses={
    200: {"description": "the table as a file", "content": _FILE_CONTENT}, **RANGE_ERRORS})
def table_file(name: TableName, request: PeriodOnly, outlook: OutlookQuery, owner: Reader,
               rt: RuntimeDep,
               format: ExportFormat = ExportFormat.CSV) -> StreamingResponse:  # noqa: A002
    """A report's table as a CSV (UTF-8) or XLSX file, as the console offers it: raw
    integers with the unit in each column's name (``_minor``, ``_bp``, ``_milli``), days in
    the business's time zone. ``overview``: each figure for the period and the one before;
    ``cohorts``; ``stores`` and ``cashiers`` ranked; ``liability`` by month; ``expiry``: the
    points outstanding now by the month they expire; ``journal``: the IFRS 15 journal;
    ``levels`` and ``segments``: the figures per level and per saved segment, then all
    members; ``clv``: every member's outlook and RFM group with the CLV report's parameters
    (``calibration_end``, ``unit``, ``margin_bp``, ``discount_monthly_bp``, ``months``; the
    period plays no part)."""
    found = tables.table(rt, owner.tenant_id, name,
                         TableRequest(period=request, outlook=outlook))
    body = table_chunks(found.name, found.header, iter(found.rows), format, bom=False)
    return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{found.name}.{format.value}"'})
