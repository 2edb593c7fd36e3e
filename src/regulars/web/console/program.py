"""Console pages: the base program's editor, with a live preview of its terms and of
example receipts priced by the real engine, and the version history.

The form's names are the page's own (``point_value`` in money, ``redeem_share_max`` in
percent, ``level-<n>-rate``...); :func:`changes_of` parses them exactly into the program's
rule fields (minor units, basis points), and :func:`field_of` maps a rule error back to the
input it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.program.program import Program
from regulars.errors import InvalidInput, RegularsError
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_int, parse_money
from regulars.web.templating import Reader, render

SIMPLE = {"point_value_minor": "point_value", "redeem_share_max_bp": "redeem_share_max",
          "cashback_rate_bp": "cashback_rate"}
CASHBACK_BASES = ("paid", "earn_basis")
ROUNDINGS = ("floor", "half_up", "half_even", "ceiling")
LEVEL_PARTS = {"name": "name", "code": "code", "threshold_minor": "threshold",
               "rate_bp": "rate"}
LEVEL_ROW = re.compile(r"level-(\d+)-name")
MAX_LEVELS = 20


def parse_percent(text: str, *, field: str) -> int:
    """Basis points from a percentage typed by a person (``"3.5"`` → 350), exact."""
    try:
        rate_bp = parse_money(text, digits=2, field=field)
    except InvalidInput as exc:
        raise InvalidInput("enter a percentage with at most 2 decimals, e.g. 3.5",
                           field=field) from exc
    if rate_bp > 10_000:
        raise InvalidInput("enter a percentage from 0 to 100", field=field)
    return rate_bp


def _optional_int(text: str, *, field: str) -> int | None:
    return None if not text.strip() else parse_int(text, field=field)


def _categories(text: str) -> list[str]:
    return sorted({part.strip() for part in text.split(",") if part.strip()})


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")


def level_rows(form: FormData) -> list[int]:
    """The form's level rows, by their index in the page (rows may have been removed)."""
    found = sorted(int(m.group(1)) for key in form.keys() if (m := LEVEL_ROW.fullmatch(key)))
    return found[:MAX_LEVELS]


def changes_of(form: FormData, *, digits: int) -> dict[str, Any]:
    """The rule fields a posted form sets. Raises :class:`InvalidInput` naming the input."""

    def text(name: str) -> str:
        return str(form.get(name) or "")

    levels = []
    for row in level_rows(form):
        name = text(f"level-{row}-name").strip()
        if not name:
            raise InvalidInput("enter the level's name", field=f"level-{row}-name")
        levels.append({
            "name": name,
            "code": text(f"level-{row}-code").strip() or _slug(name),
            "threshold_minor": parse_money(text(f"level-{row}-threshold") or "0",
                                           digits=digits, field=f"level-{row}-threshold"),
            "rate_bp": parse_percent(text(f"level-{row}-rate"), field=f"level-{row}-rate")})
    if not levels:
        raise InvalidInput("add at least one level", field="levels")
    return {
        "earn_mode": text("earn_mode"), "levels": levels,
        "level_window": text("level_window"), "downgrade_policy": text("downgrade_policy"),
        "point_value_minor": parse_money(text("point_value"), digits=digits,
                                         field="point_value"),
        "redeem_share_max_bp": parse_percent(text("redeem_share_max"),
                                             field="redeem_share_max"),
        "redeem_min_balance_points": parse_int(text("redeem_min_balance_points") or "0",
                                               field="redeem_min_balance_points"),
        "redeem_excluded_categories": _categories(text("redeem_excluded_categories")),
        "earn_excluded_categories": _categories(text("earn_excluded_categories")),
        "expire_after_days": _optional_int(text("expire_after_days"),
                                           field="expire_after_days"),
        "pending_days": parse_int(text("pending_days") or "0", field="pending_days"),
        "rounding": text("rounding"), "rounding_scope": text("rounding_scope"),
        "welcome_bonus_points": parse_int(text("welcome_bonus_points") or "0",
                                          field="welcome_bonus_points"),
        "otp_above_points": _optional_int(text("otp_above_points"), field="otp_above_points"),
        **_cashback_changes(text),
    }


def program_of(form: FormData, base: Program, *, digits: int) -> Program:
    """The program a posted form describes: ``base`` with the fields the form sets (the
    ones it leaves out, as cashback in a form posted before it was shown, kept from
    ``base``). Raises :class:`InvalidInput` naming the input or the rule field."""
    return programs.parse_rules({**programs.rules_of(base), **changes_of(form, digits=digits)})


def _cashback_changes(text: Callable[[str], str]) -> dict[str, Any]:
    """The cashback rule's fields of a posted form (a form without them, as posted before
    they were shown, changes none). Raises :class:`InvalidInput` naming the input."""
    if not any(text(name) for name in ("cashback_rate", "cashback_basis", "cashback_rounding")):
        return {}
    basis, rounding = text("cashback_basis") or "paid", text("cashback_rounding") or "floor"
    if basis not in CASHBACK_BASES:
        raise InvalidInput("choose what the cashback is a share of", field="cashback_basis")
    if rounding not in ROUNDINGS:
        raise InvalidInput("choose how the cashback is rounded", field="cashback_rounding")
    return {"cashback_rate_bp": parse_percent(text("cashback_rate") or "0",
                                              field="cashback_rate"),
            "cashback_basis": basis, "cashback_rounding": rounding,
            "cashback_excluded_categories": _categories(text("cashback_excluded_categories"))}


def field_of(rule_field: str | None, detail: str, rows: list[int]) -> str:
    """The input a rule error is about (``levels.1.rate_bp`` → ``level-<row>-rate``)."""
    if rule_field is None:
        return "_form"
    if rule_field in SIMPLE:
        return SIMPLE[rule_field]
    parts = rule_field.split(".")
    if parts[0] == "levels" and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1])
        row = rows[index] if index < len(rows) else index
        part = LEVEL_PARTS.get(parts[2], "name") if len(parts) > 2 else next(
            (LEVEL_PARTS[p] for p in LEVEL_PARTS if p.split("_")[0] in detail), "name")
        return f"level-{row}-{part}"
    return parts[0]


def errors_for(exc: RegularsError, reader: Reader, rows: list[int]) -> dict[str, str]:
    """The form's error beside the input it is about, in the reader's language (the message
    translated before its numbers are filled in)."""
    detail, template = exc.detail, exc.template
    prefix = f"{exc.field}: " if exc.field else None
    if prefix and detail.startswith(prefix):
        detail = detail.removeprefix(prefix)
        template = template.removeprefix(prefix)
    return {field_of(exc.field, detail, rows): reader.gettext(template, **exc.params)}


def decimal_text(amount: int, digits: int) -> str:
    """An amount in minor units as the form shows it (``1250``, 2 digits → ``12.50``)."""
    return f"{Decimal(amount).scaleb(-digits):f}" if digits else str(amount)


def percent_text(rate_bp: int) -> str:
    """Basis points as the form's percentage (``350`` → ``3.5``), exact."""
    text = f"{Decimal(rate_bp).scaleb(-2):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def values_of(rules: dict[str, Any], *, digits: int) -> dict[str, Any]:
    """The form's values showing ``rules``."""

    def optional(value: int | None) -> str:
        return "" if value is None else str(value)

    return {
        "earn_mode": rules["earn_mode"], "level_window": rules["level_window"],
        "downgrade_policy": rules["downgrade_policy"],
        "levels": [{"row": i, "name": lv["name"], "code": lv["code"],
                    "threshold": decimal_text(lv["threshold_minor"], digits),
                    "rate": percent_text(lv["rate_bp"])}
                   for i, lv in enumerate(rules["levels"])],
        "point_value": decimal_text(rules["point_value_minor"], digits),
        "redeem_share_max": percent_text(rules["redeem_share_max_bp"]),
        "redeem_min_balance_points": str(rules["redeem_min_balance_points"]),
        "redeem_excluded_categories": ", ".join(rules["redeem_excluded_categories"]),
        "earn_excluded_categories": ", ".join(rules["earn_excluded_categories"]),
        "expire_after_days": optional(rules["expire_after_days"]),
        "pending_days": str(rules["pending_days"]), "rounding": rules["rounding"],
        "rounding_scope": rules["rounding_scope"],
        "welcome_bonus_points": str(rules["welcome_bonus_points"]),
        "otp_above_points": optional(rules["otp_above_points"]), "note": "",
        "cashback_rate": percent_text(rules["cashback_rate_bp"]),
        "cashback_basis": rules["cashback_basis"], "cashback_rounding": rules["cashback_rounding"],
        "cashback_excluded_categories": ", ".join(sorted(rules["cashback_excluded_categories"])),
    }


def posted_values(form: FormData) -> dict[str, Any]:
    """The form's values as posted (to show them again beside an error)."""
    values: dict[str, Any] = {key: str(value) for key, value in form.items()
                              if not key.startswith("level-") and key != "csrf"}
    values["levels"] = [{"row": row, **{part: str(form.get(f"level-{row}-{part}") or "")
                                        for part in ("name", "code", "threshold", "rate")}}
                        for row in level_rows(form)]
    return values


def _preview(runtime: Runtime, reader: Reader, tenant_id: int,
             changes: dict[str, Any] | None) -> programs.Preview:
    return programs.preview(runtime, tenant_id, changes or {}, language=reader.language,
                            locale=reader.locale)


def _page(request: Request, runtime: Runtime, reader: Reader, *, values: dict[str, Any],
          errors: dict[str, str], preview: programs.Preview | None, status_code: int = 200,
          saved: int | None = None) -> Response:
    tenant_id = _tenant(reader)
    return render(request, "console/program.html", reader, status_code=status_code,
                  values=values, errors=errors, preview=preview,
                  current=programs.current(runtime, tenant_id).version,
                  history=list(reversed(programs.history(runtime, tenant_id))), saved=saved,
                  step=decimal_text(1, reader.minor_digits()))


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


@router.get("/program", dependencies=[needs(Permission.VIEW)])
def program_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                 saved: int | None = None) -> Response:
    current = programs.current(runtime, _tenant(reader))
    return _page(request, runtime, reader,
                 values=values_of(programs.rules_of(current.rules),
                                   digits=reader.minor_digits()),
                 errors={}, preview=_preview(runtime, reader, _tenant(reader), None),
                 saved=saved)


@router.post("/program/preview", dependencies=[needs(Permission.VIEW)])
def program_preview(request: Request, runtime: RuntimeDep, reader: StaffReader,
                    form: Form) -> Response:
    rows = level_rows(form)
    try:
        changes = changes_of(form, digits=reader.minor_digits())
        preview = _preview(runtime, reader, _tenant(reader), changes)
    except RegularsError as exc:
        return render(request, "console/program_preview.html", reader, preview=None,
                      errors=errors_for(exc, reader, rows))
    return render(request, "console/program_preview.html", reader, preview=preview, errors={})


@router.post("/program", dependencies=[needs(Permission.PROGRAM_EDIT)])
def program_save(request: Request, runtime: RuntimeDep, reader: StaffReader,
                 form: Form) -> Response:
    rows = level_rows(form)
    try:
        changes = changes_of(form, digits=reader.minor_digits())
        version = programs.save_edit(runtime, _tenant(reader), changes,
                                     note=str(form.get("note") or ""),
                                     actor=staff_actor(reader))
    except RegularsError as exc:
        return _page(request, runtime, reader, values=posted_values(form),
                     errors=errors_for(exc, reader, rows), preview=None, status_code=422)
    return RedirectResponse(f"/console/program?saved={version}", status_code=303)
