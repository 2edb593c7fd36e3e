"""Bodies and answers of ``/v1/admin/scenarios``: a saved scenario of the simulator and its
runs, with the figures of a finished run (the services' result types, documented as they
are)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from regulars.api.pos_schemas import Out, examples
from regulars.api.promotion_schemas import PromotionIn
from regulars.api.schemas import IsoDate, Strict
from regulars.domain.analytics.payback import Assumptions
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import Scenario, ScenarioDraft
from regulars.services.analytics.simulator import Result
from regulars.services.program import programs
from regulars.services.promotions import promotions

Change = Annotated[int, Field(ge=-5000, le=5000)]


class AssumptionsIn(Strict):
    """What the owner expects of the draft, in basis points of today's figures (500: +5 %),
    and what launching it costs."""

    average_check_change_bp: Change = 0
    visit_frequency_change_bp: Change = 0
    retention_change_bp: Change = 0
    gross_margin_bp: Annotated[int, Field(ge=0, le=10_000)] = 3000
    launch_cost_minor: Annotated[int, Field(ge=0, le=10**15)] = 0

    def to_assumptions(self) -> Assumptions:
        return Assumptions(**self.model_dump())


DraftId = Annotated[str, Field(pattern=r"^[0-9a-f]{12}$", examples=["5f0c2a9e41b7"])]
"""A draft promotion's id in a scenario: stable while it is kept, never given again."""


class DraftPromotionIn(PromotionIn):
    """A draft promotion as ``POST /v1/admin/promotions`` takes it; ``id`` (one of the
    scenario's, as read from it) keeps that draft's id, without it the draft is a new one."""

    id: DraftId | None = None


class ScenarioIn(Strict):
    """A scenario, whole. ``program``: the draft's full rules, as ``PUT /v1/admin/program``
    takes them (``null``: the current program, to try promotions alone); ``promotions``:
    draft promotions as ``POST /v1/admin/promotions`` takes them, never offered at a till
    (a ``segment_id``: its members when the period began; control groups, budgets and
    limits are not replayed; a condition reads of the member its ``level`` only; an ``id``
    keeps the scenario's draft of that id, one it does not hold is refused)."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    program: dict[str, Any] | None = None
    promotions: Annotated[list[DraftPromotionIn], Field(max_length=20)] = []
    first_day: IsoDate
    last_day: IsoDate
    assumptions: AssumptionsIn = AssumptionsIn()

    def to_draft(self) -> ScenarioDraft:
        return ScenarioDraft(name=self.name, program=scenarios.parse_program(self.program),
                             promotions=tuple(p.to_draft() for p in self.promotions),
                             promotion_ids=tuple(p.id for p in self.promotions),
                             first_day=self.first_day, last_day=self.last_day,
                             assumptions=self.assumptions.to_assumptions())


class RunOut(Out):
    """A run of a scenario: ``running`` (``receipts_done`` of ``receipts_total``), ``done``
    (with ``result``) or ``failed`` (with ``detail``)."""

    model_config = examples({"id": 3, "scenario_id": 1, "status": "running",
                             "receipts_total": 120000, "receipts_done": 40000, "percent": 33,
                             "detail": None, "created_at": "2026-03-02T10:00:00Z",
                             "finished_at": None, "result": None})

    id: int
    scenario_id: int
    status: str
    receipts_total: int
    receipts_done: int
    percent: int
    detail: str | None
    created_at: datetime
    finished_at: datetime | None
    result: Result | None = None


class ScenarioOut(Out):
    """A saved scenario and its latest run (without figures: ``GET …/runs/{run_id}``); each
    draft promotion with its ``id`` (``…/promotions/{draft_id}``)."""

    model_config = examples({
        "id": 1, "name": "Ten percent back", "program": None, "promotions": [
            {"id": "5f0c2a9e41b7", "name": "Ten off big baskets",
             "condition": "basket.total_minor >= 10000", "stacking": "stackable",
             "priority": 0, "schedule": {"starts_on": None, "ends_on": None, "weekdays": [],
                                         "hour_from": 0, "hour_to": 24},
             "store_ids": None, "effects": [{"kind": "percent_discount", "categories": [],
                                             "skus": [], "rate_bp": 1000}],
             "limits": {"budget_minor": None, "budget_points": None, "member_minor": None,
                        "member_points": None, "uses_per_day": None,
                        "uses_per_period": None, "period": "month"},
             "segment_id": None, "control_share_bp": 0}],
        "first_day": "2026-01-01", "last_day": "2026-03-31",
        "assumptions": {"average_check_change_bp": 300, "visit_frequency_change_bp": 200,
                        "retention_change_bp": 0, "gross_margin_bp": 3000,
                        "launch_cost_minor": 0},
        "created_at": "2026-03-02T10:00:00Z", "updated_at": "2026-03-02T10:00:00Z",
        "last_run": None})

    id: int
    name: str
    program: dict[str, Any] | None
    promotions: list[dict[str, Any]]
    first_day: date
    last_day: date
    assumptions: Assumptions
    created_at: datetime
    updated_at: datetime
    last_run: RunOut | None

    @classmethod
    def of(cls, s: Scenario) -> ScenarioOut:
        return cls(id=s.id, name=s.name,
                   program=None if s.program is None else programs.rules_of(s.program),
                   promotions=[{"id": i, **promotions.definition_of(p)}
                               for i, p in zip(s.promotion_ids, s.promotions, strict=True)],
                   first_day=s.first_day, last_day=s.last_day, assumptions=s.assumptions,
                   created_at=s.created_at, updated_at=s.updated_at,
                   last_run=None if s.last_run is None else RunOut.model_validate(s.last_run))
