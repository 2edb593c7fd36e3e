"""``/v1/admin/analytics/fraud``: the own-card fraud scan, its flags with their evidence, a
manager's decision on each, and the business's thresholds."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from regulars import errors
from regulars.api.deps import Offset, Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Instant, Out, examples
from regulars.api.schemas import Strict
from regulars.domain.analytics.fraud import Thresholds
from regulars.services.analytics import fraud
from regulars.services.analytics.fraud import FlagPage, FlagView, FraudSettings, ScanResult
from regulars.services.audit import audit

router = APIRouter(prefix="/v1/admin/analytics/fraud", tags=["analytics"])

SIGNAL_CODES = "concentration, burst, staff_contact, typed, bonus or adjustment"


class ScanIn(Strict):
    days: Annotated[int, Field(ge=1, le=fraud.MAX_DAYS)] = Field(
        default=fraud.DEFAULT_DAYS, description="scan the receipts of the last so many days")


class ScanOut(Out):
    model_config = examples({
        "period_start": "2026-02-01T10:00:00+00:00", "period_end": "2026-03-03T10:00:00+00:00",
        "receipts": 5120, "pairs_scored": 31, "flagged": 2, "opened": 1, "updated": 1})

    period_start: Instant
    period_end: Instant
    receipts: int
    pairs_scored: int
    flagged: int
    opened: int
    updated: int


class SignalOut(Out):
    code: str = Field(description=SIGNAL_CODES)
    points: int
    params: dict[str, int] = Field(description="the figures behind the signal, by name")


class FlagOut(Out):
    model_config = examples({
        "id": 3, "staff_id": 7, "staff_name": "Olga", "member_id": 412,
        "member_phone": "+79161234567", "member_name": "", "score": 70, "receipts": 25,
        "signals": [{"code": "concentration", "points": 40, "params": {
            "store_id": 1, "receipts": 25, "member_receipts": 25, "share_percent": 100,
            "expected_percent": 20, "surprise_tenths": 120}},
            {"code": "burst", "points": 30, "params": {"receipts": 6, "minutes": 120}}],
        "period_start": "2026-02-01T10:00:00+00:00", "period_end": "2026-03-03T10:00:00+00:00",
        "status": "open", "decided_by_staff_id": None, "decided_at": None, "note": None,
        "scanned_at": "2026-03-03T10:00:00+00:00"})

    id: int
    staff_id: int
    staff_name: str
    member_id: int
    member_phone: str | None
    member_name: str
    score: int = Field(description="0 to 100: the sum of the signals' points")
    receipts: int = Field(description="the pair's receipts in the scanned period")
    signals: list[SignalOut]
    period_start: Instant
    period_end: Instant
    status: str = Field(description="open, dismissed or confirmed")
    decided_by_staff_id: int | None
    decided_at: Instant | None
    note: str | None
    scanned_at: Instant


class FlagPageOut(Out):
    items: list[FlagOut]
    total: int
    limit: int
    offset: int


class DecisionIn(Strict):
    decision: Literal["dismissed", "confirmed", "open"]
    note: Annotated[str, Field(max_length=500)] | None = None


class FraudSettingsIn(Strict):
    """Thresholds of the scan; what is left out takes its default. The bounds are
    :data:`regulars.domain.analytics.fraud.LIMITS`."""

    flag_score: Annotated[int, Field(ge=1, le=100, description=(
        "a pair at or above this score is flagged"))] = Thresholds.flag_score
    min_pair_receipts: Annotated[int, Field(ge=2, le=1000, description=(
        "fewer receipts together: scored only on adjustments and staff contact details"))] = (
        Thresholds.min_pair_receipts)
    burst_window_minutes: Annotated[int, Field(ge=5, le=7 * 24 * 60)] = (
        Thresholds.burst_window_minutes)
    burst_receipts: Annotated[int, Field(ge=1, le=1000, description=(
        "more receipts than this for one member by one cashier within the window is a "
        "burst"))] = Thresholds.burst_receipts
    typed_share_percent: Annotated[int, Field(ge=1, le=100, description=(
        "typed on at least this share of the pair's receipts"))] = (
        Thresholds.typed_share_percent)


class FraudSettingsOut(Out):
    model_config = examples({"flag_score": 50, "min_pair_receipts": 4,
                             "burst_window_minutes": 120, "burst_receipts": 2,
                             "typed_share_percent": 50, "updated_at": None})

    flag_score: int
    min_pair_receipts: int
    burst_window_minutes: int
    burst_receipts: int
    typed_share_percent: int
    updated_at: Instant | None


@router.post("/scan", response_model=ScanOut, responses=responses(errors.InvalidInput))
def scan(body: ScanIn, owner: Owner, rt: RuntimeDep) -> ScanResult:
    """Score every (cashier, member) pair on the receipts of the last ``days`` days and keep
    those at or above the flag score. Open flags take the latest evidence; dismissed and
    confirmed ones stay as decided."""
    return fraud.scan(rt, owner.tenant_id, days=body.days)


@router.get("/flags", response_model=FlagPageOut, responses=responses(errors.InvalidInput))
def list_flags(owner: Reader, rt: RuntimeDep,
               status: Literal["open", "dismissed", "confirmed"] | None = None,
               limit: Annotated[int, Query(ge=1, le=fraud.MAX_PAGE)] = 50,
               offset: Offset = 0) -> FlagPage:
    """A page of flags, highest score first, each with its evidence."""
    return fraud.list_flags(rt, owner.tenant_id, status=status, limit=limit, offset=offset)


@router.get("/flags/{flag_id}", response_model=FlagOut, responses=responses(errors.NotFound))
def get_flag(flag_id: PathId, owner: Reader, rt: RuntimeDep) -> FlagView:
    return fraud.get_flag(rt, owner.tenant_id, flag_id)


@router.post("/flags/{flag_id}/decision", response_model=FlagOut,
             responses=responses(errors.NotFound, errors.InvalidInput))
def decide(flag_id: PathId, body: DecisionIn, owner: Owner, rt: RuntimeDep) -> FlagView:
    """Dismiss or confirm a flag (``open`` takes the decision back), with an optional note."""
    return fraud.decide(rt, owner.tenant_id, flag_id, decision=body.decision,
                        staff_id=None, note=body.note)


@router.get("/settings", response_model=FraudSettingsOut)
def get_settings(owner: Reader, rt: RuntimeDep) -> FraudSettings:
    return fraud.get_settings(rt, owner.tenant_id)


@router.put("/settings", response_model=FraudSettingsOut,
            responses=responses(errors.InvalidInput))
def put_settings(body: FraudSettingsIn, owner: Owner, rt: RuntimeDep) -> FraudSettings:
    """Replace the thresholds (``updated_at`` null: the defaults are in use)."""
    return fraud.put_settings(rt, owner.tenant_id, Thresholds(**body.model_dump()),
                              actor=audit.key(owner.key_id))
