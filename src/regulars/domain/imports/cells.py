"""Reading one cell of an import file as the value its field takes, or saying why not.

Each reader takes the cell as the file gave it (text from CSV; text, number, date or datetime
from XLSX) and returns the value or raises ``ValueError`` with a reason a person can act on.
Amounts become integer minor units straight from their digits, never through a float
(``1 234,50`` → 123450 with two decimals).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

MAX_AMOUNT_MINOR = 10**12
MAX_QUANTITY_MILLI = 10**9
MAX_TEXT = 64

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_GROUPED = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%Y/%m/%d")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")
NOON = time(12)
"""The time of day a receipt dated without one is put at (its local day is then certain)."""


def text(cell: object, *, limit: int = MAX_TEXT) -> str:
    """The cell as stripped text of at most ``limit`` characters; ``""`` for an empty cell.
    A whole number read from a spreadsheet as a float is written without ``.0``."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    value = str(cell).strip()
    if len(value) > limit:
        raise ValueError(f"longer than {limit} characters")
    return value


def _decimal(cell: object) -> Decimal:
    if isinstance(cell, bool):
        raise ValueError("not a number")
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell))
    raw = _SPACES.sub("", str(cell))
    if _GROUPED.fullmatch(raw):  # 1,234.50: the comma groups thousands
        raw = raw.replace(",", "")
    if not _NUMBER.fullmatch(raw):
        raise ValueError(f"not a number: {str(cell)[:20]!r}")
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"not a number: {str(cell)[:20]!r}") from None


def amount_minor(cell: object, *, exponent: int = 2) -> int:
    """A non-negative amount with at most ``exponent`` decimals, in minor units."""
    if cell is None or cell == "":
        raise ValueError("the amount is missing")
    value = _decimal(cell)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"more than {exponent} decimals")
    minor = int(scaled)
    if minor < 0:
        raise ValueError("a negative amount (import refunds as their own receipts' lines "
                         "is not supported)")
    if minor >= MAX_AMOUNT_MINOR:
        raise ValueError("the amount is too large")
    return minor


def quantity_milli(cell: object) -> int:
    """A non-negative quantity with at most three decimals, in thousandths; 1 when empty."""
    if cell is None or cell == "":
        return 1000
    value = _decimal(cell).scaleb(3)
    if value != value.to_integral_value():
        raise ValueError("more than 3 decimals")
    milli = int(value)
    if not 0 <= milli < MAX_QUANTITY_MILLI:
        raise ValueError("the quantity is negative or too large")
    return milli


def local_datetime(cell: object) -> datetime:
    """A naive local date and time: a spreadsheet date or datetime, or text as
    ``2024-03-01``, ``20240301``, ``01.03.2024`` or ``2024/03/01``, optionally followed by
    ``13:45`` or ``13:45:10`` (or ISO ``2024-03-01T13:45``). A date alone is put at noon."""
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None)
    if isinstance(cell, date):
        return datetime.combine(cell, NOON)
    raw = text(cell, limit=40).replace("T", " ")
    if not raw:
        raise ValueError("the date is missing")
    day_part, _, time_part = raw.partition(" ")
    day = _parse_day(day_part)
    if not time_part.strip():
        return datetime.combine(day, NOON)
    for pattern in _TIME_FORMATS:
        try:
            return datetime.combine(day, datetime.strptime(time_part.strip(), pattern).time())
        except ValueError:
            continue
    raise ValueError(f"not a time of day: {time_part.strip()!r}")


def _parse_day(raw: str) -> date:
    if len(raw) == 8 and raw.isdigit():  # the common shapes first, without strptime
        return _plausible(date(int(raw[:4]), int(raw[4:6]), int(raw[6:])), raw)
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        try:
            return _plausible(date.fromisoformat(raw), raw)
        except ValueError:
            pass
    for pattern in _DATE_FORMATS:
        try:
            found = datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        if 1900 <= found.year <= 2999:
            return found
    raise ValueError(f"not a date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY): {raw[:20]!r}")


def _plausible(found: date, raw: str) -> date:
    if not 1900 <= found.year <= 2999:
        raise ValueError(f"not a date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY): {raw[:20]!r}")
    return found


def birthday(cell: object) -> date | None:
    if cell is None or cell == "":
        return None
    return local_datetime(cell).date()
