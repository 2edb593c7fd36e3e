"""Reading one cell of an import file as the value its field takes, or saying why not.

Each reader takes the cell as the file gave it (text from CSV; text, number, date or datetime
from XLSX) and returns the value or raises :class:`CellError` (a ``ValueError``) with a reason a
person can act on, as a template and its values, so that the console shows it in the reader's
language while the CLI and the API read it in English.
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


def N_(message: str) -> str:
    """``message`` as it is: marks a message the console translates where it shows it."""
    return message


_NOT_A_DATE = N_("not a date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY): %(value)s")


class CellError(ValueError):
    """Why a cell cannot be read: ``template`` with ``%(name)s`` placeholders filled from
    ``params``; its text is the English sentence."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


def text(cell: object, *, limit: int = MAX_TEXT) -> str:
    """The cell as stripped text of at most ``limit`` characters; ``""`` for an empty cell.
    A whole number read from a spreadsheet as a float is written without ``.0``."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    value = str(cell).strip()
    if len(value) > limit:
        raise CellError(N_("longer than %(limit)s characters"), limit=limit)
    return value


def plain_minor(cell: str, exponent: int) -> int | None:
    """``cell`` in minor units when it is plain digits with at most ``exponent`` decimals
    after a point (``12``, `` 12.5 ``), read as whole numbers; ``None`` for any other shape
    (read by :func:`amount_minor` or :func:`quantity_milli`, which say what is wrong)."""
    whole, point, fraction = cell.strip().partition(".")
    if not whole.isdigit() or not whole.isascii() or len(whole) > 15 or (point and not (
            0 < len(fraction) <= exponent and fraction.isdigit() and fraction.isascii())):
        return None
    scale: int = 10**exponent
    return int(whole) * scale + (int(fraction.ljust(exponent, "0")) if point else 0)


def _decimal(cell: object) -> Decimal:
    if isinstance(cell, bool):
        raise CellError(N_("not a number"))
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell))
    raw = _SPACES.sub("", str(cell))
    if _GROUPED.fullmatch(raw):  # 1,234.50: the comma groups thousands
        raw = raw.replace(",", "")
    if not _NUMBER.fullmatch(raw):
        raise CellError(N_("not a number: %(value)s"), value=repr(str(cell)[:20]))
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise CellError(N_("not a number: %(value)s"), value=repr(str(cell)[:20])) from None


def amount_minor(cell: object, *, exponent: int = 2) -> int:
    """A non-negative amount with at most ``exponent`` decimals, in minor units."""
    if cell is None or cell == "":
        raise CellError(N_("the amount is missing"))
    value = _decimal(cell)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise CellError(N_("more than %(digits)s decimals"), digits=exponent)
    minor = int(scaled)
    if minor < 0:
        raise CellError(N_("a negative amount (import refunds as their own receipts' lines "
                           "is not supported)"))
    if minor >= MAX_AMOUNT_MINOR:
        raise CellError(N_("the amount is too large"))
    return minor


def quantity_milli(cell: object) -> int:
    """A non-negative quantity with at most three decimals, in thousandths; 1 when empty."""
    if cell is None or cell == "":
        return 1000
    value = _decimal(cell).scaleb(3)
    if value != value.to_integral_value():
        raise CellError(N_("more than %(digits)s decimals"), digits=3)
    milli = int(value)
    if not 0 <= milli < MAX_QUANTITY_MILLI:
        raise CellError(N_("the quantity is negative or too large"))
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
        raise CellError(N_("the date is missing"))
    day_part, _, time_part = raw.partition(" ")
    day = _parse_day(day_part)
    if not time_part.strip():
        return datetime.combine(day, NOON)
    for pattern in _TIME_FORMATS:
        try:
            return datetime.combine(day, datetime.strptime(time_part.strip(), pattern).time())
        except ValueError:
            continue
    raise CellError(N_("not a time of day: %(value)s"), value=repr(time_part.strip()))


def _parse_day(raw: str) -> date:
    if len(raw) == 8 and raw.isdigit():  # the common shapes first, without strptime
        try:
            return _plausible(date(int(raw[:4]), int(raw[4:6]), int(raw[6:])), raw)
        except ValueError:  # "20241301": eight digits that are no day
            raise CellError(_NOT_A_DATE, value=repr(raw[:20])) from None
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
    raise CellError(_NOT_A_DATE, value=repr(raw[:20]))


def _plausible(found: date, raw: str) -> date:
    if not 1900 <= found.year <= 2999:
        raise CellError(_NOT_A_DATE, value=repr(raw[:20]))
    return found


def birthday(cell: object) -> date | None:
    if cell is None or cell == "":
        return None
    return local_datetime(cell).date()
