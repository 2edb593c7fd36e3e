"""``/v1/admin/scenarios``: the simulator. An owner saves a scenario (a draft program and
draft promotions, a period of past receipts, payback assumptions) and runs it: the run
replays the period in the background (``POST …/runs`` answers 202 at once) and its progress
and figures are read from ``GET …/runs/{run_id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Response

from regulars import errors
from regulars.api.deps import Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.promotion_schemas import PromotionIn
from regulars.api.scenario_schemas import RunOut, ScenarioIn, ScenarioOut
from regulars.services.analytics import scenarios, simulator
from regulars.services.audit import audit

router = APIRouter(prefix="/v1/admin/scenarios", tags=["analytics"])
NF = responses(errors.NotFound)
DraftPath = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", examples=["5f0c2a9e41b7"])]


@router.post("", response_model=ScenarioOut, status_code=201,
             responses=responses(errors.InvalidInput))
def create_scenario(body: ScenarioIn, owner: Owner, rt: RuntimeDep) -> ScenarioOut:
    return ScenarioOut.of(scenarios.create(rt, owner.tenant_id, body.to_draft(),
                                           actor=audit.key(owner.key_id)))


@router.get("", response_model=list[ScenarioOut])
def list_scenarios(owner: Reader, rt: RuntimeDep) -> list[ScenarioOut]:
    """The saved scenarios, newest first (at most 200)."""
    return [ScenarioOut.of(s) for s in scenarios.list_all(rt, owner.tenant_id)]


@router.get("/{scenario_id}", response_model=ScenarioOut, responses=NF)
def get_scenario(scenario_id: PathId, owner: Reader, rt: RuntimeDep) -> ScenarioOut:
    return ScenarioOut.of(scenarios.get(rt, owner.tenant_id, scenario_id))


@router.put("/{scenario_id}", response_model=ScenarioOut,
            responses=responses(errors.NotFound, errors.InvalidInput))
def put_scenario(scenario_id: PathId, body: ScenarioIn, owner: Owner,
                 rt: RuntimeDep) -> ScenarioOut:
    """Replace the scenario whole; earlier runs keep the figures they had."""
    return ScenarioOut.of(scenarios.update(rt, owner.tenant_id, scenario_id, body.to_draft(),
                                           actor=audit.key(owner.key_id)))


@router.delete("/{scenario_id}", status_code=204, responses=NF)
def delete_scenario(scenario_id: PathId, owner: Owner, rt: RuntimeDep) -> Response:
    scenarios.delete(rt, owner.tenant_id, scenario_id, actor=audit.key(owner.key_id))
    return Response(status_code=204)


@router.post("/{scenario_id}/promotions", response_model=ScenarioOut, status_code=201,
             responses=responses(errors.NotFound, errors.InvalidInput))
def add_draft_promotion(scenario_id: PathId, body: PromotionIn, owner: Owner,
                        rt: RuntimeDep) -> ScenarioOut:
    """Add a draft promotion (the last of ``promotions``, with its new ``id``); the rest of
    the scenario stays."""
    return ScenarioOut.of(scenarios.change_promotion(
        rt, owner.tenant_id, scenario_id, None, body.to_draft(), actor=audit.key(owner.key_id)))


@router.put("/{scenario_id}/promotions/{draft_id}", response_model=ScenarioOut,
            responses=responses(errors.NotFound, errors.InvalidInput))
def put_draft_promotion(scenario_id: PathId, draft_id: DraftPath, body: PromotionIn,
                        owner: Owner, rt: RuntimeDep) -> ScenarioOut:
    """Replace the draft promotion of ``draft_id`` (it keeps its id and place); 404 for an
    id the scenario does not hold (say one removed meanwhile)."""
    return ScenarioOut.of(scenarios.change_promotion(
        rt, owner.tenant_id, scenario_id, draft_id, body.to_draft(),
        actor=audit.key(owner.key_id)))


@router.delete("/{scenario_id}/promotions/{draft_id}", status_code=204, responses=NF)
def delete_draft_promotion(scenario_id: PathId, draft_id: DraftPath, owner: Owner,
                           rt: RuntimeDep) -> Response:
    """Remove the draft promotion of ``draft_id``; 404 for an id the scenario does not
    hold."""
    scenarios.change_promotion(rt, owner.tenant_id, scenario_id, draft_id, None,
                               actor=audit.key(owner.key_id))
    return Response(status_code=204)


@router.post("/{scenario_id}/runs", response_model=RunOut, status_code=202, responses=NF)
def run_scenario(scenario_id: PathId, owner: Owner, rt: RuntimeDep,
                 background: BackgroundTasks) -> RunOut:
    """Start a run: the receipts are counted and the replay goes on after the answer."""
    state, setup = simulator.start_run(rt, owner.tenant_id, scenario_id)
    background.add_task(simulator.execute, rt, owner.tenant_id, state.id, setup)
    return RunOut.model_validate(state)


@router.get("/{scenario_id}/runs/{run_id}", response_model=RunOut, responses=NF)
def get_run(scenario_id: PathId, run_id: PathId, owner: Reader, rt: RuntimeDep) -> RunOut:
    """A run's progress and, once done, its figures: both programs side by side, the
    redemption model they used and the draft's payback with its sensitivity table."""
    state, result = simulator.get_run(rt, owner.tenant_id, scenario_id, run_id)
    return RunOut.model_validate({**_fields(state), "result": result})


def _fields(state: scenarios.RunState) -> dict[str, object]:
    return {"id": state.id, "scenario_id": state.scenario_id, "status": state.status,
            "receipts_total": state.receipts_total, "receipts_done": state.receipts_done,
            "percent": state.percent, "detail": state.detail, "created_at": state.created_at,
            "finished_at": state.finished_at}
