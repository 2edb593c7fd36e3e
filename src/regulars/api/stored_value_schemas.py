"""Bodies and answers of the stored-value routes: gift certificate series, certificates, the
report (see :mod:`regulars.api.pos_schemas` for the conventions of the ``…Out`` models)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from regulars.api.pos_schemas import Instant, Out, examples
from regulars.api.schemas import Id, MemberRefIn, Strict
from regulars.domain.stored_value.certificates import (
    MAX_AMOUNT_MINOR,
    MAX_NOMINAL_VALUES,
    MAX_STORES,
    MAX_VALID_DAYS,
    SeriesTerms,
)

Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT_MINOR)]
Code = Annotated[str, Field(min_length=1, max_length=40)]


class CertificateSeriesIn(Strict):
    """Fixed ``nominal_values_minor``, or an open amount between ``min_minor`` and
    ``max_minor``; valid ``valid_days`` from issue; taken in ``store_ids`` (none: every
    store); ``multi_use`` false: one receipt only."""

    model_config = examples({"name": "Gift card", "nominal_values_minor": [100000, 300000],
                             "valid_days": 365, "store_ids": [], "multi_use": True})

    name: Annotated[str, Field(min_length=1, max_length=120)]
    nominal_values_minor: Annotated[list[Amount], Field(max_length=MAX_NOMINAL_VALUES)] = []
    min_minor: Amount | None = None
    max_minor: Amount | None = None
    valid_days: Annotated[int, Field(ge=1, le=MAX_VALID_DAYS)]
    store_ids: Annotated[list[Id], Field(max_length=MAX_STORES)] = []
    multi_use: bool = True

    def to_terms(self) -> SeriesTerms:
        return SeriesTerms(name=self.name, nominal_values_minor=tuple(self.nominal_values_minor),
                           min_minor=self.min_minor, max_minor=self.max_minor,
                           valid_days=self.valid_days, store_ids=tuple(self.store_ids),
                           multi_use=self.multi_use)


class CertificateSeriesChangeIn(CertificateSeriesIn):
    active: bool = Field(default=True, description="false: no more certificates are issued "
                                                   "or sold from it")


class CertificatesIssueIn(Strict):
    """A corporate order: ``count`` certificates of ``amount_minor`` each."""

    model_config = examples({"count": 10, "amount_minor": 300000, "order_ref": "PO-1182"})

    count: Annotated[int, Field(ge=1, le=1000)]
    amount_minor: Amount
    order_ref: Annotated[str, Field(max_length=64)] | None = None
    for_sale: bool = Field(default=False, description="cards for the tills to sell: pending, "
                                                      "with no value until a commit sells one")


class CertificateCodeIn(Strict):
    code: Code = Field(description="the certificate's code as printed (case, dashes and "
                                   "spaces do not matter)")


class CertificateSeriesOut(Out):
    model_config = examples({"id": 1, "name": "Gift card",
                             "nominal_values_minor": [100000, 300000], "min_minor": None,
                             "max_minor": None, "valid_days": 365, "store_ids": [],
                             "multi_use": True, "active": True,
                             "created_at": "2026-03-01T12:00:00+00:00"})

    id: int
    name: str
    nominal_values_minor: list[int]
    min_minor: int | None
    max_minor: int | None
    valid_days: int
    store_ids: list[int]
    multi_use: bool
    active: bool
    created_at: Instant


class CertificateOut(Out):
    """A certificate: never its code, only the code's last four characters."""

    model_config = examples({"id": 3, "series_id": 1, "code_ending": "7K2M",
                             "nominal_minor": 300000, "balance_minor": 120000,
                             "status": "active", "uses": 2, "order_ref": None,
                             "issued_at": "2026-03-01T12:00:00+00:00",
                             "expires_at": "2027-03-01T12:00:00+00:00"})

    id: int
    series_id: int
    code_ending: str
    nominal_minor: int
    balance_minor: int
    status: str
    uses: int
    order_ref: str | None
    issued_at: Instant
    expires_at: Instant | None = Field(description="when the certificate stops being valid; "
                                                   "null for a card issued for sale and not "
                                                   "sold yet (status pending), valid the "
                                                   "series' days from its sale")


class IssuedCertificatesOut(Out):
    """Certificates just issued, with their codes: shown in this answer only."""

    model_config = examples({"series_id": 1, "amount_minor": 300000,
                             "expires_at": "2027-03-01T12:00:00+00:00",
                             "certificate_ids": [3], "codes": ["7Q2D-M0XA-4HBT-7K2M"],
                             "links": ["/c/1/gift/q1w2e3r4t5y6u7i8o9p0a1s2"]})

    series_id: int
    amount_minor: int
    expires_at: Instant | None = Field(description="when the certificates stop being valid; "
                                                   "null for cards issued for sale, each "
                                                   "valid the series' days from its own sale")
    certificate_ids: list[int]
    codes: list[str]
    links: list[str]


class SeriesReportOut(Out):
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


class StoredValueReportOut(Out):
    """Per series: issued (count and sum), used, expired (breakage, income) and outstanding
    (issued − used − expired), and the cards for sale not sold yet (``unsold``, their nominal
    sum), which hold nothing and are not counted as issued; and the liability of the money
    asset on certificates and in wallets."""

    model_config = examples({"asset": "money:EUR", "series": [
        {"series_id": 1, "issued": 10, "issued_minor": 3000000, "used_minor": 1200000,
         "expired_minor": 0, "outstanding_minor": 1800000, "blocked": 0, "void": 0,
         "unsold": 5, "unsold_minor": 1500000}],
        "certificates_liability_minor": 1800000, "wallets_liability_minor": 25000})

    asset: str
    series: list[SeriesReportOut]
    certificates_liability_minor: int
    wallets_liability_minor: int


class WalletTopUpIn(Strict):
    """Money the customer paid at the till (``paid_by`` cash or card) into their wallet."""

    model_config = examples({"member": {"phone": "+7 916 123-45-67"}, "amount_minor": 100000,
                             "paid_by": "cash"})

    member: MemberRefIn
    amount_minor: Amount
    paid_by: Literal["cash", "card"]


class WalletTopUpOut(Out):
    model_config = examples({"member_id": 7, "amount_minor": 100000, "paid_by": "cash",
                             "balance_minor": 150000, "entry_id": 91})

    member_id: int
    amount_minor: int
    paid_by: str
    balance_minor: int
    entry_id: int


class WalletLineOut(Out):
    entry_id: int
    code: str
    amount_minor: int
    receipt_id: int | None
    occurred_at: Instant


class WalletOut(Out):
    """A member's wallet: balance and latest movements (top-ups, tenders, refunds), newest
    first."""

    model_config = examples({"member_id": 7, "asset": "money:RUB", "balance_minor": 150000,
                             "lines": [{"entry_id": 91, "code": "top_up",
                                        "amount_minor": 100000, "receipt_id": None,
                                        "occurred_at": "2026-03-01T12:00:00+00:00"}]})

    member_id: int
    asset: str
    balance_minor: int
    lines: list[WalletLineOut]
