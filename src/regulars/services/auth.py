"""API keys: generated once, shown once, stored as a SHA-256 hash.

Keys carry 160 bits from :mod:`secrets`, so a fast hash is enough (no password stretching is
needed for a secret nobody chose). A key names its kind in its prefix: ``rgo_`` for an owner,
``rgt_`` for a till.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from regulars.db import tenancy
from regulars.errors import Forbidden, Unauthorized
from regulars.services.runtime import Runtime

PREFIX = {"owner": "rgo_", "till": "rgt_"}


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who is calling: a tenant's owner key, or one of its tills."""

    tenant_id: int
    kind: str
    key_id: int
    terminal_id: int | None = None
    store_id: int | None = None

    def require(self, kind: str) -> None:
        if self.kind != kind:
            raise Forbidden(f"this call needs a {kind} key")


def new_key(kind: str) -> tuple[str, str]:
    """(plain key, its hash)."""
    plain = PREFIX[kind] + secrets.token_urlsafe(20)
    return plain, hash_key(plain)


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def authenticate(rt: Runtime, plain: str | None) -> Principal:
    """The principal behind ``plain``. Raises :class:`Unauthorized` for a missing, unknown or
    revoked key (and for a till key whose till was revoked)."""
    if not plain:
        raise Unauthorized("an API key is required (Authorization: Bearer <key>)")
    with rt.db.read() as conn:
        row = tenancy.key_by_hash(conn, hash_key(plain))
    if row is None:
        raise Unauthorized("unknown or revoked API key")
    return Principal(tenant_id=row.tenant_id, kind=row.kind, key_id=row.id,
                     terminal_id=row.terminal_id, store_id=row.store_id)
