"""Who is using the web pages: staff in the console, a paired till and its cashier in the
terminal, a member on the customer page.

Passwords and PINs are argon2 hashes (argon2-cffi); wrong ones make the next attempt wait,
longer and longer, by client and by account (:mod:`regulars.services.tenancy.throttle`): nobody can
lock a person out, and every failure reads the same whether the e-mail exists or not. A
session is a random 256-bit token in a cookie; the database keeps its SHA-256 and a CSRF
token that every form and htmx request must echo. Sessions end at ``expires_at``, on sign-out,
when the staff member is deactivated or changes password, when the till is revoked, or when
the member is merged away.

Roles (``PERMISSIONS``): every console page and action names the permission it needs, and
:func:`require` refuses a role without it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from regulars.db.tenancy import tenancy
from regulars.db.web_sessions import sessions as web
from regulars.db.web_sessions.sessions import SessionRow
from regulars.errors import Forbidden, InvalidInput, NotFound, TooManyAttempts, Unauthorized
from regulars.services.audit import audit
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.messaging import otp
from regulars.services.runtime import Runtime
from regulars.services.tenancy import throttle
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.tenancy.tenants import get_tenant
from regulars.text.i18n import N_

WebSession = SessionRow
"""A signed-in web session (re-exported for the web edge, which never imports db)."""

_HASHER = PasswordHasher()
LIFETIME = {"staff": timedelta(hours=12), "till": timedelta(days=365),
            "cashier": timedelta(hours=12), "member": timedelta(days=30)}
MIN_PASSWORD = 8


class Permission(StrEnum):
    VIEW = "view"                    # home, members, receipts, reports: read only
    MEMBERS_EDIT = "members_edit"    # register, adjust points, edit profile
    MEMBERS_MERGE = "members_merge"
    PROGRAM_EDIT = "program_edit"    # the base program
    MARKETING_EDIT = "marketing_edit"  # promotions, coupons, segments
    REFUND = "refund"
    SETUP = "setup"                  # business, stores, tills, staff
    PRIVACY = "privacy"              # erase a member's personal data, export it


PERMISSIONS: dict[str, frozenset[Permission]] = {
    "owner": frozenset(Permission),
    "marketer": frozenset({Permission.VIEW, Permission.MEMBERS_EDIT, Permission.PROGRAM_EDIT,
                           Permission.MARKETING_EDIT}),
    "analyst": frozenset({Permission.VIEW}),
    "cashier": frozenset(),
}


def allowed(role: str | None, permission: Permission) -> bool:
    return permission in PERMISSIONS.get(role or "", frozenset())


REFUSALS: dict[Permission, str] = {
    Permission.VIEW: N_("your role may not see the console's pages"),
    Permission.MEMBERS_EDIT: N_("your role may not change members"),
    Permission.MEMBERS_MERGE: N_("your role may not merge members"),
    Permission.PROGRAM_EDIT: N_("your role may not change the programme"),
    Permission.MARKETING_EDIT: N_("your role may not change promotions, coupons or segments"),
    Permission.REFUND: N_("your role may not refund receipts"),
    Permission.SETUP: N_("your role may not change the business's setup"),
    Permission.PRIVACY: N_("your role may not erase or export a member's personal data"),
}
"""What a role refused ``permission`` is told, a sentence for each (a catalogue message)."""


def require(session: SessionRow, permission: Permission) -> None:
    if session.kind != "staff" or not allowed(session.staff_role, permission):
        raise Forbidden(REFUSALS[permission])


@dataclass(frozen=True, kw_only=True)
class NewSession:
    token: str
    tenant_id: int
    csrf_token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def _matches(hashed: str | None, secret: str) -> bool:
    if not hashed:
        return False
    try:
        return _HASHER.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def _attempt(rt: Runtime, *, client: str, account: str, field: str) -> dict[str, throttle.Policy]:
    """Count a sign-in attempt by ``client`` on ``account`` before its secret is checked (so
    guesses arriving together share the free attempts); :class:`TooManyAttempts` while a
    delay runs. The keys, to clear after a right secret."""
    keys = {f"pair:{client}:{account}": throttle.PAIR, f"client:{client}": throttle.CLIENT,
            f"account:{account}": throttle.ACCOUNT}
    wait = rt.throttle.take(keys, rt.now())
    if wait:
        raise TooManyAttempts("too many attempts; try again in %(seconds)s seconds",
                              retry_after_seconds=wait, field=field, params={"seconds": wait})
    return keys


def _signed_in(rt: Runtime, keys: dict[str, throttle.Policy]) -> None:
    """A right secret: the account's and the pair's counts start again; the client's loses
    this attempt only (one good account must not clear an address guessing at others)."""
    for key, policy in keys.items():
        if key.startswith("client:"):
            rt.throttle.give_back(key, policy)
        else:
            rt.throttle.clear(key)


def check_password(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("the password needs at least %(count)s characters", field=field,
                           params={"count": MIN_PASSWORD})


def check_pin(pin: str, *, field: str = "pin") -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 6):
        raise InvalidInput("the PIN is 4 to 6 digits", field=field)


def set_password(rt: Runtime, tenant_id: int, staff_id: int, password: str, *,
                 actor: audit.Actor | None = None) -> None:
    """Set a staff member's console password; their other sessions end. With an ``actor``
    (whoever sets it: an owner for another, or the person for their own at set-up) the
    change is on the audit trail, which never holds the password nor its hash."""
    check_password(password)
    hashed = hash_secret(password)
    with rt.db.write() as conn:
        if web.set_staff_secret(conn, tenant_id, staff_id, password_hash=hashed) != 1:
            raise NotFound("staff member not found")
        web.revoke_staff_sessions(conn, tenant_id, staff_id, rt.now())
        if actor is not None:
            audit.record(conn, tenant_id, actor, "staff.password", f"staff {staff_id}",
                         at=rt.now())


def set_pin(rt: Runtime, tenant_id: int, staff_id: int, pin: str, *,
            actor: audit.Actor | None = None) -> None:
    """Set a staff member's till PIN; with an ``actor`` the change is on the audit trail,
    which never holds the PIN nor its hash."""
    check_pin(pin)
    hashed = hash_secret(pin)
    with rt.db.write() as conn:
        if web.set_staff_secret(conn, tenant_id, staff_id, pin_hash=hashed) != 1:
            raise NotFound("staff member not found")
        if actor is not None:
            audit.record(conn, tenant_id, actor, "staff.pin", f"staff {staff_id}", at=rt.now())


def set_staff_locale(rt: Runtime, tenant_id: int, staff_id: int, locale: str | None) -> None:
    with rt.db.write() as conn:
        web.set_staff_secret(conn, tenant_id, staff_id, locale=locale)


def set_member_locale(rt: Runtime, tenant_id: int, member_id: int, locale: str | None) -> None:
    with rt.db.write() as conn:
        web.set_member_locale(conn, tenant_id, member_id, locale)


def _open(rt: Runtime, *, tenant_id: int, kind: str, staff_id: int | None = None,
          terminal_id: int | None = None) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = rt.now()
    with rt.db.write() as conn:
        web.insert_session(conn, tenant_id=tenant_id, token_hash=_token_hash(token), kind=kind,
                           csrf_token=csrf, expires_at=now + LIFETIME[kind], now=now,
                           staff_id=staff_id, terminal_id=terminal_id)
    return NewSession(token=token, tenant_id=tenant_id, csrf_token=csrf)


def staff_sign_in(rt: Runtime, *, email: str, password: str, client: str = "",
                  tenant_id: int | None = None) -> NewSession:
    """A console session for the active staff member with this e-mail and password (in
    ``tenant_id`` when the same e-mail works for several businesses: the first otherwise).
    Raises :class:`Unauthorized` with the same words whatever was wrong, and
    :class:`TooManyAttempts` after too many from ``client`` or on this e-mail — counted by the
    e-mail as typed, so a known and an unknown one answer alike."""
    keys = _attempt(rt, client=client, account="email:" + email.strip().lower(),
                    field="password")
    with rt.db.read() as conn:
        candidates = web.staff_by_email(conn, email.strip())
    for row in candidates:
        if tenant_id is not None and row["tenant_id"] != tenant_id:
            continue
        if row["role"] == "cashier":
            continue
        if _matches(row["password_hash"], password):
            _signed_in(rt, keys)
            return _open(rt, tenant_id=row["tenant_id"], kind="staff", staff_id=row["id"])
    if not candidates:
        _matches(_DUMMY, password)  # the same time spent for an unknown e-mail
    raise Unauthorized("wrong e-mail or password", field="password")


# A hash of a random secret nobody kept, made with the hasher's parameters (a unit test holds
# them equal), so that an unknown e-mail costs one verification like a known one. Written out
# rather than hashed at import: hashing takes about half a second of CPU at every start.
_DUMMY = ("$argon2id$v=19$m=65536,t=3,p=4$iEFHlH9PRvBbY2FVXMNkkA"
          "$Snv4l6GCJCkYqOcA44HCpLwacIT97eP6FanYZ9rD6Qs")


def resolve(rt: Runtime, token: str | None) -> SessionRow | None:
    """The live session behind a cookie's token, or None."""
    if not token:
        return None
    with rt.db.read() as conn:
        return web.live_session(conn, _token_hash(token), rt.now())


def sign_out(rt: Runtime, session: SessionRow) -> None:
    with rt.db.write() as conn:
        web.revoke_session(conn, session.tenant_id, session.id, rt.now())


def pair_till(rt: Runtime, till_key: str) -> NewSession:
    """A long-lived session for a browser that becomes the till whose API key it was given."""
    try:
        principal = authenticate(rt, till_key.strip())
    except Unauthorized as exc:
        raise Unauthorized("unknown or revoked till key", field="key") from exc
    if principal.kind != "till" or principal.terminal_id is None:
        raise Unauthorized("this is not a till key", field="key")
    return _open(rt, tenant_id=principal.tenant_id, kind="till",
                 terminal_id=principal.terminal_id)


def till_cashiers(rt: Runtime, till: SessionRow) -> list[dict[str, object]]:
    """Who may sign in at this till: id, name and role (never the PIN hash)."""
    if till.terminal_id is None or till.store_id is None:
        return []
    with rt.db.read() as conn:
        rows = web.till_cashiers(conn, till.tenant_id, till.store_id)
    return [{"id": r["id"], "name": r["name"], "role": r["role"]} for r in rows]


def cashier_sign_in(rt: Runtime, till: SessionRow, *, staff_id: int, pin: str,
                    client: str = "") -> NewSession:
    """A cashier's session at a paired till, opened with their PIN. Raises
    :class:`Unauthorized` ("wrong PIN") for a wrong PIN or staff id, and
    :class:`TooManyAttempts` after too many from ``client`` or on this person."""
    if till.kind != "till" or till.terminal_id is None or till.store_id is None:
        raise Forbidden("pair this browser with a till first")
    keys = _attempt(rt, client=client, account=f"staff:{till.tenant_id}:{staff_id}",
                    field="pin")
    with rt.db.read() as conn:
        rows = {r["id"]: r for r in web.till_cashiers(conn, till.tenant_id, till.store_id)}
    row = rows.get(staff_id)
    if row is None or not _matches(row["pin_hash"], pin.strip()):
        raise Unauthorized("wrong PIN", field="pin")
    _signed_in(rt, keys)
    return _open(rt, tenant_id=till.tenant_id, kind="cashier", staff_id=staff_id,
                 terminal_id=till.terminal_id)


def till_managers(rt: Runtime, session: SessionRow) -> list[dict[str, object]]:
    """Who may allow a refund at this till with their PIN: the owners who work at it (id
    and name, never the PIN hash)."""
    if session.store_id is None:
        return []
    with rt.db.read() as conn:
        rows = web.till_cashiers(conn, session.tenant_id, session.store_id)
    return [{"id": r["id"], "name": r["name"]} for r in rows if r["role"] == "owner"]


def manager_approval(rt: Runtime, session: SessionRow, *, staff_id: int, pin: str,
                     client: str = "") -> int:
    """``staff_id`` once their PIN proves an owner who works at this till allows what the
    cashier asks. Raises :class:`Unauthorized` ("wrong PIN", field ``manager_pin``) and
    :class:`TooManyAttempts`, throttled like a sign-in."""
    if session.store_id is None:
        raise Forbidden("pair this browser with a till first")
    keys = _attempt(rt, client=client, account=f"staff:{session.tenant_id}:{staff_id}",
                    field="manager_pin")
    with rt.db.read() as conn:
        rows = {r["id"]: r for r in web.till_cashiers(conn, session.tenant_id,
                                                       session.store_id)}
    row = rows.get(staff_id)
    if row is None or row["role"] != "owner" or not _matches(row["pin_hash"], pin.strip()):
        raise Unauthorized("wrong PIN", field="manager_pin")
    _signed_in(rt, keys)
    return staff_id


def member_sign_in(rt: Runtime, tenant_id: int, *, phone: str, code: str) -> NewSession:
    """A customer-page session for the member whose phone got ``code``."""
    tenant = get_tenant(rt, tenant_id)
    e164 = members.normalize_phone(phone, tenant.phone_region)
    code_id = otp.verify(rt, tenant_id, e164, code, purpose="sign_in")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = rt.now()
    with rt.db.write() as conn:
        member = members.find(conn, tenant_id, tenant.phone_region, MemberRef(phone=e164))
        if member is None:
            raise Unauthorized("no member with this phone number", field="phone")
        otp.use(conn, tenant_id, code_id, now)
        web.insert_session(conn, tenant_id=tenant_id, token_hash=_token_hash(token),
                           kind="member", csrf_token=csrf, expires_at=now + LIFETIME["member"],
                           now=now, member_id=member.id)
    return NewSession(token=token, tenant_id=tenant_id, csrf_token=csrf)


def tenant_exists(rt: Runtime) -> bool:
    with rt.db.read() as conn:
        return bool(tenancy.list_tenants(conn))


def businesses(rt: Runtime) -> list[dict[str, object]]:
    """Every business on this server (id and name), for the landing page's links."""
    with rt.db.read() as conn:
        return [{"id": t.id, "name": t.name} for t in tenancy.list_tenants(conn)]
