"""Promotion conditions in plain words: a few questions a marketer picks from a list, and
the CEL condition they stand for.

:func:`to_cel` writes the condition of a :class:`Conditions`; :func:`from_cel` reads back a
condition written that way (and ``None`` for any other text, which is then edited as CEL).
Every condition picked must hold (they are joined by ``&&``); none picked is ``true``. Each
reads only ``basket`` and ``member`` and walks the basket at most with ``exists``, so it
stays far inside the cost budget of :mod:`regulars.domain.promotions.condition_cost`.

Questions about the member are false on an anonymous receipt (the member is ``null`` and
the condition fails to evaluate, which checkout counts as false).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

QUANTITY_SCALE = 1000  # basket quantities are in thousandths (quantity_milli)
MAX_CODE_CHARS = 64
MAX_LEVELS = 20


@dataclass(frozen=True, kw_only=True)
class Conditions:
    """What a receipt must have for the promotion to apply. ``None``, empty or false: not
    asked. Quantities are in thousandths of a unit, as the basket carries them."""

    min_total_minor: int | None = None
    min_quantity_milli: int | None = None
    category: str = ""
    category_milli: int = QUANTITY_SCALE
    sku: str = ""
    sku_milli: int = QUANTITY_SCALE
    levels: tuple[str, ...] = ()
    members_only: bool = False
    first_purchase: bool = False
    birthday: bool = False
    min_visits: int | None = None

    def __post_init__(self) -> None:
        for name in ("min_total_minor", "min_quantity_milli", "min_visits"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("category_milli", "sku_milli"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        for name in ("category", "sku"):
            if len(getattr(self, name)) > MAX_CODE_CHARS:
                raise ValueError(f"{name} must be at most {MAX_CODE_CHARS} characters")
        if len(self.levels) > MAX_LEVELS:
            raise ValueError(f"levels: at most {MAX_LEVELS}")


NOTHING = Conditions()


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line_test(field: str, code: str, milli: int) -> str:
    quantity = f" && l.quantity_milli >= {milli}" if milli != QUANTITY_SCALE else ""
    return f"basket.lines.exists(l, l.{field} == {_text(code)}{quantity})"


def _levels(levels: tuple[str, ...]) -> str:
    if len(levels) == 1:
        return f"member.level == {_text(levels[0])}"
    return f"member.level in [{', '.join(_text(code) for code in levels)}]"


def parts_of(conditions: Conditions) -> list[str]:
    """The CEL of each condition picked, in a fixed order."""
    c = conditions
    found = []
    if c.min_total_minor is not None:
        found.append(f"basket.total_minor >= {c.min_total_minor}")
    if c.min_quantity_milli is not None:
        found.append(f"basket.quantity_milli >= {c.min_quantity_milli}")
    if c.category:
        found.append(_line_test("category", c.category, c.category_milli))
    if c.sku:
        found.append(_line_test("sku", c.sku, c.sku_milli))
    if c.members_only:
        found.append("member != null")
    if c.levels:
        found.append(_levels(c.levels))
    if c.first_purchase:
        found.append("member.first_purchase")
    if c.birthday:
        found.append("member.birthday_today")
    if c.min_visits is not None:
        found.append(f"member.visits >= {c.min_visits}")
    return found


def to_cel(conditions: Conditions) -> str:
    """The CEL condition: every part joined by ``&&``, or ``true`` when nothing is asked."""
    return " && ".join(parts_of(conditions)) or "true"


_STRING = r'"(?:[^"\\]|\\.)*"'
_LINE = re.compile(rf"basket\.lines\.exists\(l, l\.(category|sku) == ({_STRING})"
                   r"(?: && l\.quantity_milli >= (\d+))?\)")
_NUMBER = {"basket.total_minor >= ": "min_total_minor",
           "basket.quantity_milli >= ": "min_quantity_milli",
           "member.visits >= ": "min_visits"}
_FLAGS = {"member != null": "members_only", "member.first_purchase": "first_purchase",
          "member.birthday_today": "birthday"}


def _string(literal: str) -> str:
    value = json.loads(literal)
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _read_levels(part: str) -> tuple[str, ...] | None:
    if re.fullmatch(rf"member\.level == {_STRING}", part):
        return (_string(part.removeprefix("member.level == ")),)
    found = re.fullmatch(rf"member\.level in \[((?:{_STRING})(?:, {_STRING})*)\]", part)
    if found is None:
        return None
    return tuple(_string(m) for m in re.findall(_STRING, found.group(1)))


def _read_part(part: str, into: dict[str, object]) -> bool:
    """Record what ``part`` asks in ``into``; ``False`` for a part this module never writes."""
    for prefix, name in _NUMBER.items():
        if part.startswith(prefix) and part[len(prefix):].isdigit():
            into[name] = int(part[len(prefix):])
            return True
    if part in _FLAGS:
        into[_FLAGS[part]] = True
        return True
    line = _LINE.fullmatch(part)
    if line is not None:
        field, code, milli = line.group(1), _string(line.group(2)), line.group(3)
        into[field] = code
        into[f"{field}_milli"] = int(milli) if milli else QUANTITY_SCALE
        return True
    levels = _read_levels(part)
    if levels is not None:
        into["levels"] = levels
        return True
    return False


def _top_level(text: str) -> list[str]:
    """``text`` split at each `` && `` outside brackets and strings."""
    parts, depth, start, index, quoted = [], 0, 0, 0, False
    while index < len(text):
        char = text[index]
        if quoted:
            index += 2 if char == "\\" else 1
            quoted = char != '"'
            continue
        if char == '"':
            quoted = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and text.startswith(" && ", index):
            parts.append(text[start:index])
            start = index = index + 4
            continue
        index += 1
    parts.append(text[start:])
    return parts


def from_cel(text: str) -> Conditions | None:
    """The :class:`Conditions` that :func:`to_cel` turns into ``text``, or ``None`` when
    ``text`` was not written that way (say by hand, or with ``||``)."""
    text = text.strip()
    if text == "true":
        return NOTHING
    found: dict[str, object] = {}
    try:
        if not all(_read_part(part, found) for part in _top_level(text)):
            return None
        conditions = replace(NOTHING, **found)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
    # Written back the same way, or it was not ours (a part twice, another order).
    return conditions if to_cel(conditions) == text else None
