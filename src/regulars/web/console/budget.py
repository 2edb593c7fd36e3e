"""Console page of the monthly loyalty budget: its total in money and its split in percent
between the base scheme, mass and targeted promotions, with this month's burn per bucket
and per promotion. Anyone in the console sees it; changing it needs ``marketing_edit``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.errors import InvalidInput
from regulars.services.promotions import budgets, marketing_view
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import amount_text, errors_of, parse_money
from regulars.web.templating import Reader, render

SHARES = ("base", "mass", "targeted")


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _values(split: budgets.SplitView, digits: int) -> dict[str, str]:
    found = {"total": "" if split.total_minor is None else amount_text(split.total_minor,
                                                                        digits)}
    for name in SHARES:
        found[name] = amount_text(getattr(split, f"{name}_bp"), 2)
    return found


def _page(request: Request, reader: Reader, runtime: RuntimeDep, *,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          saved: bool = False, status_code: int = 200) -> Response:
    data = marketing_view.budget_page(runtime, _tenant(reader))
    return render(request, "console/budget.html", reader, status_code=status_code,
                  values=values or _values(data["split"], reader.minor_digits()),
                  errors=errors or {}, saved=saved, shares=SHARES, **data)


@router.get("/budget", dependencies=[needs(Permission.VIEW)])
def budget_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                saved: str = "") -> Response:
    return _page(request, reader, runtime, saved=saved == "1")


def _read(values: dict[str, str], reader: Reader) -> tuple[dict[str, Any], dict[str, str]]:
    """The split the form describes (minor units, basis points), and every problem found."""
    found: dict[str, Any] = {"total_minor": None}
    errors: dict[str, str] = {}
    readings = [("total", "total_minor", reader.minor_digits())] + [
        (name, f"{name}_bp", 2) for name in SHARES]
    for name, key, digits in readings:
        if not values[name] and name == "total":
            continue
        try:
            found[key] = parse_money(values[name] or "0", digits=digits, field=name)
        except InvalidInput as exc:
            errors[name] = errors_of(exc, reader)[name]
    shares = [found.get(f"{name}_bp") for name in SHARES]
    if not errors and any(s > 10_000 for s in shares if s is not None):
        errors["_form"] = reader.gettext("each share must lie between 0 and 100 %")
    elif not errors and sum(s or 0 for s in shares) != 10_000:
        errors["_form"] = reader.gettext("the three shares must add up to 100 %")
    return found, errors


@router.post("/budget", dependencies=[needs(Permission.MARKETING_EDIT)])
def budget_save(request: Request, reader: StaffReader, runtime: RuntimeDep,
                form: Form) -> Response:
    values = {name: text(form, name, 40).strip() for name in ("total", *SHARES)}
    found, errors = _read(values, reader)
    if not errors:
        try:
            budgets.put_split(runtime, _tenant(reader), **found,
                              actor=staff_actor(reader))
        except InvalidInput as exc:
            errors = errors_of(exc, reader)
        else:
            return RedirectResponse("/console/budget?saved=1", status_code=303)
    return _page(request, reader, runtime, values=values, errors=errors, status_code=422)
