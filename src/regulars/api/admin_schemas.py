"""Answers of ``/v1/admin`` and the service routes (see :mod:`regulars.api.pos_schemas` for
the conventions)."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_serializer

from regulars.api.pos_schemas import Instant, Out, examples
from regulars.domain.program.program import Program
from regulars.services.program import programs


class ReadinessOut(Out):
    """Whether this process can serve (``status`` ``ready`` or ``not ready``), why not, and
    the database schema revision found and expected."""

    model_config = examples({"status": "ready", "reason": "ok", "schema": "0042",
                             "expected_schema": "0042"})

    status: str
    reason: str
    schema_revision: str | None = Field(alias="schema")  # ``schema`` is a BaseModel method
    expected_schema: str


_AT = "2026-03-01T12:00:00+00:00"


class TenantOut(Out):
    """The business and its settings."""

    model_config = examples({"id": 1, "name": "Bean & Leaf", "currency": "RUB",
                             "locale": "ru_RU", "timezone": "Europe/Moscow",
                             "phone_region": "RU"})

    id: int
    name: str
    currency: str
    locale: str
    timezone: str
    phone_region: str


class NewStoreOut(Out):
    model_config = examples({"id": 1, "code": "main", "name": "Main street"})

    id: int
    code: str
    name: str


class StoreOut(Out):
    model_config = examples({"id": 1, "code": "main", "name": "Main street",
                             "created_at": _AT})

    id: int
    code: str
    name: str
    created_at: Instant


class NewTerminalOut(Out):
    """A till just made and its API key: shown in this answer only."""

    model_config = examples({"id": 1, "store_id": 1, "code": "till-1",
                             "key": "rgt_example-only-shown-once"})

    id: int
    store_id: int
    code: str
    key: str


class TerminalOut(Out):
    model_config = examples({"id": 1, "store_id": 1, "code": "till-1", "name": "Till 1",
                             "created_at": _AT, "revoked_at": None})

    id: int
    store_id: int
    code: str
    name: str
    created_at: Instant
    revoked_at: Instant | None


class RotatedKeyOut(Out):
    """The till's new key, shown in this answer only; its earlier keys no longer work."""

    model_config = examples({"id": 1, "key": "rgt_example-only-shown-once"})

    id: int
    key: str


class NewStaffOut(Out):
    model_config = examples({"id": 3, "name": "Mia", "email": "mia@example.com",
                             "phone": None, "role": "marketer", "store_id": None})

    id: int
    name: str
    email: str | None
    role: str
    store_id: int | None


class StaffOut(Out):
    """A staff member: whether a console password or a till PIN is set, never either."""

    model_config = examples({"id": 3, "name": "Mia", "email": "mia@example.com",
                             "phone": None, "role": "marketer", "store_id": None, "active": True,
                             "locale": None, "created_at": _AT, "has_password": True,
                             "has_pin": False})

    id: int
    name: str
    email: str | None
    phone: str | None = None
    role: str
    store_id: int | None
    active: bool
    locale: str | None
    created_at: Instant
    has_password: bool
    has_pin: bool


class NewOwnerKeyOut(Out):
    """An owner key, shown in this answer only (only its hash is stored)."""

    model_config = examples({"id": 2, "key": "rgo_example-only-shown-once",
                             "label": "accounting", "scopes": ["analytics", "events"]})

    id: int
    key: str
    label: str
    scopes: list[str]


class ApiKeyOut(Out):
    """An owner's or a till's key, without the key itself."""

    model_config = examples({"id": 2, "kind": "owner", "label": "accounting",
                             "terminal_id": None, "created_at": _AT, "revoked_at": None,
                             "scopes": ["analytics", "events"]})

    id: int
    kind: str
    label: str
    terminal_id: int | None
    created_at: Instant
    revoked_at: Instant | None
    scopes: list[str]


class HealthOut(Out):
    """The process answers (no database is asked)."""

    model_config = examples({"status": "ok"})

    status: str


def _rules_json(rules: Program):  # type: ignore[no-untyped-def]
    return programs.rules_of(rules)


class ProgramOut(Out):
    """A program version and its full rules (what ``PUT /v1/admin/program`` takes)."""

    model_config = examples({"version": 2, "rules": programs.rules_of(Program(
        point_value_minor=100))})

    version: int
    rules: Program
    # Without a return annotation the document keeps the rules' own schema.
    _rules = field_serializer("rules")(_rules_json)


class ProgramVersionOut(Out):
    model_config = examples({"version": 2, "note": "a Gold level", "created_at": _AT})

    version: int
    note: str
    created_at: Instant


class LotOut(Out):
    """Points not yet spent or expired (``expires_at`` ``null``: they never expire)."""

    model_config = examples({"id": 5, "points": 450, "available_at": _AT,
                             "expires_at": "2027-03-01T12:00:00+00:00"})

    id: int
    points: int
    available_at: Instant
    expires_at: Instant | None


class ReceiptSummaryOut(Out):
    """A receipt in a listing, newest first; ``receipt_no`` is the till's number (lines and
    refunds: ``GET /v1/admin/receipts/{receipt_id}``)."""

    model_config = examples({"id": 12, "receipt_no": "S-1", "terminal_id": 1, "store_id": 1,
                             "member_id": 7, "status": "committed", "gross_minor": 10000,
                             "discount_minor": 0, "paid_minor": 9000, "points_spent": 10,
                             "points_earned": 450, "refunded_paid_minor": 0,
                             "occurred_at": _AT})

    id: int
    receipt_no: str
    terminal_id: int
    store_id: int
    member_id: int | None
    status: str
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_spent: int
    points_earned: int
    refunded_paid_minor: int
    occurred_at: Instant


class LedgerProblemOut(Out):
    """A disagreement: its ``kind`` (``account``, ``tenant``, ``entry``, ``mixed_assets``,
    ``spend_day``) and the ids and figures that disagree."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="allow")

    kind: str


class LedgerCheckOut(Out):
    """``ok`` when cached balances, postings, open lots and the spend per member and day all
    agree; otherwise each problem found."""

    model_config = examples({"ok": True, "problems": []}, {"ok": False, "problems": [
        {"kind": "account", "account_id": 9, "tenant_id": 1, "member_id": 7,
         "asset": "points", "balance": 500, "posted": 450, "in_lots": 450, "debt": 0}]})

    ok: bool
    problems: list[LedgerProblemOut]


class RetentionOut(Out):
    """How long one-time-code rows and stored answers to keyed requests are kept (days);
    ``updated_at`` null: the defaults are in use."""

    model_config = examples({"otp_days": 30, "idempotency_days": 90,
                             "updated_at": "2026-12-06T10:00:00Z"})

    otp_days: int
    idempotency_days: int
    updated_at: Instant | None
