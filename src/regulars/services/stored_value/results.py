"""What the stored-value use cases answer: frozen results the edges serialise (the API's
``…Out`` models in :mod:`regulars.api.stored_value_schemas` have the same fields)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regulars.db.stored_value.certificates import SeriesRow
from regulars.services.results import absent_when_none

# A series is shown as it is stored: every column is for the console and the API to see.
SeriesView = SeriesRow


@dataclass(frozen=True, kw_only=True)
class CertificateView:
    """A certificate as the console and the till see it: never its code, only the code's
    last four characters."""

    id: int
    series_id: int
    code_ending: str
    nominal_minor: int
    balance_minor: int
    status: str
    uses: int
    order_ref: str | None
    issued_at: datetime
    expires_at: datetime | None
    """``None`` for a card issued for sale and not sold yet: it is valid the series' days from
    its sale."""


@dataclass(frozen=True, kw_only=True)
class IssuedCertificates:
    """Certificates just issued, with their codes: the only time the codes are shown
    (``repeated``: the same order sent again, answered without its codes and links)."""

    series_id: int
    amount_minor: int
    expires_at: datetime | None
    """``None`` for cards for sale: each is valid the series' days from its own sale."""
    certificate_ids: tuple[int, ...]
    codes: tuple[str, ...]
    links: tuple[str, ...]  # paths of the public pages that show each one's balance
    repeated: bool = False
    for_sale: bool = False
    """Cards for the tills to sell: empty until sold."""


@dataclass(frozen=True, kw_only=True)
class MoneyLine:
    """A movement of a wallet's or a gift card's money by its entry's code (a card's:
    ``issue``, ``tender``, ``refund_tender``, ``void``, ``expire`` or ``deactivate``), signed
    as it moved the balance."""

    entry_id: int
    code: str
    amount_minor: int
    receipt_id: int | None
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class CertificateStatement:
    """One of a member's gift cards and its latest movements, newest first."""

    certificate: CertificateView
    lines: tuple[MoneyLine, ...]


@dataclass(frozen=True, kw_only=True)
class SeriesReport:
    """Certificates of one series sold or issued (``issued``, their nominal sum
    ``issued_minor``): what was used, expired and is outstanding of them, so that
    ``issued_minor - used_minor - expired_minor == outstanding_minor``; cards for sale not
    sold yet hold nothing and are counted apart (``unsold``, their nominal ``unsold_minor``)."""

    series_id: int
    issued: int
    issued_minor: int
    used_minor: int
    expired_minor: int
    outstanding_minor: int
    blocked: int
    void: int
    unsold: int
    unsold_minor: int


@dataclass(frozen=True, kw_only=True)
class StoredValueReport:
    """Certificates per series, and the money the tenant owes its customers (the liability
    of its money asset) on certificates and in wallets."""

    asset: str
    series: tuple[SeriesReport, ...]
    certificates_liability_minor: int
    wallets_liability_minor: int


@dataclass(frozen=True, kw_only=True, slots=True)
class TenderTaken:
    """What a tender paid of a receipt and the balance left on it; ``code_ending`` for a
    certificate or a goods card. A goods tender took ``quantity_milli`` of its ``unit``
    (settling ``amount_minor`` of the receipt's money) and has ``balance_milli`` left."""

    tender_no: int
    kind: str
    amount_minor: int
    balance_minor: int | None = absent_when_none()
    code_ending: str | None = absent_when_none()
    quantity_milli: int | None = absent_when_none()
    balance_milli: int | None = absent_when_none()
    unit: str | None = absent_when_none()


@dataclass(frozen=True, kw_only=True, slots=True)
class TenderReturned:
    """What a refund or void gave back to a tender, and its balance after (a goods tender:
    ``quantity_milli`` units worth ``amount_minor``, and ``balance_milli``)."""

    tender_no: int
    kind: str
    amount_minor: int
    balance_minor: int | None = absent_when_none()
    quantity_milli: int | None = absent_when_none()
    balance_milli: int | None = absent_when_none()


@dataclass(frozen=True, kw_only=True, slots=True)
class TenderOption:
    """At quote time: what a tender the customer presents holds and could pay of this
    receipt (``refusal`` says why it cannot, if so, and ``refusal_code`` names the reason
    as an error code would: ``certificate_not_accepted`` in a store the certificate's series
    does not list, ``invalid_input`` otherwise). A goods account holds
    ``balance_milli`` of its ``unit`` and could take ``could_take_milli`` of the lines of
    its product, settling ``could_pay_minor``."""

    tender_no: int
    kind: str
    could_pay_minor: int
    balance_minor: int | None = absent_when_none()
    code_ending: str | None = absent_when_none()
    refusal: str | None = absent_when_none()
    balance_milli: int | None = absent_when_none()
    could_take_milli: int | None = absent_when_none()
    unit: str | None = absent_when_none()
    refusal_code: str | None = absent_when_none()


@dataclass(frozen=True, kw_only=True, slots=True)
class GoodsOffer:
    """At quote time, unasked: a goods account of the member that covers lines of the
    basket (its product's), what it holds and the quantity it could pay of them, settling
    ``could_pay_minor``."""

    account_id: int
    sku: str
    unit: str
    balance_milli: int
    could_take_milli: int
    could_pay_minor: int


@dataclass(frozen=True, kw_only=True, slots=True)
class GoodsSaleQuoted:
    """At quote time: units of a product the receipt would sell into a goods account (``None``
    when the commit opens the member's first account of the product), at the unit price
    locked on the day, and the account's balance after the commit."""

    sku: str
    unit: str
    account_id: int | None
    quantity_milli: int
    amount_minor: int
    unit_price_minor: int
    balance_after_milli: int


@dataclass(frozen=True, kw_only=True, slots=True)
class GoodsSold:
    """Units of a product a commit sold into a goods account, at the unit price locked on
    the day, and the account's balance after it."""

    account_id: int
    sku: str
    unit: str
    quantity_milli: int
    amount_minor: int
    unit_price_minor: int
    balance_milli: int
    entry_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateSold:
    """A gift card a commit sold and activated."""

    certificate_id: int
    code_ending: str
    amount_minor: int
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class GoodsAccountView:
    """A prepaid goods account: its product, unit and balance in thousandths of the unit;
    a member's (``member_id``) or a bearer card's (``card_ending``: the last four characters
    of its number, never the number)."""

    id: int
    product_id: int
    sku: str
    product_name: str
    unit: str
    asset: str
    member_id: int | None
    card_ending: str | None
    status: str
    balance_milli: int
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class GoodsOpened:
    """A goods account just opened; a bearer card's number, shown this once (never on a
    ``repeated`` answer: the same opening sent again with its key)."""

    account: GoodsAccountView
    card_number: str | None
    repeated: bool = False


@dataclass(frozen=True, kw_only=True)
class GoodsTopUp:
    """A top-up as stored for its replays: the units bought, what was paid, the unit price
    locked (if so), and the balance after."""

    account_id: int
    quantity_milli: int
    paid_minor: int
    unit_price_minor: int | None
    balance_milli: int
    entry_id: int


@dataclass(frozen=True, kw_only=True)
class GoodsLine:
    entry_id: int
    code: str
    quantity_milli: int
    receipt_id: int | None
    occurred_at: datetime
    paid_minor: int | None
    unit_price_minor: int | None


@dataclass(frozen=True, kw_only=True)
class GoodsHistory:
    account: GoodsAccountView
    lines: tuple[GoodsLine, ...]


@dataclass(frozen=True, kw_only=True)
class GoodsLiability:
    """What the tenant owes in one goods asset: units held and their value at the average
    price paid; units expired unused (breakage) and their value at the same price."""

    asset: str
    sku: str
    unit: str
    accounts: int
    balance_milli: int
    value_minor: int
    expired_milli: int = 0
    expired_minor: int = 0
