"""Console pages: a saved scenario's settings (its name, period and assumptions) and its
draft program, edited with the program page's own form (read by the same
:func:`~regulars.web.console.program.program_of`, its errors mapped back to the inputs the
same way). A refused form comes back with each error beside its field and nothing saved;
the scenario's other parts stay as they are."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import RegularsError
from regulars.services.analytics import scenarios
from regulars.services.analytics.scenarios import Scenario
from regulars.services.program import programs
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, staff_actor, text
from regulars.web.console.program import (
    errors_for,
    level_rows,
    posted_values,
    program_of,
    values_of,
)
from regulars.web.console.scenarios import SETTINGS_FIELDS, settings_of, settings_values
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

EDIT = [needs(Permission.PROGRAM_EDIT)]


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _back(scenario_id: int) -> Response:
    return RedirectResponse(f"/console/scenarios/{scenario_id}", status_code=303)


# Name, period and assumptions ------------------------------------------------------------------


def _form_page(
    request: Request,
    reader: Reader,
    template: str,
    scenario: Scenario,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """A scenario's settings or draft program form (``template``), with ``errors`` beside
    their fields."""
    return render(
        request,
        f"console/{template}.html",
        reader,
        status_code=status_code,
        scenario=scenario,
        values=values,
        errors=errors,
    )


@router.get("/scenarios/{scenario_id}/settings", dependencies=EDIT)
def scenario_settings_page(
    request: Request, reader: StaffReader, runtime: RuntimeDep, scenario_id: int
) -> Response:
    scenario = scenarios.get(runtime, _tenant(reader), scenario_id)
    return _form_page(
        request,
        reader,
        "scenario_settings",
        scenario,
        errors={},
        values=settings_values(scenario, digits=reader.minor_digits()),
    )


@router.post("/scenarios/{scenario_id}/settings", dependencies=EDIT)
def scenario_settings_save(
    request: Request, reader: StaffReader, runtime: RuntimeDep, scenario_id: int, form: Form
) -> Response:
    tenant_id = _tenant(reader)
    scenario = scenarios.get(runtime, tenant_id, scenario_id)
    values = {name: text(form, name, 200) for name in SETTINGS_FIELDS}
    try:
        found = settings_of(values, digits=reader.minor_digits())
        scenarios.change_settings(
            runtime,
            tenant_id,
            scenario_id,
            name=found.name,
            first_day=found.first_day,
            last_day=found.last_day,
            assumptions=found.assumptions,
            actor=staff_actor(reader),
        )
    except RegularsError as exc:
        return _form_page(
            request,
            reader,
            "scenario_settings",
            scenario,
            values=values,
            errors=form_errors(exc, reader),
            status_code=422,
        )
    return _back(scenario_id)


# The draft program -------------------------------------------------------------------------------


@router.get("/scenarios/{scenario_id}/program", dependencies=EDIT)
def scenario_program_page(
    request: Request, reader: StaffReader, runtime: RuntimeDep, scenario_id: int
) -> Response:
    tenant_id = _tenant(reader)
    scenario = scenarios.get(runtime, tenant_id, scenario_id)
    shown = scenario.program or programs.current(runtime, tenant_id).rules
    return _form_page(
        request,
        reader,
        "scenario_program",
        scenario,
        errors={},
        values=values_of(programs.rules_of(shown), digits=reader.minor_digits()),
    )


@router.post("/scenarios/{scenario_id}/program", dependencies=EDIT)
def scenario_program_save(
    request: Request, reader: StaffReader, runtime: RuntimeDep, scenario_id: int, form: Form
) -> Response:
    """Save the form as the scenario's draft program, whole (the fields it leaves out kept
    from the draft, or the current program for a scenario without one); ``use_current``
    drops the draft so the scenario replays the current program."""
    tenant_id = _tenant(reader)
    scenario = scenarios.get(runtime, tenant_id, scenario_id)
    if form.get("use_current"):
        scenarios.change_program(runtime, tenant_id, scenario_id, None, actor=staff_actor(reader))
        return _back(scenario_id)
    rows = level_rows(form)
    base = scenario.program or programs.current(runtime, tenant_id).rules
    try:
        draft = program_of(form, base, digits=reader.minor_digits())
        scenarios.change_program(runtime, tenant_id, scenario_id, draft, actor=staff_actor(reader))
    except RegularsError as exc:
        return _form_page(
            request,
            reader,
            "scenario_program",
            scenario,
            values=posted_values(form),
            errors=errors_for(exc, reader, rows),
            status_code=422,
        )
    return _back(scenario_id)
