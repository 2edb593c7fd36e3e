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
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class IssuedCertificates:
    """Certificates just issued, with their codes: the only time the codes are shown."""

    series_id: int
    amount_minor: int
    expires_at: datetime
    certificate_ids: tuple[int, ...]
    codes: tuple[str, ...]
    links: tuple[str, ...]  # paths of the public pages that show each one's balance


@dataclass(frozen=True, kw_only=True)
class SeriesReport:
    series_id: int
    issued: int
    issued_minor: int
    used_minor: int
    expired_minor: int
    outstanding_minor: int
    blocked: int
    void: int


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
    certificate, ``account`` (the member's wallet) otherwise."""

    tender_no: int
    kind: str
    amount_minor: int
    balance_minor: int
    code_ending: str | None = absent_when_none()


@dataclass(frozen=True, kw_only=True, slots=True)
class TenderReturned:
    """What a refund or void gave back to a tender, and its balance after."""

    tender_no: int
    kind: str
    amount_minor: int
    balance_minor: int


@dataclass(frozen=True, kw_only=True, slots=True)
class TenderOption:
    """At quote time: what a tender the customer presents holds and could pay of this
    receipt (``refusal`` says why it cannot, if so)."""

    tender_no: int
    kind: str
    balance_minor: int
    could_pay_minor: int
    code_ending: str | None = absent_when_none()
    refusal: str | None = absent_when_none()


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateSold:
    """A gift card a commit sold and activated."""

    certificate_id: int
    code_ending: str
    amount_minor: int
    expires_at: datetime
