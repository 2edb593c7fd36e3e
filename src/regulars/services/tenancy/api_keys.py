"""API keys: generated once, shown once, stored as a SHA-256 hash.

Keys carry 160 bits from :mod:`secrets`, so a fast hash is enough (no password stretching is
needed for a secret nobody chose). A key names its kind in its prefix: ``rgo_`` for an owner,
``rgt_`` for a till.

Scopes: what a key may do. An owner key has one or more of ``admin`` (everything the admin
API offers), ``analytics`` (read-only: the admin API's reports and reads, never a change, nor
keys or staff) and ``events`` (``POST /v1/events`` only); a new key gets ``events`` unless
told otherwise, the least that is useful to an integration. A till key has ``pos`` (the
checkout API), always and only. Every route names the scopes that may call it (listed in the
OpenAPI document); a key with none of them gets 403.

A key found valid is remembered by the process for ``settings.principal_cache_seconds``
(5 s by default; 0 turns it off), so that a till's quote and commit do not each open a unit
of work only to read their key. Revoking a key or a till in a process forgets every
remembered key of that process once the revocation has committed, so that process refuses the
key at once (short of a look-up already under way); the other processes (uvicorn workers,
other servers) refuse it at the latest that many seconds after the revocation committed. An
unknown or revoked key is never remembered.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from regulars.db.tenancy import tenancy
from regulars.errors import Forbidden, InvalidInput, Unauthorized
from regulars.services.runtime import Runtime
from regulars.text.i18n import N_

PREFIX = {"owner": "rgo_", "till": "rgt_"}
OWNER_SCOPES = ("admin", "analytics", "events")
DEFAULT_SCOPES = ("events",)
TILL_SCOPES = ("pos",)
# Monotonic, not the runtime's clock: it bounds how stale a remembered key may be, which is
# the machine's business, not the tenant's time (a module attribute so tests can move it).
_monotonic = time.monotonic


KEY_NEEDED = {"till": N_("this call needs a till key"),
              "owner": N_("this call needs an owner key")}
"""What a call that needs another kind of key says, by the kind it needs."""


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who is calling: a tenant's owner key, or one of its tills."""

    tenant_id: int
    kind: str
    key_id: int
    terminal_id: int | None = None
    store_id: int | None = None
    scopes: frozenset[str] = frozenset({"admin"})

    def require(self, kind: str) -> None:
        if self.kind != kind:
            raise Forbidden(KEY_NEEDED.get(kind, N_("this key may not make this call")))

    def require_scope(self, allowed: list[str]) -> None:
        """Raise :class:`Forbidden` unless the key has one of the ``allowed`` scopes."""
        if self.scopes.intersection(allowed):
            return
        if allowed == ["pos"]:
            raise Forbidden("this call needs a till key")
        if self.kind == "till":
            raise Forbidden("this call needs an owner key")
        raise Forbidden("this key may not make this call: it needs the scope %(scopes)s",
                        params={"scopes": " or ".join(allowed)})


def parse_scopes(scopes: Sequence[str] | None) -> str:
    """The stored form of an owner key's ``scopes`` (``None``: the default); raises
    :class:`InvalidInput` (field ``scopes``) for none or an unknown one."""
    chosen = DEFAULT_SCOPES if scopes is None else tuple(scopes)
    unknown = [s for s in chosen if s not in OWNER_SCOPES]
    if unknown or not chosen:
        raise InvalidInput("scopes: choose one or more of admin, analytics and events",
                           field="scopes")
    return " ".join([s for s in OWNER_SCOPES if s in chosen])


def new_key(kind: str) -> tuple[str, str]:
    """(plain key, its hash)."""
    plain = PREFIX[kind] + secrets.token_urlsafe(20)
    return plain, hash_key(plain)


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def remembered(rt: Runtime, plain: str | None) -> Principal | None:
    """The principal behind ``plain`` if this process remembers its key, else ``None``
    (then :func:`authenticate` reads it). Touches no database: safe on an event loop."""
    if not plain:
        return None
    row = tenancy.remembered_key(rt.db.engine, hash_key(plain), now_monotonic=_monotonic())
    return _principal(row) if row is not None else None


def authenticate(rt: Runtime, plain: str | None) -> Principal:
    """The principal behind ``plain``. Raises :class:`Unauthorized` for a missing, unknown or
    revoked key (and for a till key whose till was revoked)."""
    if not plain:
        raise Unauthorized("an API key is required (Authorization: Bearer <key>)")
    key_hash = hash_key(plain)
    started = _monotonic()
    row = tenancy.remembered_key(rt.db.engine, key_hash, now_monotonic=started)
    if row is None:
        with rt.db.read() as conn:
            row = tenancy.key_by_hash(conn, key_hash)
        if row is None:
            raise Unauthorized("unknown or revoked API key")
        ttl = rt.settings.principal_cache_seconds
        if ttl > 0:
            # From before the read: the key may have been revoked while it ran.
            tenancy.remember_key(rt.db.engine, key_hash, row, until_monotonic=started + ttl)
    return _principal(row)


def _principal(row: tenancy.KeyRow) -> Principal:
    return Principal(tenant_id=row.tenant_id, kind=row.kind, key_id=row.id,
                     terminal_id=row.terminal_id, store_id=row.store_id,
                     scopes=frozenset(row.scopes.split()))


def forget_keys(rt: Runtime) -> None:
    """Forget the keys this process remembers: call it after a revocation commits."""
    tenancy.forget_keys(rt.db.engine)
