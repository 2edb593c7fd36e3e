"""What the tenancy services answer, as frozen results: the business, its stores, tills,
staff and keys. A key's secret appears only in the result of the call that made it
(:class:`NewOwnerKey`, :class:`NewTerminal`, :class:`RotatedKey`); no result carries a hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class TenantInfo:
    id: int
    name: str
    currency: str
    locale: str
    timezone: str
    phone_region: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NewStore:
    id: int
    code: str
    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Store:
    id: int
    code: str
    name: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class NewTerminal:
    """A till just made, with its key (shown this once)."""

    id: int
    store_id: int
    code: str
    key: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Terminal:
    id: int
    store_id: int
    code: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class RotatedKey:
    """A till's new key (shown this once); its earlier keys are revoked."""

    id: int
    key: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NewStaff:
    id: int
    name: str
    email: str | None
    role: str
    store_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class StaffMember:
    """A staff member without secrets: whether a password or PIN is set, never its hash."""

    id: int
    name: str
    email: str | None
    phone: str | None = None
    role: str
    store_id: int | None
    active: bool
    locale: str | None
    created_at: datetime
    has_password: bool
    has_pin: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class NewOwnerKey:
    """An owner key just made (shown this once)."""

    id: int
    key: str
    label: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiKey:
    """An owner's or a till's key, without its secret."""

    id: int
    kind: str
    label: str
    terminal_id: int | None
    created_at: datetime
    revoked_at: datetime | None
    scopes: tuple[str, ...] = ()
