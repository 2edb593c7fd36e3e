"""What one receipt or one ledger entry adds to a day's aggregates, by the rules of the
figures (``docs/analytics.md``): a receipt counts while it is sold (committed or partly
refunded) and has a basket (:func:`is_purchase`), with the money it kept, the discounts of
the quantities it kept (each line's discount less the share of it its returned quantity
carries, as a refund gives a promotion's budget back) and the discount paid with points of
the quantities it kept, by the same rule (as a refund gives the member that line's points
back; :func:`points_off_back`); an entry of points counts as points issued, redeemed or
expired by its code (entries of money, goods and stamps count nothing).

The reward cost is what the points spent took off the bill, except for catalogue rewards: a
receipt's catalogue rewards count at their stated cost in place of what they took off, in
full while their claim stands and nothing once a refund closed it (:class:`Rewards`). Money
credited to the member's wallet as cashback (the program's and the promotions') counts too, as
much of it as refunds have not taken back (:attr:`ReceiptState.cashback_minor`; the ledger's
``cashback`` entry less its ``refund_cashback`` entries, :data:`CASHBACK_CODES`).

A change of a receipt (a refund, a void) adds the difference between what the receipt counts
after and what it counted before, so the aggregates only ever grow or shrink by increments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from regulars.domain.analytics.figures import SalesTotals
from regulars.domain.money import prorate

SOLD = ("committed", "partially_refunded")
ACCRUALS = ("earn", "welcome", "referral", "birthday", "profile", "event")
TAKE_BACK_ACCRUALS = ("refund_earn", "referral_reversal")
CASHBACK_CODES = ("cashback", "refund_cashback")
"""The entries of a receipt's cashback: their member-side amounts sum to what it still
credits."""


def is_purchase(status: str, gross_minor: int) -> bool:
    """Whether a receipt in ``status`` whose basket came to ``gross_minor`` before discounts
    counts as a purchase (a visit) in the figures: sold, and with a basket. A receipt with
    no lines (one that only sells gift cards or prepaid goods, paid apart from the lines) is
    no purchase: the stored value it sold shows in the stored-value and liability reports."""
    return status in SOLD and gross_minor > 0


@dataclass(frozen=True, kw_only=True)
class Rewards:
    """A receipt's catalogue rewards, as its reward cost counts them."""

    discount_minor: int = 0
    """What they took off the bill (part of the receipt's points discount), claims standing
    or closed."""
    cost_minor: int = 0
    """The stated cost of those whose claim stands."""
    by_line: tuple[tuple[int, int], ...] = ()
    """``(line_no, discount_minor)`` of those whose claim names the one line they took off;
    the rest of ``discount_minor`` was spread over several lines."""


NO_REWARDS = Rewards()


@dataclass(frozen=True, kw_only=True)
class ReceiptState:
    """The figures-relevant columns of a receipt at one moment."""

    status: str
    gross_minor: int
    """The basket before discounts: 0 for a receipt that only sells stored value
    (:func:`is_purchase`)."""
    paid_minor: int
    refunded_paid_minor: int
    discount_minor: int
    points_discount_minor: int
    items_milli: int
    """Quantity of its lines not returned."""
    rewards: Rewards = NO_REWARDS
    cashback_minor: int = 0
    """The cashback it credited to the member's wallet less what refunds took back."""
    refunded_discount_minor: int = 0
    """The discounts of the quantities returned (:func:`discount_back`, summed over the
    lines)."""
    refunded_points_off_minor: int = 0
    """The discount paid with points (catalogue rewards left out) of the quantities returned
    (:func:`points_off_back`, summed over the lines)."""


@dataclass(frozen=True, kw_only=True)
class SoldLine:
    """The columns of a receipt line its figures need."""

    line_no: int
    quantity_milli: int
    refunded_quantity_milli: int
    gross_minor: int
    discount_minor: int
    paid_minor: int


def discount_back(discount_minor: int, *, refunded_milli: int, quantity_milli: int) -> int:
    """The share of a line's discount its returned quantity carries, rounded down: what a
    refund of that quantity gives back to the promotions' budgets
    (:func:`regulars.domain.money.prorate`)."""
    return prorate(discount_minor, refunded_milli, quantity_milli)


def line_points_off(line: SoldLine, *, points_discount_minor: int, rewards: Rewards) -> int:
    """What points paid of ``line`` beside its catalogue reward, on a receipt whose points
    paid ``points_discount_minor`` with catalogue ``rewards``: the line's points discount
    (its gross less its discounts and the money it was paid with) less the reward's discount
    on it (a claim naming the line) and the share of a reward spread over several lines that
    the line's points discount carries of the receipt's, rounded up (so the lines' parts never
    add up to more than the points paid beside the rewards)."""
    if points_discount_minor <= 0:
        return 0
    points = line.gross_minor - line.discount_minor - line.paid_minor
    named = sum([d for line_no, d in rewards.by_line if line_no == line.line_no])
    spread = rewards.discount_minor - sum([d for _, d in rewards.by_line])
    return points - named + (-spread * points) // points_discount_minor


def points_off_back(lines: Sequence[SoldLine], *, points_discount_minor: int,
                    rewards: Rewards) -> int:
    """The discount paid with points (:func:`line_points_off`) of the quantities of
    ``lines`` returned, each line's rounded down as :func:`discount_back` rounds a
    discount's: what the refunds gave the member back of it."""
    return sum([discount_back(line_points_off(ln, points_discount_minor=points_discount_minor,
                                              rewards=rewards),
                              refunded_milli=ln.refunded_quantity_milli,
                              quantity_milli=ln.quantity_milli)
                for ln in lines if ln.refunded_quantity_milli > 0])


def receipt_totals(state: ReceiptState) -> SalesTotals:
    """What ``state`` counts in its day's sales (nothing unless a purchase:
    :func:`is_purchase`)."""
    if not is_purchase(state.status, state.gross_minor):
        return SalesTotals()
    return SalesTotals(receipts=1, revenue_minor=state.paid_minor - state.refunded_paid_minor,
                       discount_minor=state.discount_minor - state.refunded_discount_minor,
                       reward_cost_minor=state.points_discount_minor
                       - state.rewards.discount_minor - state.refunded_points_off_minor
                       + state.rewards.cost_minor + state.cashback_minor,
                       items_milli=state.items_milli)


def receipt_change(before: ReceiptState, after: ReceiptState) -> SalesTotals:
    """What a receipt's day gains (negative: loses) when it goes from ``before`` to
    ``after``."""
    old, new = receipt_totals(before), receipt_totals(after)
    return SalesTotals(receipts=new.receipts - old.receipts,
                       revenue_minor=new.revenue_minor - old.revenue_minor,
                       discount_minor=new.discount_minor - old.discount_minor,
                       reward_cost_minor=new.reward_cost_minor - old.reward_cost_minor,
                       items_milli=new.items_milli - old.items_milli)


@dataclass(frozen=True, kw_only=True)
class PointsMoved:
    issued: int = 0
    redeemed: int = 0
    expired: int = 0

    def __bool__(self) -> bool:
        return bool(self.issued or self.redeemed or self.expired)


def entry_points(code: str, points: int) -> PointsMoved:
    """What an entry of ``code`` moving ``points`` (the member's side: positive in) counts:
    accruals issue, refunds and voids of accruals take issued points back; spends redeem,
    refunds and voids of spends give redeemed points back; expiry expires."""
    if (code in ACCRUALS and points > 0) or code in TAKE_BACK_ACCRUALS or (
            code == "void" and points < 0):
        return PointsMoved(issued=points)
    if code in ("spend", "refund_spend") or (code == "void" and points > 0):
        return PointsMoved(redeemed=-points)
    if code == "expire":
        return PointsMoved(expired=-points)
    return PointsMoved()
