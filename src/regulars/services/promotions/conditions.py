"""Promotion conditions: CEL expressions over plain data only (see :func:`cel_context`):
``basket``, ``member`` (``null`` on an anonymous receipt), ``store`` and ``time`` (local to the
tenant). Checked on save against sample receipts; at checkout a condition that fails to
evaluate (say ``member.level`` on an anonymous receipt) counts as false.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import cel

from regulars.domain.checkout.quote import BasketLine
from regulars.errors import InvalidInput

MAX_CONDITION_CHARS = 2000
VARIABLES = frozenset({"basket", "member", "store", "time"})
# Names bound by CEL's comprehension macros (``lines.exists(l, ...)``) show up among an
# expression's variables; they are not free variables.
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


_SAMPLE_BASKET = {"total_minor": 15000, "quantity_milli": 3000, "lines": [
    {"sku": "sample", "category": "sample", "quantity_milli": 2000, "unit_price_minor": 5000,
     "amount_minor": 10000},
    {"sku": "other", "category": "other", "quantity_milli": 1000, "unit_price_minor": 5000,
     "amount_minor": 5000}]}
_SAMPLE_MEMBER = {"id": 1, "level": "base", "consent": "full", "visits": 3,
                  "spend_minor": 100000, "birthday_today": False, "first_purchase": False}
_SAMPLE_TIME = {"date": "2026-01-01", "weekday": 4, "hour": 12, "minute": 0}


def compile_condition(text: str) -> cel.Program:
    """Compile ``text``; raises :class:`InvalidInput` (field ``condition``) for a text that is
    empty or too long, does not parse (the message gives line and column) or reads a variable
    other than basket, member, store and time."""
    if not text.strip():
        raise InvalidInput("condition: must not be empty (use true)", field="condition")
    if len(text) > MAX_CONDITION_CHARS:
        raise InvalidInput(f"condition: at most {MAX_CONDITION_CHARS} characters",
                           field="condition")
    try:
        program = cel.compile(text)
    except ValueError as exc:
        raise InvalidInput(f"condition: {exc}", field="condition") from exc
    unknown = set(program.variables()) - VARIABLES - set(_BOUND.findall(text))
    if unknown:
        raise InvalidInput(f"condition: unknown variable {', '.join(sorted(unknown))}; "
                           "a condition may read basket, member, store and time",
                           field="condition")
    return program


def check_condition(text: str) -> cel.Program:
    """Compile ``text`` and run it on sample receipts (a member's and an anonymous one);
    raises :class:`InvalidInput` when it fails on the member's or gives anything but a
    boolean."""
    program = compile_condition(text)
    for member in (_SAMPLE_MEMBER, None):
        context = {"basket": _SAMPLE_BASKET, "member": member, "store": {"id": 1},
                   "time": _SAMPLE_TIME}
        try:
            result = program.execute(context)
        except Exception as exc:  # noqa: BLE001 - the library raises several kinds
            if member is None:
                continue  # e.g. member.level without a member: false at checkout
            raise InvalidInput(f"condition: fails on a sample receipt: {exc}",
                               field="condition") from exc
        if not isinstance(result, bool):
            raise InvalidInput(f"condition: must give true or false, not "
                               f"{type(result).__name__} ({result!r})", field="condition")
    return program


def holds(program: cel.Program, context: dict[str, Any] | cel.Context) -> bool:
    try:
        return program.execute(context) is True
    except Exception:  # noqa: BLE001 - an error at checkout means the condition is not met
        return False


def birthday_today(birthday: date | None, today: date) -> bool:
    """Whether ``today`` is the member's birthday (29 February counts on the 28th in other
    years)."""
    if birthday is None:
        return False
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birthday.month, birthday.day) == (2, 29) and not leap and \
        (today.month, today.day) == (2, 28)


def variables_of(program: cel.Program) -> frozenset[str]:
    """The condition variables (of basket, member, store and time) ``program`` names."""
    return VARIABLES & frozenset(program.variables())


def cel_context(lines: tuple[BasketLine, ...], member: dict[str, Any] | None,
                store_id: int | None, local: datetime, *,
                names: frozenset[str] = VARIABLES) -> dict[str, Any]:
    """The variables of a receipt that conditions read, those in ``names`` only (a condition
    cannot read a variable it does not name, and converting one to CEL costs time)."""
    found: dict[str, Any] = {}
    if "basket" in names:
        amounts = [line.gross_minor - line.discount_minor for line in lines]
        found["basket"] = {
            "total_minor": sum(amounts),
            "quantity_milli": sum([line.quantity_milli for line in lines]),
            "lines": [{"sku": line.sku, "category": line.category,
                       "quantity_milli": line.quantity_milli,
                       "unit_price_minor": line.unit_price_minor, "amount_minor": a}
                      for line, a in zip(lines, amounts, strict=True)]}
    if "member" in names:
        found["member"] = member
    if "store" in names:
        found["store"] = {"id": store_id}
    if "time" in names:
        found["time"] = {"date": local.date().isoformat(), "weekday": local.isoweekday(),
                         "hour": local.hour, "minute": local.minute}
    return found
