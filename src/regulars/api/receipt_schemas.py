"""Receipts as the APIs show them (``GET /v1/pos/receipts/…``, ``GET /v1/admin/receipts/…``):
the ``…Out`` models of :class:`regulars.services.checkout.results.ReceiptView`, with the stored
value the receipt moved (:mod:`regulars.services.stored_value.on_receipt`). Codes and card
numbers appear by their last four characters only."""

from __future__ import annotations

from regulars.api.pos_schemas import Instant, Out, RefundedLineOut, SparseOut, examples


class CertificateOnReceiptOut(Out):
    """A gift card sold on the receipt; ``taken_back``: a refund or void deactivated it."""

    certificate_id: int
    series_id: int
    series_name: str
    code_ending: str
    amount_minor: int
    taken_back: bool


class GoodsOnReceiptOut(Out):
    """Units sold into a goods account (a member's, or a bearer card's by ``card_ending``)."""

    goods_account_id: int
    sku: str
    product_name: str
    unit: str
    quantity_milli: int
    amount_minor: int
    member_id: int | None
    card_ending: str | None
    taken_back: bool


class TenderOnReceiptOut(SparseOut):
    """A ``certificate`` (``code_ending``), ``wallet`` or ``goods`` tender (a line's
    ``quantity_milli`` of a product from a goods account) and what refunds gave back."""

    absent_when_none = frozenset({"code_ending", "line_no", "sku", "product_name", "unit",
                                  "quantity_milli", "returned_milli", "member_id",
                                  "card_ending"})

    tender_no: int
    kind: str
    amount_minor: int
    returned_minor: int
    code_ending: str | None = None
    line_no: int | None = None
    sku: str | None = None
    product_name: str | None = None
    unit: str | None = None
    quantity_milli: int | None = None
    returned_milli: int | None = None
    member_id: int | None = None
    card_ending: str | None = None


class PromotionCashbackOut(Out):
    promotion_id: int
    name: str
    amount_minor: int


class CashbackOnReceiptOut(Out):
    """The cashback credited to the member's wallet: the program's and each promotion's
    (summing to ``total_minor``), and what refunds took back."""

    total_minor: int
    program_minor: int
    promotions: list[PromotionCashbackOut]
    taken_back_minor: int


class ReceiptStoredValueOut(SparseOut):
    absent_when_none = frozenset({"cashback"})

    certificates_sold: list[CertificateOnReceiptOut]
    goods_sold: list[GoodsOnReceiptOut]
    tenders: list[TenderOnReceiptOut]
    cashback: CashbackOnReceiptOut | None = None


class ReceiptLineOut(Out):
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


class ReceiptRefundOut(Out):
    id: int
    kind: str
    paid_minor: int
    points_reversed: int
    points_returned: int
    debt_points: int
    lines: list[RefundedLineOut]
    occurred_at: Instant


class ReceiptOut(SparseOut):
    """A committed receipt with its lines and refunds; ``receipt_id`` is the till's number;
    ``stored_value`` (absent when none): the gift cards and goods sold on it, the tenders
    taken and the cashback credited."""

    absent_when_none = frozenset({"stored_value"})

    model_config = examples({
        "id": 12, "receipt_id": "S-1", "terminal_id": 1, "store_id": 1, "member_id": 7,
        "status": "committed", "program_version": 1, "gross_minor": 10000,
        "discount_minor": 0, "points_spent": 10, "points_discount_minor": 1000,
        "paid_minor": 9000, "points_earned": 450, "refunded_paid_minor": 0,
        "occurred_at": "2026-03-01T12:00:00+00:00",
        "lines": [{"line_no": 1, "sku": "beans", "name": "Beans", "category": "coffee",
                   "quantity_milli": 1000, "unit_price_minor": 10000, "gross_minor": 10000,
                   "discount_minor": 0, "points_spent": 10, "paid_minor": 9000,
                   "points_earned": 450, "refunded_quantity_milli": 0}],
        "refunds": []})

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
    occurred_at: Instant
    lines: list[ReceiptLineOut]
    refunds: list[ReceiptRefundOut]
    stored_value: ReceiptStoredValueOut | None = None
