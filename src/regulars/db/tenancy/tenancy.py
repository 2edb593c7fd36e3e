"""Tenants, stores, tills, staff, API keys and program versions. Every query is scoped by
``tenant_id``; a row of another tenant is simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from regulars.db import personal
from regulars.db.engine import cache_for, forget, remembered
from regulars.db.program.tables import programs
from regulars.db.tenancy.tables import api_keys, staff, stores, tenants, terminals
from regulars.domain.tenancy.stores import folded_name


@dataclass(frozen=True, kw_only=True)
class TenantRow:
    id: int
    name: str
    currency: str
    locale: str
    timezone: str
    phone_region: str


@dataclass(frozen=True, kw_only=True)
class KeyRow:
    id: int
    tenant_id: int
    kind: str
    terminal_id: int | None
    store_id: int | None
    scopes: str = "admin"  # space-separated


def insert_tenant(conn: Connection, *, name: str, currency: str, locale: str, timezone: str,
                  phone_region: str, now: datetime) -> int:
    return int(conn.execute(insert(tenants).values(
        name=name, currency=currency, locale=locale, timezone=timezone,
        phone_region=phone_region, created_at=now).returning(tenants.c.id)).scalar_one())


TENANT_SECONDS = 5.0
"""How late another process may see a business's changed name, language or time zone."""


def get_tenant(conn: Connection, tenant_id: int) -> TenantRow | None:
    """A tenant's settings, kept for :data:`TENANT_SECONDS` (every request reads them; the
    process that changes them forgets at once, see :func:`update_tenant`)."""
    key = ("tenant", tenant_id)
    found = remembered(conn, key, TENANT_SECONDS, lambda: read_tenant(conn, tenant_id))
    if found is None:
        forget(conn, key)  # a business made a moment later is seen at once
    return found


def read_tenant(conn: Connection, tenant_id: int) -> TenantRow | None:
    row = conn.execute(select(tenants).where(tenants.c.id == tenant_id)).one_or_none()
    if row is None:
        return None
    return TenantRow(id=row.id, name=row.name, currency=row.currency, locale=row.locale,
                     timezone=row.timezone, phone_region=row.phone_region)


def update_tenant(conn: Connection, tenant_id: int, *, name: str, locale: str,
                  timezone: str) -> int:
    """Change what a business may change about itself (its currency never changes: the
    ledger's assets are in it); rows changed (0 for an unknown id)."""
    changed = conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(
        name=name, locale=locale, timezone=timezone)).rowcount
    forget(conn, ("tenant", tenant_id))
    return int(changed)


def list_tenants(conn: Connection) -> list[TenantRow]:
    return [TenantRow(id=r.id, name=r.name, currency=r.currency, locale=r.locale,
                      timezone=r.timezone, phone_region=r.phone_region)
            for r in conn.execute(select(tenants).order_by(tenants.c.id))]


def insert_key(conn: Connection, *, tenant_id: int, kind: str, key_hash: str, label: str,
               terminal_id: int | None, now: datetime, scopes: str = "admin") -> int:
    return int(conn.execute(insert(api_keys).values(
        tenant_id=tenant_id, kind=kind, key_hash=key_hash, label=label,
        terminal_id=terminal_id, created_at=now, scopes=scopes)
        .returning(api_keys.c.id)).scalar_one())


_KEY_BY_HASH = (  # built once: it runs on every request
    select(api_keys.c.id, api_keys.c.tenant_id, api_keys.c.kind, api_keys.c.terminal_id,
           terminals.c.store_id, api_keys.c.scopes)
    .outerjoin(terminals, terminals.c.id == api_keys.c.terminal_id)
    .where(api_keys.c.key_hash == bindparam("key_hash"), api_keys.c.revoked_at.is_(None),
           terminals.c.revoked_at.is_(None)))


def key_by_hash(conn: Connection, key_hash: str) -> KeyRow | None:
    """An unrevoked key with its till's store (one indexed look-up per request)."""
    row = conn.execute(_KEY_BY_HASH, {"key_hash": key_hash}).one_or_none()
    if row is None:
        return None
    return KeyRow(id=row.id, tenant_id=row.tenant_id, kind=row.kind,
                  terminal_id=row.terminal_id, store_id=row.store_id, scopes=row.scopes)


# Keys looked up lately, per engine: {key hash: (row, monotonic deadline)}. The service that
# revokes forgets them all once its transaction has committed (forgetting earlier would let a
# request read the key, still valid until the commit, and remember it again); other processes
# notice within their time to live.
_REMEMBERED = "api keys remembered"
_REMEMBERED_MAX = 10_000


def _remembered(conn_or_engine: Connection | Engine) -> dict[str, tuple[KeyRow, float]]:
    cache = cache_for(conn_or_engine)
    found = cache.get(_REMEMBERED)
    if not isinstance(found, dict):
        found = cache[_REMEMBERED] = {}
    return found


def remembered_key(engine: Engine, key_hash: str, *, now_monotonic: float) -> KeyRow | None:
    """A key :func:`remember_key` stored for this engine whose time has not run out."""
    found = _remembered(engine).get(key_hash)
    if found is None or found[1] <= now_monotonic:
        return None
    return found[0]


def remember_key(engine: Engine, key_hash: str, row: KeyRow, *, until_monotonic: float) -> None:
    remembered = _remembered(engine)
    if len(remembered) >= _REMEMBERED_MAX:  # far more keys than tills: start again
        remembered.clear()
    remembered[key_hash] = (row, until_monotonic)


def forget_keys(conn_or_engine: Connection | Engine) -> None:
    """Forget every remembered key of this engine (a key or a till was revoked)."""
    _remembered(conn_or_engine).clear()


def revoke_keys(conn: Connection, tenant_id: int, *, key_id: int | None = None,
                terminal_id: int | None = None, now: datetime) -> int:
    query = update(api_keys).where(api_keys.c.tenant_id == tenant_id,
                                   api_keys.c.revoked_at.is_(None))
    if key_id is not None:
        query = query.where(api_keys.c.id == key_id)
    if terminal_id is not None:
        query = query.where(api_keys.c.terminal_id == terminal_id)
    return int(conn.execute(query.values(revoked_at=now)).rowcount)


def list_keys(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(api_keys.c.id, api_keys.c.kind, api_keys.c.label,
                               api_keys.c.terminal_id, api_keys.c.created_at,
                               api_keys.c.revoked_at, api_keys.c.scopes)
                        .where(api_keys.c.tenant_id == tenant_id).order_by(api_keys.c.id))
    return [dict(r._mapping) for r in rows]


def insert_store(conn: Connection, *, tenant_id: int, code: str, name: str,
                 now: datetime) -> int:
    """The new store's id; :class:`UniqueViolation` (on commit at the latest) when the
    business has a store of that code, or of that name in any case."""
    return int(conn.execute(insert(stores).values(
        tenant_id=tenant_id, code=code, name=name, name_folded=folded_name(name),
        created_at=now).returning(stores.c.id)).scalar_one())


def rename_store(conn: Connection, tenant_id: int, store_id: int, name: str) -> bool:
    """False when the business has no such store; :class:`UniqueViolation` when another of
    its stores has that name in any case."""
    return conn.execute(update(stores).where(stores.c.tenant_id == tenant_id,
                                             stores.c.id == store_id)
                        .values(name=name, name_folded=folded_name(name))).rowcount == 1


def store_code_taken(conn: Connection, tenant_id: int, code: str) -> bool:
    return conn.execute(select(stores.c.id).where(stores.c.tenant_id == tenant_id,
                                                  stores.c.code == code)).first() is not None


def update_staff(conn: Connection, tenant_id: int, staff_id: int, *, name: str,
                 store_id: int | None) -> bool:
    """Set a staff member's name and store (None: every store); False when the business has
    no such staff member."""
    return conn.execute(update(staff).where(staff.c.tenant_id == tenant_id,
                                            staff.c.id == staff_id)
                        .values(name=name, store_id=store_id)).rowcount == 1


def get_store(conn: Connection, tenant_id: int, store_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(stores).where(stores.c.tenant_id == tenant_id,
                                            stores.c.id == store_id)).one_or_none()
    return dict(row._mapping) if row else None


def list_stores(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(stores).where(stores.c.tenant_id == tenant_id).order_by(stores.c.id))]


def insert_terminal(conn: Connection, *, tenant_id: int, store_id: int, code: str, name: str,
                    now: datetime) -> int:
    return int(conn.execute(insert(terminals).values(
        tenant_id=tenant_id, store_id=store_id, code=code, name=name, created_at=now)
        .returning(terminals.c.id)).scalar_one())


def get_terminal(conn: Connection, tenant_id: int, terminal_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(terminals).where(terminals.c.tenant_id == tenant_id,
                                               terminals.c.id == terminal_id)).one_or_none()
    return dict(row._mapping) if row else None


def list_terminals(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(terminals).where(terminals.c.tenant_id == tenant_id).order_by(terminals.c.id))]


def revoke_terminal(conn: Connection, tenant_id: int, terminal_id: int, now: datetime) -> None:
    conn.execute(update(terminals).where(terminals.c.tenant_id == tenant_id,
                                         terminals.c.id == terminal_id)
                 .values(revoked_at=now))


def insert_staff(conn: Connection, *, tenant_id: int, name: str, email: str | None, role: str,
                 store_id: int | None, now: datetime) -> int:
    return int(conn.execute(insert(staff).values(
        tenant_id=tenant_id, name=name, email=email, role=role, store_id=store_id,
        created_at=now).returning(staff.c.id)).scalar_one())


def _staff_row(row: Any) -> dict[str, Any]:
    """A staff row with its phone opened (as ``phone``) and no blind index."""
    record = dict(row._mapping)
    del record["phone_index"]
    return personal.opened(record, "phone_sealed", "phone")


def get_staff(conn: Connection, tenant_id: int, staff_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(staff).where(staff.c.tenant_id == tenant_id,
                                           staff.c.id == staff_id)).one_or_none()
    return _staff_row(row) if row else None


def set_staff_phone(conn: Connection, tenant_id: int, staff_id: int,
                    phone: str | None) -> bool:
    """Set (or clear) a staff member's own phone (E.164), sealed and with the blind index the
    fraud scan matches members' phones by; False when the tenant has no such staff."""
    return conn.execute(update(staff).where(staff.c.tenant_id == tenant_id,
                                            staff.c.id == staff_id)
                        .values(phone_sealed=personal.seal_optional(phone),
                                phone_index=personal.blind_index_optional(
                                    tenant_id, "phone", phone))).rowcount == 1


def list_staff(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    return [_staff_row(r) for r in conn.execute(
        select(staff).where(staff.c.tenant_id == tenant_id).order_by(staff.c.id))]


def insert_program(conn: Connection, *, tenant_id: int, version: int, rules: dict[str, Any],
                   note: str, now: datetime) -> None:
    conn.execute(insert(programs).values(tenant_id=tenant_id, version=version, rules=rules,
                                         note=note, created_at=now))


def current_program_version(conn: Connection, tenant_id: int) -> int:
    return int(conn.execute(_CURRENT_VERSION, {"tenant_id": tenant_id}).scalar_one())


_CURRENT_VERSION = (select(func.max(programs.c.version))
                    .where(programs.c.tenant_id == bindparam("tenant_id")))


def program_version(conn: Connection, tenant_id: int, version: int) -> dict[str, Any] | None:
    row = conn.execute(select(programs.c.rules).where(
        programs.c.tenant_id == tenant_id, programs.c.version == version)).one_or_none()
    return dict(row.rules) if row else None


def max_program_version(conn: Connection, tenant_id: int) -> int:
    return int(conn.execute(select(func.coalesce(func.max(programs.c.version), 0))
                            .where(programs.c.tenant_id == tenant_id)).scalar_one())


def list_programs(conn: Connection, tenant_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(programs.c.version, programs.c.note, programs.c.created_at, programs.c.rules)
        .where(programs.c.tenant_id == tenant_id).order_by(programs.c.version))]
