"""``/v1/admin/analytics/clv``: customer lifetime value and RFM groups fitted on the
business's own receipts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from regulars import errors
from regulars.api.deps import Offset, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Day, Out, examples
from regulars.services.analytics import clv
from regulars.services.analytics.clv import ClvQuery, ClvReport

router = APIRouter(prefix="/v1/admin/analytics/clv", tags=["analytics"])


class ModelFitOut(Out):
    r: float
    alpha: float = Field(description="in the report's time unit")
    a: float
    b: float
    p: float
    q: float
    gamma_minor: float
    members: int
    repeat_buyers: int = Field(description="members the spend model read")


class MemberOutlookOut(Out):
    member_id: int
    days_since_last: int
    purchases: int
    spend_minor: int
    rfm: str = Field(description="recency, frequency and monetary quintiles, 1 to 5 each")
    group: str = Field(description="champions, loyal, potential_loyalist, new, promising, "
                                   "need_attention, about_to_sleep, at_risk, cannot_lose, "
                                   "hibernating or lost")
    probability_alive: float | None
    purchases_90_days: float | None
    purchases_365_days: float | None
    spend_per_purchase_minor: int | None
    lifetime_value_minor: int | None


class ClvOut(Out):
    model_config = examples({
        "calibration_end": "2026-03-01", "unit": "weeks", "margin_bp": 3000,
        "discount_monthly_bp": 100, "months": 12, "members": 2, "fit": None,
        "not_fitted_code": "too_few_members",
        "not_fitted_because": "the purchase model needs at least 20 members, 5 of them with a "
                              "repeat purchase; there are 2, 1 with one",
        "lifetime_value_total_minor": None, "groups": {"champions": 1, "lost": 1},
        "items": [{"member_id": 7, "days_since_last": 3, "purchases": 4, "spend_minor": 5200,
                   "rfm": "555", "group": "champions", "probability_alive": None,
                   "purchases_90_days": None, "purchases_365_days": None,
                   "spend_per_purchase_minor": None, "lifetime_value_minor": None}],
        "limit": 50, "offset": 0})

    calibration_end: Day
    unit: str
    margin_bp: int
    discount_monthly_bp: int
    months: int
    members: int
    fit: ModelFitOut | None
    not_fitted_code: str | None = Field(
        description="why there is no fit, a stable code: too_few_members, "
                    "too_few_repeat_spenders, did_not_converge, no_usable_maximum or "
                    "unbounded_spend")
    not_fitted_because: str | None = Field(
        description="why there is no fit (too little history), in plain words")
    lifetime_value_total_minor: int | None
    groups: dict[str, int] = Field(description="members per RFM group")
    items: list[MemberOutlookOut]
    limit: int
    offset: int


def outlook_query(
        calibration_end: Annotated[str | None, Query(
            pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"},
            description="last day the models learn from, YYYY-MM-DD (default: yesterday)")
        ] = None,
        unit: Literal["days", "weeks"] = "weeks",
        margin_bp: Annotated[int, Query(ge=0, le=10_000)] = 3000,
        discount_monthly_bp: Annotated[int, Query(ge=0, le=10_000)] = 100,
        months: Annotated[int, Query(ge=1, le=120)] = 12) -> ClvQuery:
    """The outlook's parameters (its page bounds left at their defaults)."""
    end = None
    if calibration_end is not None:
        try:
            end = date.fromisoformat(calibration_end)
        except ValueError as exc:
            raise errors.InvalidInput("enter a date like 2026-04-25",
                                      field="calibration_end") from exc
    return ClvQuery(calibration_end=end, unit=unit, margin_bp=margin_bp,
                    discount_monthly_bp=discount_monthly_bp, months=months)


OutlookQuery = Annotated[ClvQuery, Depends(outlook_query)]


@router.get("", response_model=ClvOut, responses=responses(errors.InvalidInput))
def lifetime_value(
        owner: Reader, rt: RuntimeDep, outlook: OutlookQuery,
        limit: Annotated[int, Query(ge=1, le=clv.MAX_PAGE)] = 50,
        offset: Offset = 0) -> ClvReport:
    """BG/NBD and Gamma-Gamma fitted on the business's receipts up to ``calibration_end``
    (net of refunds, voids left out); per member the probability of being alive, expected
    purchases in the next 90 and 365 days, expected spend per purchase and CLV over
    ``months`` with the margin and monthly discount rate; RFM scores and groups. Members are
    paged by lifetime value. With too little history ``fit`` is null and
    ``not_fitted_because`` says why; RFM is still given."""
    return clv.report(rt, owner.tenant_id, replace(outlook, limit=limit, offset=offset))
