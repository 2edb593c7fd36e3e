"""Answers of ``/v1/admin`` and the service routes (see :mod:`regulars.api.pos_schemas` for
the conventions)."""

from __future__ import annotations

from pydantic import Field

from regulars.api.pos_schemas import Instant, Out, examples


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
                             "role": "marketer", "store_id": None})

    id: int
    name: str
    email: str | None
    role: str
    store_id: int | None


class StaffOut(Out):
    """A staff member: whether a console password or a till PIN is set, never either."""

    model_config = examples({"id": 3, "name": "Mia", "email": "mia@example.com",
                             "role": "marketer", "store_id": None, "active": True,
                             "locale": None, "created_at": _AT, "has_password": True,
                             "has_pin": False})

    id: int
    name: str
    email: str | None
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
                             "label": "accounting"})

    id: int
    key: str
    label: str


class ApiKeyOut(Out):
    """An owner's or a till's key, without the key itself."""

    model_config = examples({"id": 2, "kind": "owner", "label": "accounting",
                             "terminal_id": None, "created_at": _AT, "revoked_at": None})

    id: int
    kind: str
    label: str
    terminal_id: int | None
    created_at: Instant
    revoked_at: Instant | None
