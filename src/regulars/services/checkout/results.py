"""What the POS protocol answers, as frozen results: a quote, a commit, a refund or void, a
sent one-time code.

Field names and their order are the JSON keys of the answer (the API's ``…Out`` models in
``regulars.api.pos_schemas`` mirror them); a commit's, refund's and void's answer is stored as
:func:`regulars.services.results.to_json` of these for idempotent replays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from regulars.services.results import absent_when_empty, absent_when_none
from regulars.services.stamps.till import StampProgress
from regulars.services.stored_value.on_receipt import ReceiptStoredValue
from regulars.services.stored_value.results import (
    CertificateSold,
    GoodsOffer,
    GoodsSaleQuoted,
    GoodsSold,
    TenderOption,
    TenderReturned,
    TenderTaken,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class PricedMember:
    """The member of a quote or commit: balance and spendable points then, and its level."""

    id: int
    phone: str | None
    balance_points: int
    spendable_points: int
    level: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class PricedLine:
    """One basket line as priced. ``discount_minor`` is every discount on the line (the
    till's, the program's, promotions' and coupons'); points discounts are apart."""

    line_no: int
    sku: str
    gross_minor: int
    discount_minor: int
    program_discount_minor: int
    promotion_discount_minor: int
    coupon_discount_minor: int
    points_spent: int
    points_discount_minor: int
    paid_minor: int
    points_earned: int


@dataclass(frozen=True, kw_only=True, slots=True)
class PromotionApplied:
    id: int
    version: int
    name: str
    discount_minor: int
    points: int
    # Money the promotion puts into the member's wallet at commit (its ``cashback`` effect).
    cashback_minor: int = absent_when_empty(0)


@dataclass(frozen=True, kw_only=True, slots=True)
class CouponApplied:
    series_id: int
    name: str
    discount_minor: int
    points: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RewardApplied:
    """The catalogue reward a receipt uses: its points (zero for a code claimed in advance)
    are part of ``points_spent``, its discount of ``points_discount_minor``."""

    id: int
    title: str
    points: int
    discount_minor: int
    line_nos: tuple[int, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class RewardOption:
    """A catalogue reward the member can afford on this basket now, and what it would take
    off it (zero for a perk, which has no basket line)."""

    id: int
    title: str
    description: str
    kind: str
    points_cost: int
    discount_minor: int
    picture_url: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Explained:
    """A reason behind a figure: the text in the business's language, and the code with its
    values so that a page can say it again in its reader's language."""

    code: str
    params: Mapping[str, int | str]
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CouponHold:
    """A use of a coupon code reserved for the till until ``expires_at``."""

    id: int
    series_id: int
    expires_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class PointsHold:
    """Points reserved for the till until ``expires_at``."""

    id: int
    points: int
    expires_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class IssuedCoupon:
    """A code a promotion issued to the member with this receipt (its text is shown once)."""

    promotion_id: int
    series_id: int
    name: str
    code: str
    starts_on: date | None
    ends_on: date | None


@dataclass(frozen=True, kw_only=True)
class PricedSale:
    """What a quote and a commit both answer: the figures of the receipt and why."""

    program_version: int
    currency: str
    member: PricedMember | None
    gross_minor: int
    discount_minor: int
    points_spent: int
    points_discount_minor: int
    paid_minor: int
    points_earned: int
    max_spendable_points: int
    otp_required: bool
    rate_bp: int
    lines: tuple[PricedLine, ...]
    promotions: tuple[PromotionApplied, ...]
    coupons: tuple[CouponApplied, ...]
    explanations: tuple[Explained, ...]
    stamp_cards: tuple[StampProgress, ...] = absent_when_empty(())
    # Money the program returns into the member's wallet (see the ``cashback`` explanation).
    cashback_minor: int = absent_when_empty(0)
    reward: RewardApplied | None = absent_when_empty()


@dataclass(frozen=True, kw_only=True)
class QuoteResult(PricedSale):
    """A quote; with ``hold``, the coupon uses and points it reserved."""

    coupon_holds: tuple[CouponHold, ...] | None = absent_when_empty()
    hold: PointsHold | None = absent_when_empty()
    tenders: tuple[TenderOption, ...] = absent_when_empty(())
    rewards: tuple[RewardOption, ...] = absent_when_empty(())
    goods_accounts: tuple[GoodsOffer, ...] = absent_when_empty(())
    goods_sold: tuple[GoodsSaleQuoted, ...] = absent_when_empty(())


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptStamp:
    """The receipt a commit wrote: its id, the till's receipt number, when."""

    id: int
    receipt_id: str
    status: str
    occurred_at: datetime
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class CommitResult(PricedSale):
    """A committed receipt; ``member`` shows the balance after it, ``entries`` the ledger
    entries written (``spend``, ``earn``)."""

    receipt: ReceiptStamp
    entries: Mapping[str, int]
    issued_coupons: tuple[IssuedCoupon, ...] = absent_when_empty(())
    tenders: tuple[TenderTaken, ...] = absent_when_empty(())
    certificates_sold: tuple[CertificateSold, ...] = absent_when_empty(())
    goods_sold: tuple[GoodsSold, ...] = absent_when_empty(())


@dataclass(frozen=True, kw_only=True, slots=True)
class RefundedLine:
    line_no: int
    quantity_milli: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RefundDone:
    """One refund or void of a receipt, and the receipt's status after it."""

    id: int
    kind: str
    receipt_id: int
    status: str
    paid_minor: int
    points_reversed: int
    points_returned: int
    points_forgiven: int
    debt_points: int
    lines: tuple[RefundedLine, ...]
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class RefundResult:
    """A refund or void: what it moved, the entries written and the member's balance after
    it; ``issued_coupons_voided`` counts codes the receipt had issued that are void now."""

    refund: RefundDone
    entries: Mapping[str, int]
    member_id: int | None
    balance_points: int | None
    issued_coupons_voided: int = absent_when_empty(0)
    tenders: tuple[TenderReturned, ...] = absent_when_empty(())
    certificates_voided: int = absent_when_empty(0)
    goods_taken_back: int = absent_when_empty(0)
    stamps_taken_back: int = absent_when_empty(0)


@dataclass(frozen=True, kw_only=True, slots=True)
class CodeSent:
    """A one-time code was texted to the phone ending in ``phone_ending``."""

    sent: bool = field(default=True)
    phone_ending: str
    expires_in_seconds: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptLine:
    """A line as committed, with how much of its quantity was refunded since."""

    line_no: int
    sku: str
    name: str
    category: str
    quantity_milli: int
    unit_price_minor: int
    gross_minor: int
    discount_minor: int
    points_spent: int
    paid_minor: int
    points_earned: int
    refunded_quantity_milli: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptRefund:
    """A refund or void of the receipt, as recorded."""

    id: int
    kind: str
    paid_minor: int
    points_reversed: int
    points_returned: int
    debt_points: int
    lines: tuple[RefundedLine, ...]
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptView:
    """A committed receipt with its lines and refunds (``receipt_id``: the till's number)."""

    id: int
    receipt_id: str
    terminal_id: int
    store_id: int
    member_id: int | None
    status: str
    program_version: int
    gross_minor: int
    discount_minor: int
    points_spent: int
    points_discount_minor: int
    paid_minor: int
    points_earned: int
    refunded_paid_minor: int
    occurred_at: datetime
    lines: tuple[ReceiptLine, ...]
    refunds: tuple[ReceiptRefund, ...]
    # Gift cards and goods sold, tenders taken and cashback credited (absent: none).
    stored_value: ReceiptStoredValue | None = absent_when_none()
