"""Promotion conditions: CEL expressions over plain data only (see :func:`cel_context`):
``basket``, ``member`` (``null`` on an anonymous receipt), ``store`` and ``time`` (local to the
tenant). Checked on save against sample receipts and a cost budget (see
:mod:`regulars.domain.promotions.condition_cost`); at checkout a condition that fails to
evaluate (say ``member.level`` on an anonymous receipt) counts as false, and so does one whose
cost on the receipt's basket is past what is left of the quote's budget (it is not run).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from regulars.domain.checkout.quote import BasketLine
from regulars.domain.promotions.condition_cost import (
    Shape,
    analyse,
    check_shape,
    cost,
)
from regulars.errors import InvalidInput
from regulars.services.promotions.cel_engine import cel

MAX_CONDITION_CHARS = 2000
# The work (see condition_cost.cost) a condition may take on a basket of REFERENCE_LINES lines
# to be saved, and all the conditions of one quote together at checkout: a few milliseconds.
COST_BUDGET = 5000
REFERENCE_LINES = 100
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


def shape_of(text: str) -> Shape | None:
    """The shape of a compiled condition, ``None`` when it is nested too deep to measure
    (such a condition is never run)."""
    try:
        return analyse(text)
    except InvalidInput:
        return None


def check_cost(text: str) -> Shape:
    """Raise :class:`InvalidInput` (field ``condition``) when the compiled ``text`` is past a
    structural limit or costs more than :data:`COST_BUDGET` on a basket of
    :data:`REFERENCE_LINES` lines."""
    shape = analyse(text)
    check_shape(shape)
    work = cost(shape, REFERENCE_LINES)
    if work > COST_BUDGET:
        raise InvalidInput(
            "condition: too costly: %(work)s units of work on a basket of %(lines)s lines, "
            "at most %(budget)s (map and filter cost the square of the basket's lines; "
            "exists and all cost far less)", field="condition",
            params={"work": work, "lines": REFERENCE_LINES, "budget": COST_BUDGET})
    return shape


def check_condition(text: str) -> cel.Program:
    """Compile ``text``, check its cost (:func:`check_cost`) and run it on sample receipts
    (a member's and an anonymous one); raises :class:`InvalidInput` when it fails on the
    member's or gives anything but a boolean."""
    program = compile_condition(text)
    check_cost(text)
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


class Budget:
    """The work the conditions of one quote may still take (see :data:`COST_BUDGET`)."""

    def __init__(self, lines: int, left: int = COST_BUDGET) -> None:
        self.lines = lines
        self.left = left

    def take(self, shape: Shape | None) -> bool:
        """Whether a condition of ``shape`` fits in what is left, which it then uses up."""
        if shape is None:
            return False
        work = cost(shape, self.lines)
        if work > self.left:
            return False
        self.left -= work
        return True


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
