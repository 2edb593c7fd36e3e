"""Tenants and what belongs to them: stores, tills (with their keys), staff, owner keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, list_currencies
from sqlalchemy import Connection

from regulars.db.engine import UniqueViolation, forget, remembered
from regulars.db.ledger import ops as ledger_ops
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.assets import money
from regulars.domain.program.program import Program
from regulars.domain.tenancy import names, stores, tills
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import forget_keys, new_key, parse_scopes
from regulars.services.tenancy.results import (
    ApiKey,
    NewOwnerKey,
    NewStaff,
    NewStore,
    NewTerminal,
    RotatedKey,
    StaffMember,
    Store,
    TenantInfo,
    Terminal,
)
from regulars.text import i18n
from regulars.text.i18n import N_

ROLES = ("owner", "marketer", "analyst", "cashier")
# ISO 4217 codes that are not money a shop takes: no currency, testing, metals, fund units.
NOT_MONEY = frozenset({"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB", "XBC",
                       "XBD", "XSU", "XUA"})


@dataclass(frozen=True, kw_only=True)
class NewTenant:
    tenant_id: int
    owner_key: str


def validate_settings(*, currency: str, locale: str, timezone: str, phone_region: str) -> None:
    """Raise :class:`InvalidInput` naming the field that Babel, zoneinfo or phonenumbers do
    not know."""
    if currency not in list_currencies() or currency in NOT_MONEY:
        raise InvalidInput("unknown ISO 4217 currency %(value)s", field="currency",
                           params={"value": repr(currency)})
    try:
        Locale.parse(locale)
    except (ValueError, UnknownLocaleError) as exc:
        raise InvalidInput("unknown locale %(value)s", field="locale",
                           params={"value": repr(locale)}) from exc
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("unknown time zone %(value)s", field="timezone",
                           params={"value": repr(timezone)}) from exc
    if phone_region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput("unknown phone region %(value)s", field="phone_region",
                           params={"value": repr(phone_region)})


def minor_digits(currency: str) -> int:
    return int(get_currency_precision(currency))


BASE_LEVEL = N_("Base")
"""The name of a new tenant's one level, in the tenant's language."""


def first_program(currency: str, locale: str) -> Program:
    """The program a tenant starts with: one level, named in the tenant's language (a name
    the tenant may change; tenants made before keep the name they have)."""
    default = Program(point_value_minor=10 ** minor_digits(currency))
    name = i18n.translate(i18n.language_of(locale) or "en", BASE_LEVEL)
    return replace(default, levels=(replace(default.levels[0], name=name),
                                    *default.levels[1:]))


def create_tenant(rt: Runtime, *, name: str, currency: str, locale: str, timezone: str,
                  phone_region: str, program: Program | None = None) -> NewTenant:
    """A tenant with its system accounts, program version 1 and a first owner key."""
    if not name.strip():
        raise InvalidInput("name must not be empty", field="name")
    validate_settings(currency=currency, locale=locale, timezone=timezone,
                      phone_region=phone_region)
    if program is None:
        program = first_program(currency, locale)
    now = rt.now()
    plain, key_hash = new_key("owner")
    with rt.db.write() as conn:
        tenant_id = tenancy.insert_tenant(conn, name=name.strip(), currency=currency,
                                          locale=locale, timezone=timezone,
                                          phone_region=phone_region, now=now)
        ledger_ops.open_system_accounts(conn, tenant_id)
        ledger_ops.open_system_accounts(conn, tenant_id, asset=money(currency))
        tenancy.insert_program(conn, tenant_id=tenant_id, version=1,
                               rules=programs.rules_of(program), note="initial", now=now)
        tenancy.insert_key(conn, tenant_id=tenant_id, kind="owner", key_hash=key_hash,
                           label="first owner key", terminal_id=None, now=now)
    return NewTenant(tenant_id=tenant_id, owner_key=plain)


def get_tenant(rt: Runtime, tenant_id: int) -> tenancy.TenantRow:
    """A tenant's settings; raises :class:`NotFound` for an unknown id. Kept for a few
    seconds (:data:`regulars.db.tenancy.tenancy.TENANT_SECONDS`), so the hot path pays no
    query, nor even a connection, for it."""

    def read() -> tenancy.TenantRow | None:
        with rt.db.read() as conn:
            return tenancy.read_tenant(conn, tenant_id)

    key = ("tenant", tenant_id)
    row = remembered(rt.db.engine, key, tenancy.TENANT_SECONDS, read)
    if row is None:
        forget(rt.db.engine, key)
        raise NotFound("tenant not found")
    return row


def tenant_info(rt: Runtime, tenant_id: int) -> TenantInfo:
    row = get_tenant(rt, tenant_id)
    return TenantInfo(id=row.id, name=row.name, currency=row.currency, locale=row.locale,
                      timezone=row.timezone, phone_region=row.phone_region)


def create_owner_key(rt: Runtime, tenant_id: int, label: str,
                     scopes: Sequence[str] | None = None,
                     *, actor: audit.Actor) -> NewOwnerKey:
    """A new owner key with ``scopes`` (default: events only, see
    :mod:`regulars.services.tenancy.api_keys`), shown only here."""
    stored = parse_scopes(scopes)
    plain, key_hash = new_key("owner")
    with rt.db.write() as conn:
        key_id = tenancy.insert_key(conn, tenant_id=tenant_id, kind="owner", key_hash=key_hash,
                                    label=label or "owner key", terminal_id=None, now=rt.now(),
                                    scopes=stored)
        audit.record(conn, tenant_id, actor, "key.create", f"key {key_id}", at=rt.now(),
                     scopes=stored)
    return NewOwnerKey(id=key_id, key=plain, label=label, scopes=tuple(stored.split()))


def revoke_key(rt: Runtime, tenant_id: int, key_id: int,
               *, actor: audit.Actor) -> None:
    with rt.db.write() as conn:
        if tenancy.revoke_keys(conn, tenant_id, key_id=key_id, now=rt.now()) != 1:
            raise NotFound("key not found or already revoked")
        audit.record(conn, tenant_id, actor, "key.revoke", f"key {key_id}", at=rt.now())
    forget_keys(rt)


def list_keys(rt: Runtime, tenant_id: int) -> list[ApiKey]:
    with rt.db.read() as conn:
        return [ApiKey(**{**k, "scopes": tuple(k["scopes"].split())})
                for k in tenancy.list_keys(conn, tenant_id)]


def create_store(rt: Runtime, tenant_id: int, *, code: str, name: str,
                 actor: audit.Actor) -> NewStore:
    """A store. :class:`InvalidInput` on ``code`` or ``name`` (see
    :mod:`regulars.domain.tenancy.stores`); :class:`Conflict` on ``code`` when the business
    has a store of that code, on ``name`` when it has one of that name in any case (the
    unique indexes decide, so two requests at once cannot both add it)."""
    code, name = stores.checked_code(code), names.checked_name(name)
    try:
        with rt.db.write() as conn:
            store_id = tenancy.insert_store(conn, tenant_id=tenant_id, code=code, name=name,
                                            now=rt.now())
            audit.record(conn, tenant_id, actor, "store.create", f"store {store_id}",
                         at=rt.now(), code=code)
    except UniqueViolation as exc:
        raise _store_conflict(rt, tenant_id, code=code, name=name) from exc
    return NewStore(id=store_id, code=code, name=name)


def rename_store(rt: Runtime, tenant_id: int, store_id: int, *, name: str,
                 actor: audit.Actor) -> Store:
    """Give a store another name. Its code stays: import files, exports and other systems
    name the store by it. :class:`InvalidInput` or :class:`Conflict` on ``name`` as
    :func:`create_store`; :class:`NotFound` for another business's store."""
    name = names.checked_name(name)
    try:
        with rt.db.write() as conn:
            before = tenancy.get_store(conn, tenant_id, store_id)
            if before is None or not tenancy.rename_store(conn, tenant_id, store_id, name):
                raise NotFound("store not found")
            audit.record(conn, tenant_id, actor, "store.update", f"store {store_id}",
                         at=rt.now(), before=before["name"], after=name)
    except UniqueViolation as exc:
        raise _store_conflict(rt, tenant_id, code=None, name=name) from exc
    return Store(id=store_id, code=before["code"], name=name, created_at=before["created_at"])


def _store_conflict(rt: Runtime, tenant_id: int, *, code: str | None, name: str) -> Conflict:
    """Which of a store's unique fields another store of the business already has."""
    if code is not None:
        with rt.db.read() as conn:
            if tenancy.store_code_taken(conn, tenant_id, code):
                return Conflict("a store with code %(code)s exists", field="code",
                                params={"code": repr(code)})
    return Conflict("a store named %(name)s exists", field="name",
                    params={"name": repr(name)})


def get_store(rt: Runtime, tenant_id: int, store_id: int) -> Store:
    """One store; :class:`NotFound` for another business's."""
    with rt.db.read() as conn:
        row = tenancy.get_store(conn, tenant_id, store_id)
    if row is None:
        raise NotFound("store not found")
    return Store(id=row["id"], code=row["code"], name=row["name"],
                 created_at=row["created_at"])


def list_stores(rt: Runtime, tenant_id: int) -> list[Store]:
    with rt.db.read() as conn:
        return [Store(id=s["id"], code=s["code"], name=s["name"], created_at=s["created_at"])
                for s in tenancy.list_stores(conn, tenant_id)]


def create_terminal(rt: Runtime, tenant_id: int, *, store_id: int, code: str,
                    name: str, actor: audit.Actor) -> NewTerminal:
    """A till in one of the tenant's stores, with its API key (returned only here).
    :class:`InvalidInput` on ``code`` (see :mod:`regulars.domain.tenancy.tills`) and on
    ``store_id`` for a store that is not the business's (another's reads as unknown, as when
    adding staff); :class:`Conflict` on ``code`` when the business has a till of that code."""
    code = tills.checked_code(code)
    plain, key_hash = new_key("till")
    now = rt.now()
    try:
        with rt.db.write() as conn:
            _check_store(conn, tenant_id, store_id)
            terminal_id = tenancy.insert_terminal(conn, tenant_id=tenant_id, store_id=store_id,
                                                  code=code, name=name.strip() or code,
                                                  now=now)
            tenancy.insert_key(conn, tenant_id=tenant_id, kind="till", key_hash=key_hash,
                               label=f"till {code}", terminal_id=terminal_id, now=now,
                               scopes="pos")
            audit.record(conn, tenant_id, actor, "till.create", f"till {terminal_id}", at=now,
                         code=code, store_id=store_id)
    except UniqueViolation as exc:
        raise Conflict("a till with code %(code)s exists", field="code",
                       params={"code": repr(code)}) from exc
    return NewTerminal(id=terminal_id, store_id=store_id, code=code, key=plain)


def rotate_terminal_key(rt: Runtime, tenant_id: int, terminal_id: int,
                        *, actor: audit.Actor) -> RotatedKey:
    plain, key_hash = new_key("till")
    now = rt.now()
    with rt.db.write() as conn:
        terminal = tenancy.get_terminal(conn, tenant_id, terminal_id)
        if terminal is None or terminal["revoked_at"] is not None:
            raise NotFound("till not found")
        tenancy.revoke_keys(conn, tenant_id, terminal_id=terminal_id, now=now)
        tenancy.insert_key(conn, tenant_id=tenant_id, kind="till", key_hash=key_hash,
                           label=f"till {terminal['code']}", terminal_id=terminal_id, now=now,
                           scopes="pos")
        audit.record(conn, tenant_id, actor, "till.key", f"till {terminal_id}", at=now)
    forget_keys(rt)
    return RotatedKey(id=terminal_id, key=plain)


def revoke_terminal(rt: Runtime, tenant_id: int, terminal_id: int,
                    *, actor: audit.Actor) -> None:
    now = rt.now()
    with rt.db.write() as conn:
        if tenancy.get_terminal(conn, tenant_id, terminal_id) is None:
            raise NotFound("till not found")
        tenancy.revoke_terminal(conn, tenant_id, terminal_id, now)
        tenancy.revoke_keys(conn, tenant_id, terminal_id=terminal_id, now=now)
        audit.record(conn, tenant_id, actor, "till.revoke", f"till {terminal_id}", at=now)
    forget_keys(rt)


def list_terminals(rt: Runtime, tenant_id: int) -> list[Terminal]:
    with rt.db.read() as conn:
        return [Terminal(id=t["id"], store_id=t["store_id"], code=t["code"], name=t["name"],
                         created_at=t["created_at"], revoked_at=t["revoked_at"])
                for t in tenancy.list_terminals(conn, tenant_id)]


def create_staff(rt: Runtime, tenant_id: int, *, name: str, email: str | None, role: str,
                 store_id: int | None, actor: audit.Actor) -> NewStaff:
    """A staff member of the business, on the audit trail. :class:`InvalidInput` on
    ``role``, on ``name`` (see :func:`regulars.domain.tenancy.names.checked_name`) and on
    ``store_id`` for a store that is not the business's, as an edit answers;
    :class:`Conflict` on ``email`` for an address another staff member has."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    name = names.checked_name(name)
    try:
        with rt.db.write() as conn:
            _check_store(conn, tenant_id, store_id)
            staff_id = tenancy.insert_staff(conn, tenant_id=tenant_id, name=name,
                                            email=email, role=role, store_id=store_id,
                                            now=rt.now())
            audit.record(conn, tenant_id, actor, "staff.create", f"staff {staff_id}",
                         at=rt.now(), role=role, store_id=store_id)
    except UniqueViolation as exc:
        raise Conflict("a staff member with this e-mail exists", field="email") from exc
    return NewStaff(id=staff_id, name=name, email=email, role=role, store_id=store_id)


def update_staff(rt: Runtime, tenant_id: int, staff_id: int, *, name: str,
                 store_id: int | None, actor: audit.Actor) -> StaffMember:
    """Set a staff member's name and store (None: every store). A cashier's store decides at
    which tills they sign in, from their next sign-in on. :class:`InvalidInput` on ``name``
    (see :func:`regulars.domain.tenancy.names.checked_name`) and on ``store_id`` for a store
    that is not the business's; :class:`NotFound` for another business's staff member."""
    name = names.checked_name(name)
    with rt.db.write() as conn:
        before = tenancy.get_staff(conn, tenant_id, staff_id)
        if before is None:
            raise NotFound("staff member not found")
        row = set_details(conn, tenant_id, before, name=name, store_id=store_id, actor=actor,
                          now=rt.now())
    return public_staff(row)


def set_details(conn: Connection, tenant_id: int, before: dict[str, Any], *, name: str,
                store_id: int | None, actor: audit.Actor, now: datetime) -> dict[str, Any]:
    """Give the staff member ``before`` the (checked) ``name`` and ``store_id`` in ``conn``'s
    transaction, on the audit trail when either changed; the row after. :class:`InvalidInput`
    on ``store_id`` for a store that is not the business's."""
    _check_store(conn, tenant_id, store_id)
    staff_id = before["id"]
    tenancy.update_staff(conn, tenant_id, staff_id, name=name, store_id=store_id)
    # The trail names what changed and the stores, not the person's names: it is kept
    # whole for years, and a name is personal data.
    changed = [f for f, after in (("name", name), ("store_id", store_id)) if before[f] != after]
    if changed:
        audit.record(conn, tenant_id, actor, "staff.update", f"staff {staff_id}", at=now,
                     changed=changed, store_before=before["store_id"], store_after=store_id)
    row = tenancy.get_staff(conn, tenant_id, staff_id)
    assert row is not None
    return row


def _check_store(conn: Connection, tenant_id: int, store_id: int | None) -> None:
    """A staff member's store (``None``: every store) is one of the business's, else
    :class:`InvalidInput` on ``store_id``."""
    if store_id is not None and tenancy.get_store(conn, tenant_id, store_id) is None:
        raise InvalidInput("no such store", field="store_id")


def list_staff(rt: Runtime, tenant_id: int) -> list[StaffMember]:
    """The tenant's staff, without secrets (see :func:`public_staff`)."""
    with rt.db.read() as conn:
        return [public_staff(s) for s in tenancy.list_staff(conn, tenant_id)]


def get_staff(rt: Runtime, tenant_id: int, staff_id: int) -> StaffMember:
    """One staff member without secrets; :class:`NotFound` for another tenant's."""
    with rt.db.read() as conn:
        row = tenancy.get_staff(conn, tenant_id, staff_id)
    if row is None:
        raise NotFound("staff member not found")
    return public_staff(row)


def public_staff(row: dict[str, Any]) -> StaffMember:
    """A staff row as the API shows it: named fields only, so a column added later (like the
    password and PIN hashes and the sign-in counters) never leaves the server by default."""
    return StaffMember(id=row["id"], name=row["name"], email=row["email"],
                       phone=row.get("phone"), role=row["role"],
                       store_id=row["store_id"], active=bool(row["active"]),
                       locale=row["locale"], created_at=row["created_at"],
                       has_password=row["password_hash"] is not None,
                       has_pin=row["pin_hash"] is not None)
