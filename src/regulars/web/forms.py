"""Form errors: a service's error becomes a message next to the field it names."""

from __future__ import annotations

from datetime import date

from regulars.domain.catalog.products import parse_price
from regulars.errors import InvalidInput, RegularsError
from regulars.web.templating import Reader


def errors_of(exc: RegularsError, reader: Reader) -> dict[str, str]:
    """``{field: message}`` for a form; an error that names no field goes to ``_form``."""
    return {exc.field or "_form": reader.gettext(exc.template, **exc.params)}


def parse_money(text: str, *, digits: int, field: str) -> int:
    """Minor units from what a person typed (``"12.50"``, ``"12,5"``, ``"1 234.00"``), exact:
    no float is involved. Raises :class:`InvalidInput` naming ``field`` with the actual
    problem: ``"must be 0 or more"`` for ``"-5"``, not a word about decimals."""
    try:
        return parse_price(text, digits=digits)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field, params={"digits": digits}) from exc


def parse_int(text: str, *, field: str, minimum: int = 0, maximum: int = 10 ** 12) -> int:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned.lstrip("-").isdigit() or not minimum <= int(cleaned) <= maximum:
        raise InvalidInput("enter a whole number from %(minimum)s to %(maximum)s", field=field,
                           params={"minimum": minimum, "maximum": maximum})
    return int(cleaned)


def parse_day(text: str, *, field: str) -> date:
    """A day typed as ``2026-04-25`` (or ``20260425``). Raises :class:`InvalidInput` naming
    ``field`` with a translated sentence for anything else, ``20241301`` included: never the
    parser's own English words."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput("enter a date like 2026-04-25", field=field) from exc


def amount_text(amount_minor: int, digits: int) -> str:
    """``350`` as ``"3.50"``: an amount for a form's field, as :func:`parse_money` reads it."""
    if not digits:
        return str(amount_minor)
    whole, fraction = divmod(amount_minor, 10 ** digits)
    return f"{whole}.{fraction:0{digits}d}"
