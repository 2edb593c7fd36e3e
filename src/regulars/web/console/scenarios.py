"""Console pages: the simulator. Saved scenarios (a draft of the program's level rates and
expiry, a period of past receipts, the payback assumptions), a run in the background with its
progress polled by htmx, the figures beside the current program's, two scenarios compared,
and the figures as CSV or XLSX."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.analytics.payback import MAX_CHANGE_BP, Assumptions
from regulars.errors import InvalidInput, RegularsError
from regulars.services.analytics import scenarios, simulator
from regulars.services.analytics.exports import ExportFormat, table_chunks
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.program import programs
from regulars.services.tenancy.tenants import get_tenant, list_stores, minor_digits
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import file_response, form_errors, text
from regulars.web.console.program import parse_percent
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_money
from regulars.web.templating import Reader, render

CHANGES = ("average_check_change", "visit_frequency_change", "retention_change")


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _defaults(runtime: RuntimeDep, tenant_id: int) -> dict[str, str]:
    program = programs.current(runtime, tenant_id).rules
    today = runtime.now().date()
    values = {"name": "", "first_day": (today - timedelta(days=90)).isoformat(),
              "last_day": (today - timedelta(days=1)).isoformat(),
              "expire_after_days": str(program.expire_after_days or ""),
              "gross_margin": "30", "launch_cost": "0",
              **{name: "0" for name in CHANGES}}
    for i, level in enumerate(program.levels):
        values[f"level-{i}-rate"] = str(level.rate_bp / 100).removesuffix(".0")
    return values


def _signed_bp(raw: str, field: str) -> int:
    value = raw.strip()
    negative = value.startswith("-")
    bp = parse_percent(value.lstrip("-") or "0", field=field)
    bp = -bp if negative else bp
    if abs(bp) > MAX_CHANGE_BP:
        raise InvalidInput("enter a change from -50 to 50 %", field=field)
    return bp


def _day(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InvalidInput("enter a date like 2026-04-25", field=field) from exc


def _draft(runtime: RuntimeDep, tenant_id: int, values: dict[str, str]) -> ScenarioDraft:
    """The scenario the form describes: the current program with the typed level rates and
    expiry. Raises :class:`InvalidInput` naming the form's field."""
    program = programs.current(runtime, tenant_id).rules
    digits = minor_digits(get_tenant(runtime, tenant_id).currency)
    levels = [{**programs.rules_of(program)["levels"][i],
               "rate_bp": parse_percent(values.get(f"level-{i}-rate", ""),
                                        field=f"level-{i}-rate")}
              for i in range(len(program.levels))]
    expiry = values["expire_after_days"].strip()
    if expiry and not (expiry.isdigit() and 0 < int(expiry) <= 36_500):
        raise InvalidInput("enter a number of days from 1 to 36500, or nothing for never",
                           field="expire_after_days")
    draft = programs.parse_rules({**programs.rules_of(program), "levels": levels,
                                  "expire_after_days": int(expiry) if expiry else None})
    assumptions = Assumptions(
        **{f"{name}_bp": _signed_bp(values[name], name) for name in CHANGES},
        gross_margin_bp=parse_percent(values["gross_margin"], field="gross_margin"),
        launch_cost_minor=parse_money(values["launch_cost"] or "0", digits=digits,
                                      field="launch_cost"))
    return ScenarioDraft(name=values["name"], program=draft,
                         first_day=_day(values["first_day"], "first_day"),
                         last_day=_day(values["last_day"], "last_day"),
                         assumptions=assumptions)


def _list(request: Request, reader: Reader, runtime: RuntimeDep, *,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    tenant_id = _tenant(reader)
    program = programs.current(runtime, tenant_id).rules
    return render(request, "console/scenarios.html", reader, status_code=status_code,
                  scenarios=scenarios.list_all(runtime, tenant_id), levels=program.levels,
                  values=values or _defaults(runtime, tenant_id), errors=errors or {})


@router.get("/scenarios", dependencies=[needs(Permission.VIEW)])
def scenarios_page(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return _list(request, reader, runtime)


@router.post("/scenarios", dependencies=[needs(Permission.PROGRAM_EDIT)])
def scenarios_create(request: Request, reader: StaffReader, runtime: RuntimeDep,
                     form: Form) -> Response:
    tenant_id = _tenant(reader)
    values = {name: text(form, name, 200) for name in _defaults(runtime, tenant_id)}
    try:
        created = scenarios.create(runtime, tenant_id, _draft(runtime, tenant_id, values))
    except RegularsError as exc:
        return _list(request, reader, runtime, values=values,
                     errors=form_errors(exc, reader), status_code=422)
    return RedirectResponse(f"/console/scenarios/{created.id}", status_code=303)


@router.get("/scenarios/compare", dependencies=[needs(Permission.VIEW)])
def scenarios_compare(request: Request, reader: StaffReader, runtime: RuntimeDep,
                      a: int = 0, b: int = 0) -> Response:
    tenant_id = _tenant(reader)
    pair = [(scenarios.get(runtime, tenant_id, i), simulator.latest_result(runtime, tenant_id, i))
            for i in (a, b)]
    # The current program as the first scenario with a finished run saw it: a pair whose
    # first scenario was never run still shows the current program beside the other.
    current = next((result.current for _, result in pair if result is not None), None)
    return render(request, "console/scenarios_compare.html", reader, pair=pair,
                  current=current, names=simulator.FIGURE_NAMES)


def _run_context(runtime: RuntimeDep, tenant_id: int, scenario_id: int) -> dict[str, Any]:
    scenario = scenarios.get(runtime, tenant_id, scenario_id)
    run = scenario.last_run
    result = None
    if run is not None and run.status == "done":
        _, result = simulator.get_run(runtime, tenant_id, scenario_id, run.id)
    return {"scenario": scenario, "run": run, "result": result,
            "names": simulator.FIGURE_NAMES,
            "store_names": {str(s.id): s.name for s in list_stores(runtime, tenant_id)}}


@router.get("/scenarios/{scenario_id}", dependencies=[needs(Permission.VIEW)])
def scenario_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                  scenario_id: int) -> Response:
    return render(request, "console/scenario.html", reader,
                  **_run_context(runtime, _tenant(reader), scenario_id))


@router.get("/scenarios/{scenario_id}/run", dependencies=[needs(Permission.VIEW)])
def scenario_run_fragment(request: Request, reader: StaffReader, runtime: RuntimeDep,
                          scenario_id: int) -> Response:
    """The run's card alone: what the page polls while the run goes on."""
    return render(request, "console/_scenario_run.html", reader,
                  **_run_context(runtime, _tenant(reader), scenario_id))


@router.post("/scenarios/{scenario_id}/run", dependencies=[needs(Permission.PROGRAM_EDIT)])
def scenario_run(reader: StaffReader, runtime: RuntimeDep, scenario_id: int,
                 background: BackgroundTasks) -> Response:
    tenant_id = _tenant(reader)
    state, setup = simulator.start_run(runtime, tenant_id, scenario_id)
    background.add_task(simulator.execute, runtime, tenant_id, state.id, setup)
    return RedirectResponse(f"/console/scenarios/{scenario_id}", status_code=303)


@router.get("/scenarios/{scenario_id}/export", dependencies=[needs(Permission.VIEW)])
def scenario_export(reader: StaffReader, runtime: RuntimeDep, scenario_id: int,
                    format: str = "csv") -> Response:  # noqa: A002
    tenant_id = _tenant(reader)
    result = simulator.latest_result(runtime, tenant_id, scenario_id)
    if result is None:
        return RedirectResponse(f"/console/scenarios/{scenario_id}", status_code=303)
    fmt = ExportFormat.XLSX if format == "xlsx" else ExportFormat.CSV
    return file_response(
        table_chunks("scenario", simulator.EXPORT_HEADER, simulator.export_rows(result), fmt),
        f"scenario-{scenario_id}.{fmt.value}", fmt)
