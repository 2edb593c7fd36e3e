"""A file's rows as receipts or members to import, or the problems that keep each out.

Every row is read whole: all of its bad cells are reported, each with the row's number (as a
spreadsheet shows it: the header is row 1), the column as the file names it, and the reason.
A receipt row's identity (:func:`receipt_key`) is the receipt number the file gives or, when
it gives none, a digest of what the row says plus how many identical rows came before it in
the file: importing the same file again, or a longer one that starts with it, adds nothing
twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import TypeVar

from regulars.domain.imports import cells
from regulars.domain.imports.fields import ColumnMap


@dataclass(frozen=True, kw_only=True)
class Problem:
    """A bad cell of a row: ``reason`` in English, and (when known) the ``template`` it was
    filled from with ``params``, for a page to show in the reader's language."""

    row: int
    column: str
    reason: str
    template: str = ""
    params: Mapping[str, object] = field(default_factory=dict)


def problem(row: int, column: str, template: str, **params: object) -> Problem:
    """The problem ``template`` (``%(name)s`` placeholders) filled from ``params`` names."""
    return Problem(row=row, column=column, reason=template % params if params else template,
                   template=template, params=params)


@dataclass(frozen=True, kw_only=True)
class Who:
    """How a row names its member (raw, as the file gives them); all empty: nobody."""

    external_id: str = ""
    phone: str = ""
    card: str = ""

    def __bool__(self) -> bool:
        return bool(self.external_id or self.phone or self.card)


@dataclass(frozen=True, kw_only=True)
class ReceiptRow:
    row: int
    who: Who
    local_at: datetime
    amount_minor: int
    quantity_milli: int
    receipt: str
    store: str

    def digest(self) -> str:
        said = "|".join((self.who.external_id, self.who.phone, self.who.card,
                         self.local_at.isoformat(), str(self.amount_minor),
                         str(self.quantity_milli), self.store))
        return hashlib.sha256(said.encode()).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class MemberImportRow:
    row: int
    who: Who
    first_name: str
    last_name: str
    email: str
    birthday: date | None


T = TypeVar("T")


class _Reader:
    """Reads the mapped cells of one row, collecting a problem per bad cell."""

    def __init__(self, number: int, values: Sequence[object], mapping: ColumnMap,
                 header: Sequence[str]) -> None:
        self.number, self.values, self.mapping, self.header = number, values, mapping, header
        self.problems: list[Problem] = []

    def raw(self, field: str) -> object:
        index = self.mapping.get(field)
        if index is None or index >= len(self.values):
            return None
        return self.values[index]

    def read(self, field: str, parse: Callable[[object], T], default: T) -> T:
        try:
            return parse(self.raw(field))
        except ValueError as exc:
            index = self.mapping.get(field)
            column = self.header[index] if index is not None else field
            said = (Problem(row=self.number, column=column, reason=str(exc))
                    if not isinstance(exc, cells.CellError)
                    else problem(self.number, column, exc.template, **exc.params))
            self.problems.append(said)
            return default

    def who(self) -> Who:
        return Who(external_id=self.read("external_id", cells.text, ""),
                   phone=self.read("phone", cells.text, ""),
                   card=self.read("card", cells.text, ""))


_EPOCH = datetime(1970, 1, 1)


def receipt_row(number: int, values: Sequence[object], mapping: ColumnMap,
                header: Sequence[str], *, exponent: int = 2
                ) -> ReceiptRow | list[Problem]:
    reader = _Reader(number, values, mapping, header)
    row = ReceiptRow(
        row=number, who=reader.who(),
        local_at=reader.read("date", cells.local_datetime, _EPOCH),
        amount_minor=reader.read("amount", lambda c: cells.amount_minor(c, exponent=exponent),
                                 0),
        quantity_milli=reader.read("quantity", cells.quantity_milli, 0),
        receipt=reader.read("receipt", cells.text, ""),
        store=reader.read("store", cells.text, ""))
    return reader.problems or row


_RECEIPT_CELLS = ("external_id", "phone", "card", "receipt", "store", "date", "amount",
                  "quantity")


class ReceiptReader:
    """:func:`receipt_row` for the rows of one file: a row of the common shape (text cells,
    plain amounts and quantities) is read straight from its cells, each distinct date,
    amount and quantity of the file parsed once; any other row, and every bad one, is read
    by :func:`receipt_row` itself, so what a row gives is the same either way. ``text``: the
    file's cells are all text (a CSV's), not a spreadsheet's values."""

    def __init__(self, mapping: ColumnMap, header: Sequence[str], *, exponent: int = 2,
                 text: bool = False) -> None:
        self.mapping, self.header, self.exponent, self.text = mapping, header, exponent, text
        at = [mapping.get(f) for f in _RECEIPT_CELLS]
        # An unmapped field reads the "" put after the row's cells.
        self._get = itemgetter(*(-1 if i is None else i for i in at))
        self._dates: dict[str, datetime] = {}
        self._amounts: dict[str, int] = {}
        self._quantities: dict[str, int] = {"": 1000}

    def __call__(self, number: int, values: Sequence[object]) -> ReceiptRow | list[Problem]:
        row = self._plain(number, values)
        if row is None:
            return receipt_row(number, values, self.mapping, self.header,
                               exponent=self.exponent)
        return row

    def _plain(self, number: int, values: Sequence[object]) -> ReceiptRow | None:
        try:  # a cell past the row's end (or the "" after it) is as good as empty
            found: tuple[str, ...] = self._get([*values, ""])
        except IndexError:
            return None
        if not self.text and not all(type(cell) is str for cell in found):
            return None
        external_id, phone, card, receipt, store, day, amount, quantity = found
        texts = (external_id.strip(), phone.strip(), card.strip(), receipt.strip(),
                 store.strip())
        if max(map(len, texts)) > cells.MAX_TEXT:
            return None
        minor = self._amounts.get(amount)
        if minor is None:
            minor = _kept(self._amounts, amount, _plain_amount(amount, self.exponent))
        milli = self._quantities.get(quantity)
        if milli is None:
            milli = _kept(self._quantities, quantity, _plain_quantity(quantity))
        local_at = self._dates.get(day)
        if local_at is None:
            local_at = _kept(self._dates, day, _plain_date(day))
        if minor is None or milli is None or local_at is None:
            return None
        return ReceiptRow(row=number, who=Who(external_id=texts[0], phone=texts[1],
                                              card=texts[2]),
                          local_at=local_at, amount_minor=minor, quantity_milli=milli,
                          receipt=texts[3], store=texts[4])


_KEPT = 1 << 16
"""How many distinct dates, amounts and quantities a :class:`ReceiptReader` keeps read."""

K = TypeVar("K")


def _kept(kept: dict[str, K], cell: str, value: K | None) -> K | None:
    if value is not None and len(kept) < _KEPT:
        kept[cell] = value
    return value


def _plain_amount(cell: str, exponent: int) -> int | None:
    minor = cells.plain_minor(cell, exponent)
    return minor if minor is not None and minor < cells.MAX_AMOUNT_MINOR else None


def _plain_quantity(cell: str) -> int | None:
    milli = cells.plain_minor(cell, 3)
    return milli if milli is not None and milli < cells.MAX_QUANTITY_MILLI else None


def _plain_date(cell: str) -> datetime | None:
    try:
        return cells.local_datetime(cell)
    except ValueError:
        return None


def member_row(number: int, values: Sequence[object], mapping: ColumnMap,
               header: Sequence[str]) -> MemberImportRow | list[Problem]:
    reader = _Reader(number, values, mapping, header)
    row = MemberImportRow(
        row=number, who=reader.who(),
        first_name=reader.read("first_name", lambda c: cells.text(c, limit=100), ""),
        last_name=reader.read("last_name", lambda c: cells.text(c, limit=100), ""),
        email=reader.read("email", lambda c: cells.text(c, limit=254), ""),
        birthday=reader.read("birthday", cells.birthday, None))
    if not reader.problems and not row.who:
        reader.problems.append(problem(number, "external_id / phone / card",
                                       cells.N_("no customer id, phone or card")))
    return reader.problems or row


class ReceiptKeys:
    """The identity of each receipt row of one file, in file order (see the module
    docstring): ``R:<receipt number>`` or ``D:<digest>:<n>``, at most 64 characters."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def key(self, row: ReceiptRow) -> str:
        if row.receipt:
            return f"R:{row.receipt}"[:64]
        digest = row.digest()
        count = self._seen.get(digest, 0)
        self._seen[digest] = count + 1
        return f"D:{digest}:{count}"
