"""Prepaid goods accounts: units of a product bought in advance ("100 l of A-95", "10
coffees", "12 visits") and consumed by product code at checkout; the rules, without a
database.

Quantities are in thousandths of the product's unit, as basket lines are (``25_000`` is
25 litres). A goods account is a ledger account of the product's own asset (kind ``goods``),
held by a member or by a bearer card with no member (a fleet card).

A goods tender takes ``quantity_milli`` of the account's product from the receipt's lines of
that product (their SKU), line by line in basket order, from what earlier goods tenders left
of each line, never more than the lines hold. The money it settles is each covered line's
paid amount in proportion to the quantity covered, cumulatively per line
(``prorate(paid, taken + q, quantity) - prorate(paid, taken, quantity)``), so two tenders
covering a whole line settle exactly its paid amount. A line of 40 l when the account holds
25 l: the account could pay 25 l, and the rest of the line is paid otherwise.

A refund of a covered line gives back units in proportion to the quantity refunded,
cumulatively (:func:`units_back`), so refunds that end with the whole line give back exactly
the units taken, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from regulars.domain.money import prorate
from regulars.errors import InvalidInput

MAX_QUANTITY_MILLI = 10 ** 9  # a million units
MAX_UNIT_CHARS = 12
MAX_NAME_CHARS = 120
MAX_VALID_DAYS = 3660  # ten years


def N_(message: str) -> str:
    """``message`` as it is: marks a message the pages translate where they show it."""
    return message


class GoodsStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"  # a lost card: refused as a tender and for top-ups


STATUS_LABELS = {GoodsStatus.ACTIVE: N_("active"), GoodsStatus.BLOCKED: N_("blocked")}


@dataclass(frozen=True, kw_only=True)
class CoverableLine:
    """A priced basket line as a goods tender sees it."""

    line_no: int
    sku: str
    quantity_milli: int
    paid_minor: int


@dataclass(frozen=True, kw_only=True)
class Cover:
    """What a goods tender takes of one line: the quantity, and the money it settles."""

    line_no: int
    line_quantity_milli: int
    quantity_milli: int
    amount_minor: int


def coverable_milli(lines: Sequence[CoverableLine], sku: str,
                    taken: Mapping[int, int]) -> int:
    """How much of ``sku`` the lines still hold after the quantities ``taken`` per line."""
    return sum(max(0, line.quantity_milli - taken.get(line.line_no, 0))
               for line in lines if line.sku == sku)


def cover(lines: Sequence[CoverableLine], sku: str, quantity_milli: int,
          taken: Mapping[int, int]) -> tuple[Cover, ...]:
    """Take ``quantity_milli`` of ``sku`` from the lines, in basket order, past what is
    ``taken`` already per line. Raises ``ValueError`` when the lines hold less."""
    if quantity_milli <= 0:
        raise ValueError("a quantity to take is positive")
    need, found = quantity_milli, list[Cover]()
    for line in lines:
        if line.sku != sku or not need:
            continue
        before = taken.get(line.line_no, 0)
        part = min(need, line.quantity_milli - before)
        if part <= 0:
            continue
        amount = (prorate(line.paid_minor, before + part, line.quantity_milli)
                  - prorate(line.paid_minor, before, line.quantity_milli))
        found.append(Cover(line_no=line.line_no, line_quantity_milli=line.quantity_milli,
                           quantity_milli=part, amount_minor=amount))
        need -= part
    if need:
        raise ValueError("the receipt's lines of this product hold less")
    return tuple(found)


def could_take_milli(*, balance_milli: int, coverable: int, asked_milli: int | None) -> int:
    """What a goods account could pay of the lines at quote time: the least of its balance,
    what the lines hold, and the quantity asked (``None``: as much as possible)."""
    most = min(max(0, balance_milli), coverable)
    return most if asked_milli is None else min(most, asked_milli)


def units_back(covered_milli: int, *, line_quantity_milli: int, before_milli: int,
               after_milli: int) -> int:
    """Units a refund of a covered line gives back when its refunded quantity goes from
    ``before_milli`` to ``after_milli``."""
    return (prorate(covered_milli, after_milli, line_quantity_milli)
            - prorate(covered_milli, before_milli, line_quantity_milli))


def refusal(status: GoodsStatus) -> str | None:
    """Why a goods account cannot pay or be topped up, if so (the words a till shows)."""
    if status is GoodsStatus.BLOCKED:
        return N_("this goods account is blocked")
    return None


@dataclass(frozen=True, kw_only=True)
class PurchaseTerms:
    """A top-up: ``quantity_milli`` bought for ``paid_minor``; with ``lock_price`` the price
    of one unit that day (``paid_minor`` per 1 000) is kept with the purchase lot; with
    ``valid_days`` the units bought expire that many days after the purchase (``None``:
    never), what is left of them then leaving through the ledger's expiry (breakage)."""

    quantity_milli: int
    paid_minor: int
    lock_price: bool = False
    valid_days: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.quantity_milli <= MAX_QUANTITY_MILLI:
            raise InvalidInput("a quantity is positive and at most a million units",
                               field="quantity_milli")
        if not 0 <= self.paid_minor <= 10 ** 12:
            raise InvalidInput("an amount paid is not negative", field="paid_minor")
        if self.valid_days is not None and not 0 < self.valid_days <= MAX_VALID_DAYS:
            raise InvalidInput("a validity is 1 to %(most)s days", field="valid_days",
                               params={"most": MAX_VALID_DAYS})

    def expires_at(self, bought_at: datetime) -> datetime | None:
        """When the units bought at ``bought_at`` expire (``None``: never)."""
        return None if self.valid_days is None else bought_at + timedelta(days=self.valid_days)

    @property
    def unit_price_minor(self) -> int | None:
        """The locked price of one unit (rounded half up), if locked."""
        if not self.lock_price:
            return None
        return (self.paid_minor * 1000 * 2 + self.quantity_milli) // (2 * self.quantity_milli)


def check_unit(unit: str) -> str:
    """A product's unit as typed (``l``, ``cup``, ``visit``), trimmed. Raises
    :class:`InvalidInput` (field ``unit``)."""
    text = unit.strip()
    if not text or len(text) > MAX_UNIT_CHARS or not text.isprintable():
        raise InvalidInput(f"a unit has 1 to {MAX_UNIT_CHARS} printable characters",
                           field="unit")
    return text
