"""Receipts from whitespace-separated text: ``customer date quantity amount`` per line, as in
the CDNOW files (``00002 19970112  5   77.00``).

- ``customer`` is kept as text (leading zeros and all);
- ``date`` is ``YYYYMMDD``;
- ``quantity`` is a whole number >= 0 (checked, then not kept: the models read amounts);
- ``amount`` is a non-negative decimal with at most two decimals, read as integer minor units
  straight from its digits (no float in between): ``77.00`` → 7700, ``5.5`` → 550, ``12`` →
  1200.

``skip_fields`` fields after the customer are ignored (the 1/10 CDNOW sample carries its own
running customer number there). A first line with no digit in it is a header and skipped;
blank lines are skipped; anything else that does not parse raises ``ValueError`` naming the
line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from regulars.analytics.summary import Receipt

_AMOUNT = re.compile(r"(\d+)(?:\.(\d{1,2}))?")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_amount_minor(text: str) -> int:
    """``"77.00"`` → 7700; ``ValueError`` for anything but digits with up to two decimals."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise ValueError(f"not an amount with at most two decimals: {text!r}")
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def _parse_date(text: str) -> date:
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a YYYYMMDD date: {text!r}")
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _parse_line(fields: list[str], skip_fields: int) -> Receipt:
    if len(fields) != 4 + skip_fields:
        raise ValueError(f"expected {4 + skip_fields} fields, found {len(fields)}")
    customer, day, quantity, amount = fields[0], *fields[1 + skip_fields:]
    if not quantity.isdigit():
        raise ValueError(f"not a whole quantity: {quantity!r}")
    return Receipt(member_id=customer, on=_parse_date(day),
                   amount_minor=parse_amount_minor(amount))


def parse_receipt_lines(lines: Iterable[str], *, skip_fields: int = 0) -> Iterator[Receipt]:
    """The receipts in ``lines``, in order (see the module docstring for the format)."""
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or (number == 1 and not any(ch.isdigit() for ch in line)):
            continue
        try:
            yield _parse_line(fields, skip_fields)
        except ValueError as error:
            raise ValueError(f"line {number}: {error}") from None


def read_receipt_file(path: Path, *, skip_fields: int = 0) -> list[Receipt]:
    """Every receipt in the text file at ``path`` (ASCII; CRLF or LF line ends)."""
    with path.open(encoding="ascii") as lines:
        return list(parse_receipt_lines(lines, skip_fields=skip_fields))
