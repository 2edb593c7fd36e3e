"""Answers about members, for ``/v1/pos`` and ``/v1/admin``: the member view, its ledger
history and its referral code. Each mirrors a service's frozen result (see
:mod:`regulars.api.pos_schemas` for the conventions)."""

from __future__ import annotations

from typing import Any

from regulars.api.pos_schemas import Day, Instant, Out, SparseOut, examples


class LevelProgressOut(Out):
    code: str
    name: str
    rate_bp: int
    window: str
    window_spend_minor: int
    next_code: str | None
    next_name: str | None
    to_next_minor: int | None


class ReferralOutcomeOut(SparseOut):
    """What a registration did with a referral: ``trigger`` and the points only when a
    referrer was linked."""

    absent_when_none = frozenset({"trigger", "referrer_points", "referred_points"})

    code: str | None
    link: str | None
    referrer_id: int | None
    linked: bool
    reason: str | None
    paid: bool
    trigger: str | None = None
    referrer_points: int | None = None
    referred_points: int | None = None


_MEMBER: dict[str, Any] = {
    "id": 7, "phone": "+78007750111", "first_name": "Anna", "last_name": None, "email": None,
    "birthday": "1990-04-25", "consent": "full", "profile": {}, "status": "active",
    "qr_token": "Qx1y2z", "cards": ["CARD0001"], "created_at": "2026-03-01T12:00:00+00:00",
    "balance_points": 500, "held_points": 0, "debt_points": 0, "spendable_points": 500,
    "level": {"code": "base", "name": "Base", "rate_bp": 500, "window": "lifetime",
              "window_spend_minor": 10000, "next_code": "gold", "next_name": "Gold",
              "to_next_minor": 90000},
    "program_version": 1}


class MemberOut(SparseOut):
    """A member: identifiers, profile, balance, held and spendable points, debt, level and
    progress. After a registration, ``referral`` says what it did with a referral code."""

    model_config = examples(_MEMBER, {**_MEMBER, "referral": {
        "code": "K7Q2M4", "link": None, "referrer_id": None, "linked": False, "reason": None,
        "paid": False}})
    absent_when_none = frozenset({"referral"})

    id: int
    phone: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    birthday: Day | None
    consent: str
    profile: dict[str, Any] | None
    status: str
    qr_token: str
    cards: list[str]
    created_at: Instant
    balance_points: int
    held_points: int
    debt_points: int
    spendable_points: int
    level: LevelProgressOut
    program_version: int
    referral: ReferralOutcomeOut | None = None


class HistoryEntryOut(Out):
    """A ledger entry of the member, newest first, with its reasons in words."""

    model_config = examples({
        "id": 32, "code": "earn", "points": 450, "receipt_id": 12, "store_id": 1,
        "terminal_id": 1, "program_version": 1, "occurred_at": "2026-03-01T12:00:00+00:00",
        "recorded_at": "2026-03-01T12:00:00+00:00",
        "explanations": ["5% of the amount paid comes back as points"]})

    id: int
    code: str
    points: int
    receipt_id: int | None
    store_id: int | None
    terminal_id: int | None
    program_version: int | None
    occurred_at: Instant
    recorded_at: Instant
    explanations: list[str]


class ReferralStatusOut(Out):
    status: str
    reason: str | None
    trigger: str
    referrer_points: int
    referred_points: int
    settled: bool


class ReferralInfoOut(Out):
    """The member's own referral code and link, who invited them (``referral``: how that
    went) and how many members they invited."""

    model_config = examples({
        "member_id": 7, "code": "K7Q2M4", "link": "https://join.example.com/r/K7Q2M4",
        "referrer_id": None, "invited_members": 2, "referral": None})

    member_id: int
    code: str
    link: str | None
    referrer_id: int | None
    invited_members: int
    referral: ReferralStatusOut | None


class ErasureOut(Out):
    """What an erasure did. The member's row stays as an anonymous shell that keeps
    ``balance_points`` (left to expire, never spendable by anyone) and ``receipts_kept``
    receipts for accounting; ``already_erased`` when an earlier call had erased it."""

    model_config = examples({"member_id": 7, "erased_at": "2026-12-06T10:00:00Z",
                             "already_erased": False, "balance_points": 120,
                             "receipts_kept": 14})

    member_id: int
    erased_at: Instant
    already_erased: bool
    balance_points: int
    receipts_kept: int


class ExportedProfileOut(Out):
    phone: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    birthday: Day | None
    consent: str
    profile: dict[str, Any]
    locale: str | None
    external_id: str | None
    referral_code: str | None
    referrer_id: int | None
    store_id: int | None
    status: str
    created_at: Instant
    erased_at: Instant | None


class ExportedIdentifierOut(Out):
    kind: str
    value: str
    created_at: Instant


class ExportedAccountOut(Out):
    asset: str
    balance: int
    held: int
    debt: int


class ExportedEntryOut(Out):
    id: int
    code: str
    # ``points``, or the money of the wallet and gift cards (``money:EUR``): ``points`` is
    # then the amount in minor units.
    asset: str
    points: int
    receipt_id: int | None
    store_id: int | None
    occurred_at: Instant


class ExportedReceiptOut(Out):
    id: int
    receipt_no: str
    store_id: int
    status: str
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_spent: int
    points_earned: int
    refunded_paid_minor: int
    occurred_at: Instant


class MemberExportOut(Out):
    """Everything held about one member (GDPR Art. 15): profile, identifiers, accounts (points
    and wallets), every ledger entry and every receipt."""

    model_config = examples({
        "member_id": 7, "exported_at": "2026-12-06T10:00:00Z",
        "profile": {"phone": "+78007750111", "first_name": "Anna", "last_name": None,
                    "email": None, "birthday": "1990-04-25", "consent": "full",
                    "profile": {}, "locale": None, "external_id": None,
                    "referral_code": "K7Q2M4", "referrer_id": None, "store_id": 1,
                    "status": "active", "created_at": "2026-01-10T09:00:00Z",
                    "erased_at": None},
        "identifiers": [{"kind": "phone", "value": "+78007750111",
                         "created_at": "2026-01-10T09:00:00Z"}],
        "accounts": [{"asset": "points", "balance": 120, "held": 0, "debt": 0}],
        "entries": [{"id": 31, "code": "earn", "asset": "points", "points": 120,
                     "receipt_id": 12,
                     "store_id": 1, "occurred_at": "2026-02-01T12:00:00Z"}],
        "receipts": [{"id": 12, "receipt_no": "R-1", "store_id": 1, "status": "committed",
                      "gross_minor": 240000, "discount_minor": 0, "paid_minor": 240000,
                      "points_spent": 0, "points_earned": 120, "refunded_paid_minor": 0,
                      "occurred_at": "2026-02-01T12:00:00Z"}]})

    member_id: int
    exported_at: Instant
    profile: ExportedProfileOut
    identifiers: list[ExportedIdentifierOut]
    accounts: list[ExportedAccountOut]
    entries: list[ExportedEntryOut]
    receipts: list[ExportedReceiptOut]
