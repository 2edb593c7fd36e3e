"""Answers of ``/v1/pos``: the ``…Out`` models each route declares as its response model, so
that ``/openapi.json`` describes every success body.

Field names and order follow the services' frozen results
(:mod:`regulars.services.checkout.results`), read by attribute. Times are ISO 8601 text with
their UTC offset, as ``datetime.isoformat`` writes them (the form stored for replays).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
)

Instant = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str),
                    WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[date, PlainSerializer(date.isoformat, return_type=str),
                WithJsonSchema({"type": "string", "format": "date"})]


def _leave_out_absent(self: SparseOut, handler: SerializerFunctionWrapHandler
                      ) -> dict[str, Any]:
    data: dict[str, Any] = handler(self)
    none, empty = self.absent_when_none, self.absent_when_empty
    return {name: value for name, value in data.items()
            if not ((value is None and name in none) or (not value and name in empty))}


# A serializer's return annotation stands for the model in the document: without one, the
# model's own schema is kept.
del _leave_out_absent.__annotations__["return"]


class Out(BaseModel):
    """An answer built from a service's result (attributes) or a stored answer (a dict).
    The fields named in ``absent_when_none`` are left out of the JSON while ``None``, those
    in ``absent_when_empty`` while ``None``, zero or empty, as the result's own JSON form
    leaves them out (:func:`regulars.services.results.to_json`); a model that names any
    derives from :class:`SparseOut`."""

    model_config = ConfigDict(from_attributes=True, frozen=True)
    absent_when_none: ClassVar[frozenset[str]] = frozenset()
    absent_when_empty: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if (cls.absent_when_none or cls.absent_when_empty) and not issubclass(cls, SparseOut):
            raise TypeError(f"{cls.__name__} leaves fields out: derive it from SparseOut")


class SparseOut(Out):
    """An answer with fields to leave out (see :class:`Out`). Only these models carry the
    serializer that leaves them out, a Python call per object serialised: a quote's lines
    and explanations do not pay for it."""

    _leave_out = model_serializer(mode="wrap")(_leave_out_absent)


def examples(*items: dict[str, Any]) -> ConfigDict:
    return ConfigDict(from_attributes=True, frozen=True,
                      json_schema_extra={"examples": list(items)})


class PricedMemberOut(Out):
    id: int
    phone: str | None
    balance_points: int
    spendable_points: int
    level: str | None


class PricedLineOut(Out):
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


class PromotionAppliedOut(SparseOut):
    """A promotion's part in the receipt; ``cashback_minor`` (absent when none): the money
    its cashback puts into the member's wallet at commit, before the share paid from the
    wallet or with prepaid goods."""

    absent_when_empty = frozenset({"cashback_minor"})

    id: int
    version: int
    name: str
    discount_minor: int
    points: int
    cashback_minor: int = 0


class CouponAppliedOut(Out):
    series_id: int
    name: str
    discount_minor: int
    points: int


class RewardAppliedOut(Out):
    """The catalogue reward the receipt uses: its ``points`` (zero for a code claimed in
    advance) are part of ``points_spent``, its discount of ``points_discount_minor``, on the
    lines ``line_nos``."""

    id: int
    title: str
    points: int
    discount_minor: int
    line_nos: list[int]


class RewardOptionOut(Out):
    """A catalogue reward the member can afford on this basket now: send its ``id`` as
    ``reward_id`` to claim it; ``discount_minor`` is what it would take off (zero for a
    perk, which has no basket line)."""

    id: int
    title: str
    description: str
    kind: str
    points_cost: int
    discount_minor: int
    picture_url: str


class ExplainedOut(Out):
    code: str
    params: dict[str, int | str]
    text: str


class CouponHoldOut(Out):
    id: int
    series_id: int
    expires_at: Instant


class PointsHoldOut(Out):
    id: int
    points: int
    expires_at: Instant


class IssuedCouponOut(Out):
    promotion_id: int
    series_id: int
    name: str
    code: str
    starts_on: Day | None
    ends_on: Day | None


_LINE = {"line_no": 1, "sku": "beans", "gross_minor": 10000, "discount_minor": 0,
         "program_discount_minor": 0, "promotion_discount_minor": 0,
         "coupon_discount_minor": 0, "points_spent": 10, "points_discount_minor": 1000,
         "paid_minor": 9000, "points_earned": 450}
_MEMBER = {"id": 7, "phone": "+78007750111", "balance_points": 500, "spendable_points": 500,
           "level": "base"}
_PRICED: dict[str, Any] = {
    "program_version": 1, "currency": "RUB", "member": _MEMBER, "gross_minor": 10000,
    "discount_minor": 0, "points_spent": 10, "points_discount_minor": 1000, "paid_minor": 9000,
    "points_earned": 450, "max_spendable_points": 30, "otp_required": False, "rate_bp": 500,
    "lines": [_LINE], "promotions": [], "coupons": [],
    "explanations": [{"code": "earn_rate", "params": {"rate_bp": 500},
                      "text": "5% of the amount paid comes back as points"}]}


class StampProgressOut(Out):
    """A stamp card after the receipt: ``stamps`` of ``per_card`` on the card being filled
    ("7 of 10"), ``added`` by the receipt, ``completed`` cards whose reward it took
    (``discount_minor`` in all, on the lines), ``ready`` rewards waiting for the next
    purchase."""

    model_config = examples({"card_id": 3, "name": "Coffee", "stamps": 7, "per_card": 10,
                             "added": 1, "completed": 0, "discount_minor": 0, "ready": 0})

    card_id: int
    name: str
    stamps: int
    per_card: int
    added: int
    completed: int
    discount_minor: int
    ready: int


class PricedSaleOut(SparseOut):
    """``stamp_cards`` only when the member has stamps or the receipt adds some."""

    absent_when_empty = frozenset({"stamp_cards"})

    program_version: int
    currency: str
    member: PricedMemberOut | None
    gross_minor: int
    discount_minor: int
    points_spent: int
    points_discount_minor: int
    paid_minor: int
    points_earned: int
    max_spendable_points: int
    otp_required: bool
    rate_bp: int
    lines: list[PricedLineOut]
    promotions: list[PromotionAppliedOut]
    coupons: list[CouponAppliedOut]
    explanations: list[ExplainedOut]
    stamp_cards: list[StampProgressOut] = []
    cashback_minor: int = 0
    reward: RewardAppliedOut | None = None


class QuoteOut(PricedSaleOut):
    """A priced basket; ``coupon_holds`` and ``hold`` only when the quote reserved them;
    ``rewards`` the catalogue rewards the member could claim on it (absent when none);
    ``goods_accounts`` the member's goods accounts that could pay lines of the basket (of
    their product), listed without being asked (absent when none)."""

    model_config = examples(_PRICED, {**_PRICED, "hold": {
        "id": 3, "points": 10, "expires_at": "2026-03-01T12:05:00+00:00"}}, {
        **_PRICED, "rewards": [{"id": 4, "title": "Free coffee", "description": "",
                                "kind": "product", "points_cost": 200,
                                "discount_minor": 350, "picture_url": ""}]})

    absent_when_none = frozenset({"coupon_holds", "hold", "reward"})
    absent_when_empty = frozenset({"tenders", "stamp_cards", "cashback_minor", "rewards",
                                   "goods_accounts", "goods_sold"})

    coupon_holds: list[CouponHoldOut] | None = None
    hold: PointsHoldOut | None = None
    tenders: list[TenderOptionOut] = []
    rewards: list[RewardOptionOut] = []
    goods_accounts: list[GoodsOfferOut] = []
    goods_sold: list[GoodsSaleQuotedOut] = []


class GoodsSaleQuotedOut(Out):
    """Goods the receipt would sell: into which account (``null``: the member's first
    account of the product, which the commit opens), at the unit price locked on the day
    (minor units per unit), and the account's balance after the commit."""

    model_config = examples({"sku": "A95", "unit": "l", "account_id": 4,
                             "quantity_milli": 100000, "amount_minor": 550000,
                             "unit_price_minor": 5500, "balance_after_milli": 125000})

    sku: str
    unit: str
    account_id: int | None
    quantity_milli: int
    amount_minor: int
    unit_price_minor: int
    balance_after_milli: int


class GoodsSoldOut(Out):
    """Goods the commit sold into a goods account, at the unit price locked on the day, and
    the account's balance after it."""

    model_config = examples({"account_id": 4, "sku": "A95", "unit": "l",
                             "quantity_milli": 100000, "amount_minor": 550000,
                             "unit_price_minor": 5500, "balance_milli": 125000,
                             "entry_id": 57})

    account_id: int
    sku: str
    unit: str
    quantity_milli: int
    amount_minor: int
    unit_price_minor: int
    balance_milli: int
    entry_id: int


class GoodsOfferOut(Out):
    """A goods account of the member that covers lines of the basket: what it holds and
    the quantity it could pay of them (thousandths of its unit), settling
    ``could_pay_minor``; to use it, send it as a tender ``{kind: goods, account}``."""

    model_config = examples({"account_id": 4, "sku": "A95", "unit": "l",
                             "balance_milli": 25000, "could_take_milli": 25000,
                             "could_pay_minor": 137500})

    account_id: int
    sku: str
    unit: str
    balance_milli: int
    could_take_milli: int
    could_pay_minor: int


class TenderOptionOut(SparseOut):
    """What a tender presented at quote time holds and could pay of this receipt; why it
    cannot, if so (``refusal``), and that reason as an error code (``refusal_code``:
    ``certificate_not_accepted`` in a store the series does not list, else
    ``invalid_input``)."""

    absent_when_none = frozenset({"balance_minor", "code_ending", "refusal", "balance_milli",
                                  "could_take_milli", "unit", "refusal_code"})

    tender_no: int
    kind: str
    could_pay_minor: int
    balance_minor: int | None = None
    code_ending: str | None = None
    refusal: str | None = None
    balance_milli: int | None = None
    could_take_milli: int | None = None
    unit: str | None = None
    refusal_code: str | None = None


class TenderTakenOut(SparseOut):
    """What a tender paid of the receipt, and the balance it has left."""

    absent_when_none = frozenset({"balance_minor", "code_ending", "quantity_milli",
                                  "balance_milli", "unit"})

    tender_no: int
    kind: str
    amount_minor: int
    balance_minor: int | None = None
    code_ending: str | None = None
    quantity_milli: int | None = None
    balance_milli: int | None = None
    unit: str | None = None


class TenderReturnedOut(SparseOut):
    """What a refund or void gave back to a tender, and its balance after."""

    absent_when_none = frozenset({"balance_minor", "quantity_milli", "balance_milli"})

    tender_no: int
    kind: str
    amount_minor: int
    balance_minor: int | None = None
    quantity_milli: int | None = None
    balance_milli: int | None = None


class CertificateSoldOut(Out):
    """A gift card the commit sold and activated."""

    certificate_id: int
    code_ending: str
    amount_minor: int
    expires_at: Instant


class ReceiptStampOut(Out):
    id: int
    receipt_id: str
    status: str
    occurred_at: Instant
    recorded_at: Instant


class CommitOut(PricedSaleOut):
    """A committed receipt (a replay answers the same); ``issued_coupons`` only when a
    promotion issued codes."""

    model_config = examples({
        **_PRICED, "member": {**_MEMBER, "balance_points": 940, "spendable_points": 490},
        "receipt": {"id": 12, "receipt_id": "S-1", "status": "committed",
                    "occurred_at": "2026-03-01T12:00:00+00:00",
                    "recorded_at": "2026-03-01T12:00:00+00:00"},
        "entries": {"spend": 31, "earn": 32}})

    absent_when_none = frozenset({"reward"})
    absent_when_empty = frozenset({"issued_coupons", "tenders", "certificates_sold",
                                   "stamp_cards", "cashback_minor", "goods_sold"})

    receipt: ReceiptStampOut
    entries: dict[str, int]
    issued_coupons: list[IssuedCouponOut] = []
    tenders: list[TenderTakenOut] = []
    certificates_sold: list[CertificateSoldOut] = []
    goods_sold: list[GoodsSoldOut] = []


class RefundedLineOut(Out):
    line_no: int
    quantity_milli: int


class RefundDoneOut(Out):
    id: int
    kind: str
    receipt_id: int
    status: str
    paid_minor: int
    points_reversed: int
    points_returned: int
    points_forgiven: int
    debt_points: int
    lines: list[RefundedLineOut]
    occurred_at: Instant


class RefundOut(SparseOut):
    """A refund or void (a replay answers the same)."""

    model_config = examples({
        "refund": {"id": 4, "kind": "refund", "receipt_id": 12, "status": "refunded",
                   "paid_minor": 9000, "points_reversed": 450, "points_returned": 10,
                   "points_forgiven": 0, "debt_points": 0,
                   "lines": [{"line_no": 1, "quantity_milli": 1000}],
                   "occurred_at": "2026-03-02T09:00:00+00:00"},
        "entries": {"returned": 40, "reversed": 41}, "member_id": 7, "balance_points": 500})

    refund: RefundDoneOut
    entries: dict[str, int]
    absent_when_empty = frozenset({"issued_coupons_voided", "tenders", "certificates_voided",
                                   "stamps_taken_back", "goods_taken_back"})

    member_id: int | None
    balance_points: int | None
    issued_coupons_voided: int = 0
    tenders: list[TenderReturnedOut] = []
    certificates_voided: int = 0
    goods_taken_back: int = 0
    stamps_taken_back: int = 0


class CodeSentOut(Out):
    model_config = examples({"sent": True, "phone_ending": "0111", "expires_in_seconds": 300})

    sent: bool
    phone_ending: str
    expires_in_seconds: int
