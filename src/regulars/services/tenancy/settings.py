"""The business's settings as the console shows and changes them: stores, tills, staff and
owner keys, on top of :mod:`regulars.services.tenancy.tenants` and
:mod:`regulars.services.web_sessions.sessions`.

Secrets never leave here except once: a new till key or owner key is returned by the call
that made it; password and PIN hashes are never returned at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regulars.db.tenancy import tenancy
from regulars.db.web_sessions import sessions as web
from regulars.domain.messaging.addresses import EMAIL
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import forget_keys
from regulars.services.tenancy.results import NewStaff, NewTerminal, TenantInfo
from regulars.services.web_sessions import sessions as web_auth

CONSOLE_ROLES = ("owner", "marketer", "analyst")
PIN_ROLES = ("owner", "cashier")


@dataclass(frozen=True, kw_only=True, slots=True)
class Till:
    id: int
    code: str
    name: str
    revoked_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class StoreTills:
    """A store and its tills."""

    id: int
    code: str
    name: str
    tills: tuple[Till, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Person:
    """A staff member as the console shows them: their store's name, whether a password or
    PIN is set (never either)."""

    id: int
    name: str
    email: str | None
    role: str
    store_id: int | None
    store: str | None
    active: bool
    has_password: bool
    has_pin: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class OwnerKey:
    id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None
    scopes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Overview:
    """The business, its stores with their tills, its staff and its owner keys."""

    business: TenantInfo
    stores: tuple[StoreTills, ...]
    staff: tuple[Person, ...]
    keys: tuple[OwnerKey, ...]


def overview(rt: Runtime, tenant_id: int) -> Overview:
    """The business, its stores with their tills, its staff and its owner keys."""
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        if tenant is None:
            raise NotFound("tenant not found")
        stores = tenancy.list_stores(conn, tenant_id)
        tills = tenancy.list_terminals(conn, tenant_id)
        people = tenancy.list_staff(conn, tenant_id)
        keys = tenancy.list_keys(conn, tenant_id)
    names = {s["id"]: s["name"] for s in stores}
    return Overview(
        business=TenantInfo(id=tenant.id, name=tenant.name, currency=tenant.currency,
                            locale=tenant.locale, timezone=tenant.timezone,
                            phone_region=tenant.phone_region),
        stores=tuple(StoreTills(id=s["id"], code=s["code"], name=s["name"],
                                tills=tuple(_till(t) for t in tills
                                            if t["store_id"] == s["id"]))
                     for s in stores),
        staff=tuple(_person(p, names) for p in people),
        keys=tuple(OwnerKey(id=k["id"], label=k["label"], created_at=k["created_at"],
                            revoked_at=k["revoked_at"], scopes=tuple(k["scopes"].split()))
                    for k in keys if k["kind"] == "owner"))


def _till(row: dict[str, Any]) -> Till:
    return Till(id=row["id"], code=row["code"], name=row["name"], revoked_at=row["revoked_at"])


def _person(row: dict[str, Any], store_names: dict[int, str]) -> Person:
    return Person(id=row["id"], name=row["name"], email=row["email"], role=row["role"],
                  store_id=row["store_id"],
                  store=store_names.get(row["store_id"]) if row["store_id"] else None,
                  active=bool(row["active"]), has_password=bool(row["password_hash"]),
                  has_pin=bool(row["pin_hash"]))


def person(rt: Runtime, tenant_id: int, staff_id: int) -> Person:
    """One staff member (no secrets); :class:`NotFound` for another tenant's."""
    with rt.db.read() as conn:
        row = tenancy.get_staff(conn, tenant_id, staff_id)
        stores = tenancy.list_stores(conn, tenant_id)
    if row is None:
        raise NotFound("staff member not found")
    return _person(row, {s["id"]: s["name"] for s in stores})


def add_till(rt: Runtime, tenant_id: int, *, store_id: int, code: str,
             name: str, actor: audit.Actor) -> NewTerminal:
    """A till with its key (returned only here); see :func:`tenants.create_terminal`."""
    return tenants.create_terminal(rt, tenant_id, store_id=store_id, code=code, name=name,
                                   actor=actor)


def add_staff(rt: Runtime, tenant_id: int, *, name: str, email: str, role: str,
              store_id: int | None, password: str = "", pin: str = "",
              actor: audit.Actor) -> NewStaff:
    """A staff member, with a console password and a till PIN when given. Everything is
    checked before anything is written; raises :class:`InvalidInput` naming the field."""
    email = email.strip()
    if not name.strip():
        raise InvalidInput("enter a name", field="name")
    if email and not EMAIL.fullmatch(email):
        raise InvalidInput("enter an e-mail address like name@example.com", field="email")
    if role not in tenants.ROLES:
        raise InvalidInput("choose a role", field="role")
    if role in CONSOLE_ROLES and not email:
        raise InvalidInput("this role signs in to the console: enter an e-mail address",
                           field="email")
    if password:
        if role not in CONSOLE_ROLES:
            raise InvalidInput("cashiers sign in at a till with a PIN, not a password",
                               field="password")
        web_auth.check_password(password)
    if pin:
        if role not in PIN_ROLES:
            raise InvalidInput("only cashiers and owners work at a till", field="pin")
        web_auth.check_pin(pin)
    created = tenants.create_staff(rt, tenant_id, name=name, email=email or None, role=role,
                                   store_id=store_id, actor=actor)
    if password:
        web_auth.set_password(rt, tenant_id, created.id, password, actor=actor)
    if pin:
        web_auth.set_pin(rt, tenant_id, created.id, pin, actor=actor)
    return created


def set_pin(rt: Runtime, tenant_id: int, staff_id: int, pin: str, *,
            actor: audit.Actor) -> None:
    """Set the PIN of a cashier or owner (the roles that work at a till); the change (never
    the PIN) is on the audit trail."""
    if person(rt, tenant_id, staff_id).role not in PIN_ROLES:
        raise InvalidInput("only cashiers and owners work at a till", field="pin")
    web_auth.set_pin(rt, tenant_id, staff_id, pin, actor=actor)


def set_password(rt: Runtime, tenant_id: int, staff_id: int, password: str, *,
                 actor: audit.Actor) -> None:
    """Set the console password of an owner, marketer or analyst; their sessions end; the
    change (never the password) is on the audit trail."""
    if person(rt, tenant_id, staff_id).role not in CONSOLE_ROLES:
        raise InvalidInput("cashiers sign in at a till with a PIN, not a password",
                           field="password")
    web_auth.set_password(rt, tenant_id, staff_id, password, actor=actor)


def deactivate(rt: Runtime, tenant_id: int, staff_id: int, *, by_staff_id: int | None,
               actor: audit.Actor | None = None) -> None:
    """Take a staff member's access away: they can no longer sign in, and every session they
    have (console or till) ends now. Nobody deactivates themselves (a business must keep an
    owner who can sign in)."""
    if staff_id == by_staff_id:
        raise Conflict("you cannot deactivate yourself")
    with rt.db.write() as conn:
        if web.set_staff_secret(conn, tenant_id, staff_id, active=False) != 1:
            raise NotFound("staff member not found")
        web.revoke_staff_sessions(conn, tenant_id, staff_id, rt.now())
        audit.record(conn, tenant_id, actor or audit.staff(by_staff_id), "staff.deactivate",
                     f"staff {staff_id}", at=rt.now())


def revoke_owner_key(rt: Runtime, tenant_id: int, key_id: int,
                     *, actor: audit.Actor) -> None:
    """Revoke an owner key (a till's key is rotated or revoked with its till)."""
    with rt.db.write() as conn:
        owner_keys = {k["id"] for k in tenancy.list_keys(conn, tenant_id)
                      if k["kind"] == "owner" and k["revoked_at"] is None}
        if key_id not in owner_keys:
            raise NotFound("key not found or already revoked")
        tenancy.revoke_keys(conn, tenant_id, key_id=key_id, now=rt.now())
        audit.record(conn, tenant_id, actor, "key.revoke", f"key {key_id}", at=rt.now())
    forget_keys(rt)
