"""Console pages: the simulator. Saved scenarios (a draft program, edited with the program
page's own form, a period of past receipts, the payback assumptions), a run in the
background with its progress polled by htmx, the figures beside the current program's (the
telling ones drawn as bars on the server), two scenarios compared, and the figures as CSV or
XLSX."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.analytics.payback import MAX_CHANGE_BP, Assumptions
from regulars.errors import InvalidInput, RegularsError
from regulars.services.analytics import scenarios, simulator
from regulars.services.analytics.exports import ExportFormat, table_chunks
from regulars.services.analytics.scenarios import Scenario, ScenarioDraft
from regulars.services.analytics.simulator import Result
from regulars.services.program import programs
from regulars.services.tenancy.tenants import list_stores
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.charts import HEIGHT, WIDTH, Chart, paired
from regulars.web.console.pagekit import file_response, staff_actor, text
from regulars.web.console.program import (
    decimal_text,
    errors_for,
    level_rows,
    parse_percent,
    percent_text,
    posted_values,
    program_of,
    values_of,
)
from regulars.web.console.scenario_promotions import choices_for, draft_lines
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_day, parse_money
from regulars.web.templating import Reader, render

CHANGES = ("average_check_change", "visit_frequency_change", "retention_change")
CHARTED = ("points_issued", "discount_minor", "reward_cost_share_bp")
"""The figures drawn as bars, each draft's beside its current program's: what a draft is
weighed by (what it gives, what it costs as a share of what was paid)."""


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _defaults(runtime: RuntimeDep, tenant_id: int, *, digits: int) -> dict[str, Any]:
    """A new scenario's form: the last 90 days, no change expected, and the current program
    as the draft to edit."""
    today = runtime.now().date()
    return {"name": "", "first_day": (today - timedelta(days=90)).isoformat(),
            "last_day": (today - timedelta(days=1)).isoformat(),
            "gross_margin": "30", "launch_cost": "0", **{name: "0" for name in CHANGES},
            **values_of(programs.rules_of(programs.current(runtime, tenant_id).rules),
                        digits=digits)}


def _signed_bp(raw: str, field: str) -> int:
    value = raw.strip()
    negative = value.startswith("-")
    bp = parse_percent(value.lstrip("-") or "0", field=field)
    bp = -bp if negative else bp
    if abs(bp) > MAX_CHANGE_BP:
        raise InvalidInput("enter a change from -50 to 50 %", field=field)
    return bp


def _day(raw: str, field: str) -> date:
    return parse_day(raw, field=field)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """A scenario's name, period and assumptions as its form gives them."""

    name: str
    first_day: date
    last_day: date
    assumptions: Assumptions


SETTINGS_FIELDS = ("name", "first_day", "last_day", *CHANGES, "gross_margin", "launch_cost")
"""The form's fields that :func:`settings_of` reads."""


def settings_of(values: dict[str, str], *, digits: int) -> Settings:
    """The name, period and assumptions the form gives (``digits``: of the currency's minor
    unit). Raises :class:`InvalidInput` naming the form's field; the name and the period
    are checked further as the admin API checks them, by the service."""
    assumptions = Assumptions(
        **{f"{name}_bp": _signed_bp(values[name], name) for name in CHANGES},
        gross_margin_bp=parse_percent(values["gross_margin"], field="gross_margin"),
        launch_cost_minor=parse_money(values["launch_cost"] or "0", digits=digits,
                                      field="launch_cost"))
    return Settings(name=values["name"], first_day=_day(values["first_day"], "first_day"),
                    last_day=_day(values["last_day"], "last_day"), assumptions=assumptions)


def settings_values(scenario: Scenario, *, digits: int) -> dict[str, str]:
    """The settings form's values showing ``scenario``'s."""
    a = scenario.assumptions
    return {"name": scenario.name, "first_day": scenario.first_day.isoformat(),
            "last_day": scenario.last_day.isoformat(),
            **{name: percent_text(getattr(a, f"{name}_bp")) for name in CHANGES},
            "gross_margin": percent_text(a.gross_margin_bp),
            "launch_cost": decimal_text(a.launch_cost_minor, digits)}


def _list(request: Request, reader: Reader, runtime: RuntimeDep, *,
          values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    tenant_id = _tenant(reader)
    return render(request, "console/scenarios.html", reader, status_code=status_code,
                  scenarios=scenarios.list_all(runtime, tenant_id),
                  values=values or _defaults(runtime, tenant_id, digits=reader.minor_digits()),
                  errors=errors or {})


@router.get("/scenarios", dependencies=[needs(Permission.VIEW)])
def scenarios_page(request: Request, reader: StaffReader, runtime: RuntimeDep) -> Response:
    return _list(request, reader, runtime)


@router.post("/scenarios", dependencies=[needs(Permission.PROGRAM_EDIT)])
def scenarios_create(request: Request, reader: StaffReader, runtime: RuntimeDep,
                     form: Form) -> Response:
    """Save a scenario from its name, period and expectations and its draft program (the
    program editor's fields, over the current program); a refused form comes back with
    the error beside its field, the typed values kept and nothing saved."""
    tenant_id = _tenant(reader)
    digits = reader.minor_digits()
    try:
        found = settings_of({name: text(form, name, 200) for name in SETTINGS_FIELDS},
                            digits=digits)
        draft = program_of(form, programs.current(runtime, tenant_id).rules, digits=digits)
        created = scenarios.create(runtime, tenant_id, ScenarioDraft(
            name=found.name, program=draft, first_day=found.first_day,
            last_day=found.last_day, assumptions=found.assumptions), actor=staff_actor(reader))
    except RegularsError as exc:
        if exc.status in (403, 404):
            raise
        return _list(request, reader, runtime, values=posted_values(form),
                     errors=errors_for(exc, reader, level_rows(form)), status_code=422)
    return RedirectResponse(f"/console/scenarios/{created.id}", status_code=303)


# Charts --------------------------------------------------------------------------------------

def _shown(reader: Reader, name: str, value: int) -> str:
    """A figure as the tables show it: money, a percentage or a count, by its name's unit."""
    if name.endswith("_minor"):
        return reader.money(value)
    if name.endswith("_bp"):
        return reader.percent_bp(value)
    return reader.number(value)


def figure_charts(reader: Reader, runs: Sequence[tuple[str, Result]]) -> dict[str, Chart]:
    """Per figure of :data:`CHARTED`, one pair of bars per run (labelled by its name, empty
    for a scenario's own page): its draft's figure beside its current program's."""
    charts = {}
    for name in CHARTED:
        drafts = [getattr(result.draft, name) for _, result in runs]
        currents = [getattr(result.current, name) for _, result in runs]
        titles = [(f"{label}: " if label else "") + reader.gettext(
            "Draft %(draft)s, current program %(current)s", draft=_shown(reader, name, d),
            current=_shown(reader, name, c))
            for (label, _), d, c in zip(runs, drafts, currents, strict=True)]
        charts[name] = paired([label for label, _ in runs], drafts, currents, titles)
    return charts


def level_chart(reader: Reader, first: Result, second: Result | None, *,
                names: tuple[str, str]) -> Chart:
    """Members per level at the period's end, by ``first``'s draft levels: its draft's beside
    its current program's, or beside ``second``'s draft's; ``names`` say whose are which."""
    other = first.current if second is None else second.draft
    theirs = {level.code: level.members for level in other.levels}
    levels = first.draft.levels
    left = [level.members for level in levels]
    right = [theirs.get(level.code, 0) for level in levels]
    return paired([level.name for level in levels], left, right,
                  [reader.gettext("%(level)s: %(a)s %(left)s, %(b)s %(right)s",
                                  level=level.name, a=names[0], left=reader.number(m),
                                  b=names[1], right=reader.number(n))
                   for level, m, n in zip(levels, left, right, strict=True)])


@router.get("/scenarios/compare", dependencies=[needs(Permission.VIEW)])
def scenarios_compare(request: Request, reader: StaffReader, runtime: RuntimeDep,
                      a: int = 0, b: int = 0) -> Response:
    tenant_id = _tenant(reader)
    pair = [(scenarios.get(runtime, tenant_id, i), simulator.latest_result(runtime, tenant_id, i))
            for i in (a, b)]
    # The current program as the first scenario with a finished run saw it: a pair whose
    # first scenario was never run still shows the current program beside the other.
    current = next((result.current for _, result in pair if result is not None), None)
    runs = [(s.name, r) for s, r in pair if r is not None]
    (_, first), (_, second) = pair
    return render(request, "console/scenarios_compare.html", reader, pair=pair,
                  current=current, names=simulator.FIGURE_NAMES,
                  figure_charts=figure_charts(reader, runs) if runs else {},
                  levels_chart=level_chart(reader, first, second, names=(
                      pair[0][0].name, pair[1][0].name)) if first and second else None,
                  chart_size=(WIDTH, HEIGHT))


def _run_context(runtime: RuntimeDep, reader: Reader, scenario_id: int) -> dict[str, Any]:
    tenant_id = _tenant(reader)
    scenario = scenarios.get(runtime, tenant_id, scenario_id)
    run = scenario.last_run
    result = None
    if run is not None and run.status == "done":
        _, result = simulator.get_run(runtime, tenant_id, scenario_id, run.id)
    charts: dict[str, Any] = {} if result is None else {
        "figure_charts": figure_charts(reader, [("", result)]),
        "levels_chart": level_chart(reader, result, None, names=(
            reader.gettext("Draft"), reader.gettext("Current program")))}
    # Runs keep the figures they had when the scenario changes after them (as the admin
    # API's PUT keeps them): the page says so rather than show them as the draft's.
    stale = run is not None and scenario.updated_at > run.created_at
    return {"scenario": scenario, "run": run, "result": result, "stale": stale,
            "names": simulator.FIGURE_NAMES, "chart_size": (WIDTH, HEIGHT), **charts,
            "min_days": simulator.MIN_HISTORY_DAYS, "min_points": simulator.MIN_HISTORY_POINTS,
            "store_names": {str(s.id): s.name for s in list_stores(runtime, tenant_id)}}


@router.get("/scenarios/{scenario_id}", dependencies=[needs(Permission.VIEW)])
def scenario_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                  scenario_id: int) -> Response:
    context = _run_context(runtime, reader, scenario_id)
    found = choices_for(runtime, _tenant(reader), context["scenario"])
    return render(request, "console/scenario.html", reader,
                  drafts=draft_lines(context["scenario"], found, reader),
                  max_drafts=scenarios.MAX_DRAFT_PROMOTIONS, **context)


@router.get("/scenarios/{scenario_id}/run", dependencies=[needs(Permission.VIEW)])
def scenario_run_fragment(request: Request, reader: StaffReader, runtime: RuntimeDep,
                          scenario_id: int) -> Response:
    """The run's card alone: what the page polls while the run goes on."""
    return render(request, "console/_scenario_run.html", reader,
                  **_run_context(runtime, reader, scenario_id))


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
