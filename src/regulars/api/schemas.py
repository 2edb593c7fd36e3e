"""Request bodies of the HTTP API: strict pydantic models (no silent coercion of types)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from regulars.domain.checkout.quote import QUANTITY_SCALE, BasketLine
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.stored_value.goods_sales import GoodsSale
from regulars.services.stored_value.sales import CertificateSale

Text64 = Annotated[str, Field(min_length=1, max_length=64)]
NonNegative = Annotated[int, Field(ge=0, le=10**15)]
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="an id Regulars gave")]
"""Ids are positive 64-bit integers: anything else is refused as bad input (422) before it
reaches the database, which could not even compare it."""


def _from_iso(kind: type[date] | type[datetime]) -> Any:
    """JSON has no date type: strict validation of a request body (a parsed dict) refuses
    every string for ``date``/``datetime``. Accept ISO 8601 text, and nothing looser (no
    numbers read as Unix time)."""

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return kind.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"expected an ISO 8601 {kind.__name__}, not {value!r}") from exc
        return value

    return BeforeValidator(parse)


MAX_FREE_JSON_CHARS = 4000


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    """Free-form JSON (a profile, an event's data) is stored as it came: it gets a limit of its
    own, like every free-text field, well below the body cap."""
    if len(json.dumps(value, default=str)) > MAX_FREE_JSON_CHARS:
        raise ValueError(f"at most {MAX_FREE_JSON_CHARS} characters of JSON")
    return value


SmallJson = Annotated[dict[str, Any], AfterValidator(_small_json)]

IsoDateTime = Annotated[datetime, _from_iso(datetime)]
IsoDate = Annotated[date, _from_iso(date)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class MemberRefIn(Strict):
    """Exactly one identifier: phone (any usual format), card number, QR token or id."""

    phone: Annotated[str, Field(max_length=40)] | None = None
    card: Annotated[str, Field(max_length=40)] | None = None
    qr: Annotated[str, Field(max_length=64)] | None = None
    id: Id | None = None

    @model_validator(mode="after")
    def _one(self) -> MemberRefIn:
        given = [v for v in (self.phone, self.card, self.qr, self.id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of phone, card, qr or id")
        return self

    def to_ref(self) -> MemberRef:
        return MemberRef(phone=self.phone, card=self.card, qr=self.qr, id=self.id)


class LineIn(Strict):
    """A basket line. Give ``quantity`` (whole units) or ``quantity_milli`` (thousandths,
    e.g. 20 500 for 20.5 litres)."""

    sku: Text64
    name: Annotated[str, Field(max_length=200)] = ""
    category: Annotated[str, Field(max_length=64)] = ""
    quantity: Annotated[int, Field(gt=0, le=10**6)] | None = None
    quantity_milli: Annotated[int, Field(gt=0, le=10**9)] | None = None
    unit_price_minor: NonNegative
    discount_minor: NonNegative = 0

    @model_validator(mode="after")
    def _check(self) -> LineIn:
        if (self.quantity is None) == (self.quantity_milli is None):
            raise ValueError("give exactly one of quantity or quantity_milli")
        try:
            self.to_line()
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def to_line(self) -> BasketLine:
        milli = self.quantity_milli if self.quantity is None else self.quantity * QUANTITY_SCALE
        assert milli is not None
        return BasketLine(sku=self.sku, name=self.name, category=self.category,
                          quantity_milli=milli, unit_price_minor=self.unit_price_minor,
                          discount_minor=self.discount_minor)


class TenderIn(Strict):
    """A certificate (by its printed ``code``) or the member's wallet (``kind: wallet``, for a
    sale that names a member) paying ``amount`` minor units of the receipt's money; or a
    prepaid goods account (``kind: goods``, by its ``account`` id or a bearer card's printed
    ``code``) paying ``quantity_milli`` of the lines of its product. At quote time ``amount``
    and ``quantity_milli`` are optional: the answer says what the tender could pay."""

    kind: Literal["certificate", "wallet", "goods"]
    code: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    amount: Annotated[int, Field(ge=1, le=10**12)] | None = None
    account: Id | None = None
    quantity_milli: Annotated[int, Field(ge=1, le=10**9)] | None = None

    @model_validator(mode="after")
    def _check(self) -> TenderIn:
        if self.kind == "goods":
            if (self.account is None) == (self.code is None) or self.amount is not None:
                raise ValueError("a goods tender gives its account or its card's code, and "
                                 "quantity_milli rather than amount")
            return self
        if self.account is not None or self.quantity_milli is not None:
            raise ValueError("only a goods tender gives account and quantity_milli")
        if (self.kind == "certificate") != (self.code is not None):
            raise ValueError("a certificate tender gives its code, a wallet tender none")
        return self

    def to_tender(self) -> Tender:
        return Tender(kind=TenderKind(self.kind), amount_minor=self.amount or 0,
                      code=self.code, account=self.account,
                      quantity_milli=self.quantity_milli or 0)


class CertificateSaleIn(Strict):
    """A gift card for sale (issued with ``for_sale``) sold on this receipt for ``amount``:
    the commit activates it; it earns no points and takes no discount."""

    code: Annotated[str, Field(min_length=1, max_length=40)]
    amount: Annotated[int, Field(ge=1, le=10**12)]

    def to_sale(self) -> CertificateSale:
        return CertificateSale(code=self.code, amount_minor=self.amount)


class GoodsSaleIn(Strict):
    """Prepaid goods sold on this receipt: ``quantity_milli`` (thousandths of the product's
    unit) of the product ``sku`` for ``amount`` minor units, at the unit price of the day,
    locked with the purchase. Into the goods account ``account`` or the bearer card
    ``code``; naming neither, into the receipt's member's account of the product (opened by
    the first purchase). Paid apart from the lines: it earns no points and takes no
    discount; ``valid_days`` makes the units expire (left out: never)."""

    sku: Text64
    quantity_milli: Annotated[int, Field(ge=1, le=10**9)]
    amount: Annotated[int, Field(ge=0, le=10**12)]
    account: Id | None = None
    code: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    valid_days: Annotated[int, Field(ge=1, le=3660)] | None = None

    @model_validator(mode="after")
    def _one(self) -> GoodsSaleIn:
        if self.account is not None and self.code is not None:
            raise ValueError("give the account or the card's code, not both")
        return self

    def to_sale(self) -> GoodsSale:
        return GoodsSale(sku=self.sku, quantity_milli=self.quantity_milli,
                         amount_minor=self.amount, account=self.account, code=self.code,
                         valid_days=self.valid_days)


def none_yet(description: str) -> Any:
    """An empty list by default, documented as ``"default": []``: made by ``list()`` for
    each body that leaves the field out, where a ``[]`` default is deep-copied by pydantic
    (a few Python calls per field of every till request)."""
    return Field(default_factory=list, description=description,
                 json_schema_extra={"default": []})


class SaleIn(Strict):
    member: MemberRefIn | None = None
    lines: Annotated[list[LineIn], Field(max_length=500)] = Field(
        description="the basket; empty only on a receipt that sells gift cards or prepaid "
                    "goods alone (``certificates_sold``, ``goods_sold``), else 422 on ``lines``")
    points_to_spend: NonNegative = 0
    coupons: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=10)] = (
        none_yet("coupon codes as printed (case, dashes and spaces do not matter); applied "
                 "after promotions, before the program's discount"))
    tenders: Annotated[list[TenderIn], Field(max_length=10)] = none_yet(
        "gift certificates and the member's wallet paying part of the money (commit: each "
        "with its amount)")
    reward_id: Id | None = Field(
        default=None, description="a catalogue reward the member claims now, from the quote's "
                                  "``rewards``: its points are spent (soonest-expiring first) "
                                  "and it comes off its line (answered in ``reward``)")
    reward_code: Annotated[str, Field(max_length=24)] | None = Field(
        default=None, description="the code of a reward the member claimed in advance on the "
                                  "customer page (shown as a QR code): already paid, it comes "
                                  "off its line")


GOODS_SOLD = "prepaid goods sold on this receipt into goods accounts, paid apart from the lines"


class QuoteIn(SaleIn):
    hold: bool = Field(default=False, description="reserve points_to_spend and a use of each "
                                                   "coupon for this till until commit")
    goods_sold: Annotated[list[GoodsSaleIn], Field(max_length=20)] = none_yet(GOODS_SOLD)
    certificates_sold: Annotated[list[CertificateSaleIn], Field(max_length=20)] = none_yet(
        "gift cards the receipt will sell (checked at commit): with them, or goods sold, the "
        "basket may be empty")


class CommitIn(SaleIn):
    receipt_id: Text64 = Field(description="the till's own receipt number, unique per till")
    occurred_at: IsoDateTime | None = Field(
        default=None, description="when the sale happened, for a till that was offline")
    hold_id: Id | None = None
    staff_id: Id | None = None
    certificates_sold: Annotated[list[CertificateSaleIn], Field(max_length=20)] = none_yet(
        "gift cards sold on this receipt, paid apart from the lines")
    goods_sold: Annotated[list[GoodsSaleIn], Field(max_length=20)] = none_yet(GOODS_SOLD)
    identified_by: Literal["scanned", "typed", "unknown"] = Field(
        default="unknown", description="how the cashier identified the member: a card or QR "
                                       "code scanned, or a number typed in (the fraud scan "
                                       "counts typed ones)")
    otp_code: Annotated[str, Field(max_length=12)] | None = Field(
        default=None, description="the one-time code sent to the member's phone (POST "
                                  "/v1/pos/otp), needed when points_to_spend is above the "
                                  "program's otp_above_points; not part of the idempotent "
                                  "request, so a replay needs no code")


class OtpIn(Strict):
    """The member who should get a one-time code to confirm spending points."""

    member: MemberRefIn


class RefundLineIn(Strict):
    line_no: Annotated[int, Field(ge=1)]
    quantity: Annotated[int, Field(gt=0)] | None = None
    quantity_milli: Annotated[int, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _one(self) -> RefundLineIn:
        if (self.quantity is None) == (self.quantity_milli is None):
            raise ValueError("give exactly one of quantity or quantity_milli")
        return self

    def milli(self) -> int:
        return self.quantity * QUANTITY_SCALE if self.quantity is not None else \
            int(self.quantity_milli or 0)


class RefundTenderIn(Strict):
    """How much of the money refunded goes back to one certificate or wallet tender of the
    receipt (its ``tender_no`` as the commit answered)."""

    tender_no: Annotated[int, Field(ge=0, le=1000)]
    amount_minor: Annotated[int, Field(ge=0, le=10 ** 12)]


class RefundIn(Strict):
    """Lines and quantities to refund; leave ``lines`` out to refund everything left.
    ``tenders`` says how much of the money goes back to each certificate or wallet tender
    (each at most what it paid less what came back to it; those not named get nothing, the
    other payments the rest); left out, each gets its share in proportion to what it
    paid."""

    lines: list[RefundLineIn] | None = None
    tenders: Annotated[list[RefundTenderIn], Field(max_length=20)] | None = None

    def split(self) -> list[tuple[int, int]] | None:
        return (None if self.tenders is None
                else [(t.tender_no, t.amount_minor) for t in self.tenders])


class MemberIn(Strict):
    phone: Annotated[str, Field(max_length=40)] | None = None
    card: Annotated[str, Field(max_length=40)] | None = None
    first_name: Annotated[str, Field(max_length=100)] | None = None
    last_name: Annotated[str, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    birthday: IsoDate | None = None
    consent: Annotated[str, Field(max_length=20)] = "full"
    profile: SmallJson | None = None
    referrer_id: Id | None = None
    referral_code: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None, description="the inviting member's code (give this or referrer_id)")
    device_token: Annotated[str, Field(min_length=8, max_length=200)] | None = Field(
        default=None, description="an app's device token: stored hashed, refuses referral "
                                  "farming from one device")

    def to_registration(self) -> Registration:
        return Registration(**self.model_dump(exclude={"staff_id"}))


class TillMemberIn(MemberIn):
    staff_id: Id | None = Field(default=None, description=(
        "the cashier who enrolled the customer (counted in the enrolments per cashier)"))


class MemberPatch(Strict):
    first_name: Annotated[str, Field(max_length=100)] | None = None
    last_name: Annotated[str, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    birthday: IsoDate | None = None
    consent: Annotated[str, Field(max_length=20)] | None = None
    profile: SmallJson | None = None


class CardIn(Strict):
    card: Annotated[str, Field(min_length=1, max_length=40)]


class AdjustIn(Strict):
    points: Annotated[int, Field(ge=-10**12, le=10**12)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class MergeIn(Strict):
    source_id: Id
    target_id: Id


class StoreIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=64, description=(
        "1 to 32 Latin letters, digits, - or _, without spaces; it never changes (imports "
        "and exports name the store by it)"), examples=["centre"])]
    name: Annotated[str, Field(min_length=1, max_length=200, description=(
        "unique within the business, whatever the case"))]


class StorePatch(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200, description=(
        "unique within the business, whatever the case"))]


class TerminalIn(Strict):
    store_id: Id
    code: Text64
    name: Annotated[str, Field(max_length=200)] = ""


class StaffIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(max_length=254)] | None = None
    role: Annotated[str, Field(max_length=20)]
    store_id: Id | None = None


class KeyIn(Strict):
    label: Annotated[str, Field(max_length=200)] = ""
    scopes: Annotated[list[Literal["admin", "analytics", "events"]] | None, Field(
        min_length=1, max_length=3,
        description="what the key may do: admin (everything), analytics (read-only reports "
                    "and reads), events (POST /v1/events); default events only",
        examples=[["analytics"]])] = None


class RetentionIn(Strict):
    """Retention periods in days; older rows are purged by the ``retention`` job."""

    otp_days: Annotated[int, Field(ge=2, le=3650, description=(
        "one-time-code rows (and the messages that carried the codes)"))]
    idempotency_days: Annotated[int, Field(ge=31, le=3650, description=(
        "stored answers to keyed requests (commits, refunds, adjustments)"))]
