"""What a refund or void of a receipt should do, decided without a database.

A refund of some quantity of a line takes back the points that quantity earned and returns
the points and money that quantity was paid with, each in proportion and computed
cumulatively (``prorate(total, after) - prorate(total, before)``): after any sequence of
partial refunds that covers the whole receipt, exactly the earned points have been taken
back and exactly the spent points and paid money returned, each once.

Earned points that expired before the refund were lost once already: they are forgiven, not
taken back a second time. What the take-back leaves uncovered (points already spent) becomes
debt if the program allows it; the ledger reports how much when it takes them back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from regulars.domain.money import prorate
from regulars.domain.program.program import DebtPolicy
from regulars.errors import InvalidInput, RefundRefused, VoidRefused


@dataclass(frozen=True, kw_only=True)
class ReceiptLine:
    """A committed receipt line as stored, with what earlier refunds took of it."""

    line_no: int
    quantity_milli: int
    refunded_quantity_milli: int
    points_earned: int
    points_spent: int
    paid_minor: int


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """What a refund plan needs of a receipt: its state, and how much of the points it earned
    expiry took since (``earned_expired``) beyond what earlier refunds forgave already."""

    status: str
    recorded_at: datetime
    lines: tuple[ReceiptLine, ...]
    earned_expired: int = 0


@dataclass(frozen=True, kw_only=True)
class LineShare:
    """One line refunded now: the quantity, and the refunded quantity before and after."""

    line_no: int
    quantity_milli: int
    before: int
    after: int
    whole: int


@dataclass(frozen=True, kw_only=True)
class RefundPlan:
    kind: str  # "refund" or "void"
    status: str  # the receipt's status afterwards
    shares: tuple[LineShare, ...]
    earned_back: int  # points the refunded quantity earned
    spent_back: int  # points it was paid with: returned to the member
    paid_back_minor: int
    forgiven: int  # earned points that expired meanwhile: not taken back
    allow_debt: bool  # whether taking back may leave the member in debt

    @property
    def reverse(self) -> int:
        """Earned points to take back from the member."""
        return self.earned_back - self.forgiven


def plan_refund(receipt: Receipt, wanted: Sequence[tuple[int, int]] | None, *, void: bool,
                now: datetime, void_window_minutes: int,
                debt_policy: DebtPolicy) -> RefundPlan:
    """Plan a refund of ``wanted`` (``(line_no, quantity_milli)``; ``None``: all that is
    left; a receipt without lines, one that only sold gift cards or goods, is refunded
    whole), or a void of the whole receipt.

    Raises :class:`VoidRefused` for a void of a receipt not plainly committed or past
    ``void_window_minutes``; :class:`RefundRefused` for a voided or fully refunded receipt,
    nothing left, an unknown line, or more quantity than is left; :class:`InvalidInput` for
    an empty list or a quantity that is not positive.
    """
    _check_state(receipt, void=void, now=now, void_window_minutes=void_window_minutes)
    lines = {ln.line_no: ln for ln in receipt.lines}
    shares = tuple(_share_of(lines[n], q) for n, q in _wanted(lines, wanted))
    refunded = {s.line_no: s.after for s in shares}
    fully = all(refunded.get(n, ln.refunded_quantity_milli) == ln.quantity_milli
                for n, ln in lines.items())
    earned_back = sum(_part(lines[s.line_no].points_earned, s) for s in shares)
    return RefundPlan(
        kind="void" if void else "refund",
        status="voided" if void else ("refunded" if fully else "partially_refunded"),
        shares=shares, earned_back=earned_back,
        spent_back=sum(_part(lines[s.line_no].points_spent, s) for s in shares),
        paid_back_minor=sum(_part(lines[s.line_no].paid_minor, s) for s in shares),
        forgiven=min(earned_back, max(0, receipt.earned_expired)),
        allow_debt=debt_policy is DebtPolicy.ALLOW_NEGATIVE)


def _check_state(receipt: Receipt, *, void: bool, now: datetime,
                 void_window_minutes: int) -> None:
    if void:
        if receipt.status != "committed":
            raise VoidRefused(f"a {receipt.status} receipt cannot be voided")
        if now - receipt.recorded_at > timedelta(minutes=void_window_minutes):
            raise VoidRefused(f"receipts can be voided within {void_window_minutes} "
                              "minutes of their commit; refund it instead")
    elif receipt.status in ("voided", "refunded"):
        raise RefundRefused(f"the receipt is already {receipt.status}")


def _wanted(lines: dict[int, ReceiptLine],
            wanted: Sequence[tuple[int, int]] | None) -> list[tuple[int, int]]:
    """(line no, quantity) to refund, one per line in line order."""
    if wanted is None:
        left = [(n, ln.quantity_milli - ln.refunded_quantity_milli) for n, ln in lines.items()]
        left = [(n, q) for n, q in left if q > 0]
        if not left and lines:
            raise RefundRefused("nothing is left to refund on this receipt")
        return left
    if not wanted:
        raise InvalidInput("name at least one line to refund", field="lines")
    merged: dict[int, int] = defaultdict(int)
    for line_no, quantity in wanted:
        if line_no not in lines:
            raise RefundRefused(f"the receipt has no line {line_no}", field="lines")
        if quantity <= 0:
            raise InvalidInput("a refunded quantity must be positive", field="lines")
        merged[line_no] += quantity
    return sorted(merged.items())


def _share_of(line: ReceiptLine, quantity: int) -> LineShare:
    whole, before = line.quantity_milli, line.refunded_quantity_milli
    if before + quantity > whole:
        raise RefundRefused(f"line {line.line_no}: only {whole - before} thousandths are left "
                            "to refund", field="lines")
    return LineShare(line_no=line.line_no, quantity_milli=quantity, before=before,
                     after=before + quantity, whole=whole)


def _part(total: int, share: LineShare) -> int:
    return prorate(total, share.after, share.whole) - prorate(total, share.before, share.whole)
