"""What the engine takes and gives: a basket's lines and the member's context in; out, the
:class:`Quote` with its lines, the promotions and coupons that applied, and an
:class:`Explanation` of each figure. Frozen values; see
:func:`regulars.domain.checkout.engine.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regulars.domain.program.program import LevelStatus
from regulars.domain.rewards.catalog import RewardTerms

QUANTITY_SCALE = 1000  # quantities are held in thousandths (litres, kilograms, pieces)


@dataclass(frozen=True, kw_only=True)
class BasketLine:
    sku: str
    name: str = ""
    category: str = ""
    quantity_milli: int
    unit_price_minor: int
    discount_minor: int = 0
    # unit price × quantity, rounded half up (worked out once, when the line is made)
    gross_minor: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.quantity_milli <= 0:
            raise ValueError("quantity must be positive")
        if self.unit_price_minor < 0:
            raise ValueError("unit price must not be negative")
        if self.discount_minor < 0:
            raise ValueError("line discount must not be negative")
        # money.divide(price × quantity, QUANTITY_SCALE, HALF_UP) written out (both are at
        # least 0 here): a quote builds each line twice, and this saves two calls a line.
        gross = ((2 * self.unit_price_minor * self.quantity_milli + QUANTITY_SCALE)
                 // (2 * QUANTITY_SCALE))
        if self.discount_minor > gross:
            raise ValueError("line discount must not exceed the line amount")
        object.__setattr__(self, "gross_minor", gross)


@dataclass(frozen=True, kw_only=True)
class MemberContext:
    """What the engine needs to know about the member on the receipt."""

    level: LevelStatus
    spendable_points: int
    may_earn: bool = True


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """One reason behind a figure: a stable ``code`` and its integer or text parameters; the
    text layer turns it into a sentence in the reader's language."""

    code: str
    params: tuple[tuple[str, int | str], ...] = ()
    line_no: int | None = None

    def param(self, name: str) -> int | str:
        return dict(self.params)[name]


@dataclass(frozen=True, kw_only=True)
class QuoteLine:
    line_no: int
    sku: str
    category: str
    quantity_milli: int
    gross_minor: int
    till_discount_minor: int
    program_discount_minor: int
    points_spent: int
    points_discount_minor: int
    paid_minor: int
    earn_basis_minor: int
    points_earned: int  # promotion points included
    promotion_discount_minor: int = 0
    promotion_points: int = 0
    coupon_discount_minor: int = 0
    # A catalogue reward's part of ``points_spent`` and ``points_discount_minor``.
    reward_points: int = 0
    reward_discount_minor: int = 0


@dataclass(frozen=True, kw_only=True)
class RewardUse:
    """A catalogue reward a receipt uses: ``points`` are spent at this receipt (zero for a
    code claimed in advance, whose points were spent then: ``claimed_points``)."""

    id: int
    title: str
    terms: RewardTerms
    points: int
    claimed_points: int = 0


@dataclass(frozen=True, kw_only=True)
class AppliedReward:
    """A catalogue reward's part in a quote, in total and per line."""

    id: int
    title: str
    points: int
    discount_minor: int
    points_by_line: tuple[int, ...]
    discount_by_line: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class AppliedPromotion:
    """One promotion's part in a quote, in total and per line (so that a refund of a line
    gives back that line's share of the promotion's budget)."""

    id: int
    version: int
    name: str
    discount_minor: int
    points: int
    discount_by_line: tuple[int, ...] = ()
    points_by_line: tuple[int, ...] = ()
    coupon_series_ids: tuple[int, ...] = ()  # a code of each is issued to the member at commit
    cashback_minor: int = 0  # money into the member's wallet at commit (counted as spent)


@dataclass(frozen=True, kw_only=True)
class AppliedCoupon:
    """One coupon code's part in a quote (its points are spread over the lines' earn basis
    and included in each line's ``points_earned``)."""

    code_id: int
    series_id: int
    name: str
    discount_minor: int
    points: int


@dataclass(frozen=True, kw_only=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    gross_minor: int
    discount_minor: int
    points_spent: int
    points_discount_minor: int
    paid_minor: int
    earn_basis_minor: int
    points_earned: int
    max_spendable_points: int
    rate_bp: int
    level_code: str | None
    explanations: tuple[Explanation, ...]
    promotions: tuple[AppliedPromotion, ...] = ()
    coupons: tuple[AppliedCoupon, ...] = ()
    reward: AppliedReward | None = None
