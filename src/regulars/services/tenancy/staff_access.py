"""Who may open the console of a business: the owner's first sign-in, staff invitations, role
changes and removal.

An invitation is a link ``<base>/console/invite/<token>`` that lets one staff member choose
their e-mail (when none is on file) and password once. The token is 256 random bits; only its
SHA-256 is stored; it works once, for ``INVITATION_LIFETIME``, and only while the staff member
is active; a newer link for the same person replaces the older ones. ``regulars tenant create``
prints the owner's link, and the admin API and the console return a link once, when made.

A staff member's role, name and store change together (:func:`edit`), as the admin API's
``PATCH`` asks. A business always keeps an active owner: the last one can be neither demoted
nor removed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from regulars.db.engine import UniqueViolation
from regulars.db.tenancy import staff_invitations as invitations
from regulars.db.tenancy import tenancy
from regulars.db.web_sessions import sessions as web
from regulars.domain.messaging.addresses import EMAIL
from regulars.domain.tenancy import names
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.members.members import normalize_phone
from regulars.services.runtime import Runtime
from regulars.services.tenancy import settings, tenants
from regulars.services.tenancy.results import StaffMember
from regulars.services.web_sessions import sessions as web_auth
from regulars.services.web_sessions.sessions import NewSession

INVITATION_LIFETIME = timedelta(hours=72)
INVITE_PATH = "/console/invite/"


@dataclass(frozen=True, kw_only=True)
class Invitation:
    """A link made just now; ``token`` is shown this once and never stored."""

    staff_id: int
    token: str
    expires_at: datetime

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}{INVITE_PATH}{self.token}"


@dataclass(frozen=True, kw_only=True)
class PendingInvitation:
    """What the set-password page shows for a link that still works."""

    tenant_id: int
    tenant_name: str
    staff_name: str
    email: str | None
    role: str


@dataclass(frozen=True, kw_only=True)
class NewBusiness:
    tenant_id: int
    owner_key: str
    owner: Invitation


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(rt: Runtime, tenant_id: int, staff_id: int, *, actor: audit.Actor) -> Invitation:
    """A new set-password link for an active owner, marketer or analyst of ``tenant_id``
    (their older unused links stop working), on the audit trail as ``actor``'s with when it
    expires (never the link, its token or its hash). :class:`NotFound` for another tenant's
    staff; :class:`InvalidInput` (field ``role``) for a cashier, who signs in at a till with a
    PIN."""
    token = secrets.token_urlsafe(32)
    now = rt.now()
    with rt.db.write() as conn:
        row = tenancy.get_staff(conn, tenant_id, staff_id)
        if row is None or not row["active"]:
            raise NotFound("staff member not found")
        if row["role"] not in settings.CONSOLE_ROLES:
            raise InvalidInput("cashiers sign in at a till with a PIN, not a password",
                               field="role")
        expires_at = now + INVITATION_LIFETIME
        invitations.insert_invitation(conn, tenant_id=tenant_id, staff_id=staff_id,
                                      token_hash=_hash(token), now=now, expires_at=expires_at)
        audit.record(conn, tenant_id, actor, "staff.invite", f"staff {staff_id}", at=now,
                     expires_at=expires_at.isoformat())
    return Invitation(staff_id=staff_id, token=token, expires_at=expires_at)


def create_business(rt: Runtime, *, name: str, currency: str, locale: str, timezone: str,
                    phone_region: str, owner_name: str = "", owner_email: str = "",
                    ) -> NewBusiness:
    """A business (as :func:`tenants.create_tenant`) with its owner as a staff member and the
    owner's set-password link. The e-mail may be left for the owner to give on that page."""
    email = owner_email.strip()
    if email and not EMAIL.fullmatch(email):
        raise InvalidInput("enter an e-mail address like name@example.com", field="owner_email")
    created = tenants.create_tenant(rt, name=name, currency=currency, locale=locale,
                                    timezone=timezone, phone_region=phone_region)
    owner = tenants.create_staff(rt, created.tenant_id, name=owner_name.strip() or "Owner",
                                 email=email or None, role="owner", store_id=None,
                                 actor=audit.SYSTEM)
    return NewBusiness(tenant_id=created.tenant_id, owner_key=created.owner_key,
                       owner=invite(rt, created.tenant_id, owner.id, actor=audit.SYSTEM))


def pending(rt: Runtime, token: str) -> PendingInvitation:
    """The link's business and person; :class:`NotFound` when it is unknown, used,
    replaced, expired, or its person was removed."""
    with rt.db.read() as conn:
        row = invitations.find(conn, _hash(token), rt.now())
        tenant = tenancy.get_tenant(conn, row["tenant_id"]) if row else None
    if row is None or tenant is None:
        raise NotFound("this link has expired or was already used; ask the owner for a new one")
    return PendingInvitation(tenant_id=tenant.id, tenant_name=tenant.name,
                             staff_name=row["name"], email=row["email"], role=row["role"])


def form_problems(found: PendingInvitation, *, email: str,
                  password: str) -> list[InvalidInput]:
    """Every wrong field of the set-password form at once (empty when it may be sent)."""
    problems: list[InvalidInput] = []
    if not EMAIL.fullmatch((found.email or email).strip()):
        problems.append(InvalidInput("enter an e-mail address like name@example.com",
                                     field="email"))
    try:
        web_auth.check_password(password)
    except InvalidInput as exc:
        problems.append(exc)
    return problems


def accept(rt: Runtime, token: str, *, email: str, password: str) -> NewSession:
    """Set the person's e-mail (only when none is on file) and password through the link,
    use the link up, and open their console session; the password is on the audit trail as
    set by the person themselves (never the password nor its hash). Everything is checked
    before anything is written: :class:`InvalidInput` names ``email`` or ``password`` (the
    first of :func:`form_problems`); :class:`NotFound` for a link that no longer works;
    :class:`Conflict` on ``email`` when another staff member of the business has it."""
    found = pending(rt, token)
    problems = form_problems(found, email=email, password=password)
    if problems:
        raise problems[0]
    email = (found.email or email).strip()
    hashed = web_auth.hash_secret(password)
    now = rt.now()
    try:
        with rt.db.write() as conn:
            row = invitations.find(conn, _hash(token), now)
            if row is None or not invitations.use(conn, row["tenant_id"], row["id"], now):
                raise NotFound("this link has expired or was already used; ask the owner for "
                               "a new one")
            web.set_staff_secret(conn, row["tenant_id"], row["staff_id"], email=email,
                                 password_hash=hashed)
            web.revoke_staff_sessions(conn, row["tenant_id"], row["staff_id"], now)
            audit.record(conn, row["tenant_id"], audit.staff(row["staff_id"]),
                         "staff.password", f"staff {row['staff_id']}", at=now)
    except UniqueViolation as exc:
        raise Conflict("a staff member with this e-mail exists", field="email") from exc
    return web_auth.staff_sign_in(rt, email=email, password=password,
                                  tenant_id=found.tenant_id)


def change_role(rt: Runtime, tenant_id: int, staff_id: int, role: str,
                *, actor: audit.Actor) -> None:
    """Give a staff member another role; it applies to their open sessions at once. The last
    active owner keeps the owner role (:class:`Conflict`)."""
    edit(rt, tenant_id, staff_id, StaffChange(role=role), actor=actor)


@dataclass(frozen=True, kw_only=True)
class StaffChange:
    """What changes of a staff member: each field ``None`` stays as it is; the store only
    when ``store_given`` (its ``None`` is every store)."""

    name: str | None = None
    role: str | None = None
    store_id: int | None = None
    store_given: bool = False


def edit(rt: Runtime, tenant_id: int, staff_id: int, change: StaffChange, *,
         actor: audit.Actor) -> StaffMember:
    """Change a staff member's role, name and store at once, in one transaction, each on the
    audit trail as its own change (``staff.role``, ``staff.update``). Everything is checked
    before anything is written: :class:`InvalidInput` on ``role``, ``name`` (see
    :func:`tenants.update_staff`) or ``store_id``; :class:`NotFound` for another business's
    staff member; :class:`Conflict` on ``role`` for the business's last active owner."""
    if change.role is not None and change.role not in tenants.ROLES:
        raise InvalidInput("choose a role", field="role")
    name = None if change.name is None else names.checked_name(change.name)
    now = rt.now()
    with rt.db.write() as conn:
        row = tenancy.get_staff(conn, tenant_id, staff_id)
        if row is None:
            raise NotFound("staff member not found")
        if change.name is not None or change.store_given:
            row = tenants.set_details(
                conn, tenant_id, row, name=row["name"] if name is None else name,
                store_id=change.store_id if change.store_given else row["store_id"],
                actor=actor, now=now)
        if change.role is not None:
            _set_role(conn, tenant_id, row, change.role, actor=actor, now=now)
        after = tenancy.get_staff(conn, tenant_id, staff_id)
    assert after is not None
    return tenants.public_staff(after)


def _set_role(conn: Connection, tenant_id: int, row: dict[str, Any], role: str, *,
              actor: audit.Actor, now: datetime) -> None:
    staff_id = row["id"]
    if row["role"] == "owner" and role != "owner" and row["active"] \
            and invitations.count_active_owners(conn, tenant_id) <= 1:
        raise Conflict("a business keeps at least one owner", field="role")
    if role == "cashier" and row["role"] != "cashier":
        # A cashier has no console: the sessions a password opened end now.
        web.revoke_staff_sessions(conn, tenant_id, staff_id, now)
    invitations.set_role(conn, tenant_id, staff_id, role)
    audit.record(conn, tenant_id, actor, "staff.role", f"staff {staff_id}", at=now,
                 before=row["role"], after=role)


def set_phone(rt: Runtime, tenant_id: int, staff_id: int, phone: str | None) -> None:
    """Set (None: clear) the staff member's own phone, in E.164 form, so the fraud scan finds
    members who share it. Raises :class:`InvalidPhone` and :class:`NotFound`."""
    number = None
    if phone is not None:
        number = normalize_phone(phone, tenants.get_tenant(rt, tenant_id).phone_region)
    with rt.db.write() as conn:
        if not tenancy.set_staff_phone(conn, tenant_id, staff_id, number):
            raise NotFound("staff member not found")


def remove(rt: Runtime, tenant_id: int, staff_id: int, *, by_staff_id: int | None,
           actor: audit.Actor | None = None) -> None:
    """Take a staff member's access away (see :func:`settings.deactivate`); the last active
    owner stays (:class:`Conflict`)."""
    with rt.db.read() as conn:
        row = tenancy.get_staff(conn, tenant_id, staff_id)
        owners = invitations.count_active_owners(conn, tenant_id)
    if row is None:
        raise NotFound("staff member not found")
    if row["role"] == "owner" and row["active"] and owners <= 1:
        raise Conflict("a business keeps at least one owner")
    settings.deactivate(rt, tenant_id, staff_id, by_staff_id=by_staff_id, actor=actor)
