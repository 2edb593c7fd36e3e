"""Gift certificates and stored-value tenders: the rules, without a database.

A **series** says what certificates of it are worth (fixed nominal values, or an open amount
between two bounds), how long one is valid from its activation, which stores take it (none
listed: every store) and whether it may pay more than one receipt. A **certificate** is a
money account on the ledger with a code (shown once, stored as a keyed digest); its balance
is the account's.

A tender pays part of a receipt from a certificate or a member's wallet. A refund returns
each tender in proportion to the money refunded, cumulatively
(``prorate(amount, refunded_after, paid) - prorate(amount, refunded_before, paid)``), so that
refunds that end with the whole receipt return exactly each tender's amount, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from regulars.domain.money import prorate
from regulars.errors import CertificateNotAccepted, InvalidInput

MAX_NOMINAL_VALUES = 20
MAX_STORES = 200
MAX_AMOUNT_MINOR = 10 ** 9  # ten million in a currency of two decimals
MAX_VALID_DAYS = 3660
NOT_ACCEPTED = "this certificate is not accepted in this store"


class TenderKind(StrEnum):
    CERTIFICATE = "certificate"
    WALLET = "wallet"
    GOODS = "goods"  # a prepaid goods account, paying units of the lines of its product


class Status(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # sold on a receipt not yet committed (not in use today)
    BLOCKED = "blocked"  # lost or stolen: refused as a tender
    VOID = "void"  # deactivated: its sale was refunded unused


@dataclass(frozen=True, kw_only=True)
class SeriesTerms:
    """What certificates of a series are worth and where and how long they may be used.

    Raises :class:`InvalidInput` naming the field for terms that cannot hold."""

    name: str
    nominal_values_minor: tuple[int, ...] = ()  # empty: an open amount
    min_minor: int | None = None
    max_minor: int | None = None
    valid_days: int
    store_ids: tuple[int, ...] = ()  # empty: every store of the tenant
    multi_use: bool = True

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 120:
            raise InvalidInput("a name has 1 to 120 characters", field="name")
        if not 1 <= self.valid_days <= MAX_VALID_DAYS:
            raise InvalidInput(f"valid_days lies between 1 and {MAX_VALID_DAYS}",
                               field="valid_days")
        if len(self.store_ids) > MAX_STORES:
            raise InvalidInput(f"at most {MAX_STORES} stores", field="store_ids")
        if self.nominal_values_minor:
            self._check_nominals()
        else:
            self._check_open()

    def _check_nominals(self) -> None:
        values = self.nominal_values_minor
        if len(values) > MAX_NOMINAL_VALUES or len(set(values)) != len(values):
            raise InvalidInput(f"at most {MAX_NOMINAL_VALUES} distinct nominal values",
                               field="nominal_values_minor")
        if any(not 0 < v <= MAX_AMOUNT_MINOR for v in values):
            raise InvalidInput("a nominal value is positive", field="nominal_values_minor")
        if self.min_minor is not None or self.max_minor is not None:
            raise InvalidInput("an open amount has no nominal values", field="min_minor")

    def _check_open(self) -> None:
        low, high = self.min_minor, self.max_minor
        if low is None or high is None:
            raise InvalidInput("give nominal values, or min_minor and max_minor for an open "
                               "amount", field="nominal_values_minor")
        if not 0 < low <= high <= MAX_AMOUNT_MINOR:
            raise InvalidInput("min_minor is positive and not above max_minor",
                               field="min_minor")

    def amount_refusal(self, amount_minor: int) -> str | None:
        """Why a certificate of this series cannot be worth ``amount_minor``, if so."""
        if self.nominal_values_minor:
            if amount_minor not in self.nominal_values_minor:
                return "the amount is not one of the series' nominal values"
            return None
        assert self.min_minor is not None and self.max_minor is not None
        if not self.min_minor <= amount_minor <= self.max_minor:
            return "the amount lies outside the series' open amount"
        return None

    def accepted_at(self, store_id: int) -> bool:
        return not self.store_ids or store_id in self.store_ids


@dataclass(frozen=True, kw_only=True)
class CertificateState:
    """A certificate as a checkout sees it."""

    status: Status
    expires_at: datetime
    uses: int  # receipts it paid (less those refunded whole)
    multi_use: bool
    accepted_here: bool


def tender_refusal(state: CertificateState, *, now: datetime) -> str | None:
    """Why this certificate cannot pay a receipt now, if so (the words a till shows)."""
    if state.status is Status.BLOCKED:
        return "this certificate is blocked"
    if state.status is not Status.ACTIVE:
        return "this certificate is not active"
    if state.expires_at <= now:
        return "this certificate has expired"
    if not state.accepted_here:
        return NOT_ACCEPTED
    if not state.multi_use and state.uses > 0:
        return "this single-use certificate was used already"
    return None


def refusal_code(refusal: str) -> str:
    """The stable error code of a refusal: ``certificate_not_accepted`` in a store the
    series does not list, ``invalid_input`` otherwise."""
    return CertificateNotAccepted.code if refusal == NOT_ACCEPTED else InvalidInput.code


def refused(refusal: str, *, field: str) -> InvalidInput:
    """The error a refused certificate raises, with the code of :func:`refusal_code`."""
    if refusal == NOT_ACCEPTED:
        return CertificateNotAccepted(refusal, field=field)
    return InvalidInput(refusal, field=field)


def tender_returns(amounts_minor: Sequence[int], *, paid_minor: int, refunded_before: int,
                   refunded_after: int) -> list[int]:
    """What a refund that takes the receipt's refunded money from ``refunded_before`` to
    ``refunded_after`` (of ``paid_minor``) gives back to each tender, in proportion."""
    if paid_minor <= 0:
        return [0 for _ in amounts_minor]
    return [prorate(amount, refunded_after, paid_minor)
            - prorate(amount, refunded_before, paid_minor) for amount in amounts_minor]


def check_tenders_cover(total_minor: int, paid_minor: int) -> None:
    """Refuse tenders that add up to more than the receipt's money to pay."""
    if total_minor > paid_minor:
        raise InvalidInput("the tenders add up to more than the receipt's %(paid)s to pay",
                           field="tenders", params={"paid": paid_minor})


@dataclass(frozen=True, kw_only=True)
class Tender:
    """A tender a till presents: a certificate by its printed ``code``, or the wallet of the
    receipt's member; ``amount_minor`` to pay with it (at quote time: at most). A goods
    account (by its ``account`` id, or a bearer card by its printed ``code``) pays
    ``quantity_milli`` of the lines of its product instead (at quote time: at most; zero:
    as much as it can)."""

    kind: TenderKind
    amount_minor: int = 0
    code: str | None = None
    account: int | None = None
    quantity_milli: int = 0

    def __post_init__(self) -> None:
        if self.kind is TenderKind.CERTIFICATE and not self.code:
            raise InvalidInput("a certificate tender needs its code", field="code")
        if self.kind is TenderKind.GOODS and (self.account is None) == (self.code is None):
            raise InvalidInput("a goods tender names its account or its card's code",
                               field="account")
