"""Web sessions and staff credentials (one-time codes are in
:mod:`regulars.db.messaging.one_time_codes`).

Every query is scoped by ``tenant_id`` except the two lookups that find the tenant from a
credential: a session by its token hash, and staff by e-mail at sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from regulars.db.members.tables import members
from regulars.db.tenancy.tables import staff, terminals
from regulars.db.web_sessions.tables import web_sessions


@dataclass(frozen=True, kw_only=True)
class SessionRow:
    id: int
    tenant_id: int
    kind: str
    staff_id: int | None
    terminal_id: int | None
    member_id: int | None
    csrf_token: str
    expires_at: datetime
    staff_role: str | None
    staff_name: str | None
    staff_locale: str | None
    store_id: int | None
    member_locale: str | None


def insert_session(conn: Connection, *, tenant_id: int, token_hash: str, kind: str,
                   csrf_token: str, expires_at: datetime, now: datetime,
                   staff_id: int | None = None, terminal_id: int | None = None,
                   member_id: int | None = None) -> int:
    return int(conn.execute(insert(web_sessions).values(
        tenant_id=tenant_id, token_hash=token_hash, kind=kind, staff_id=staff_id,
        terminal_id=terminal_id, member_id=member_id, csrf_token=csrf_token,
        created_at=now, expires_at=expires_at).returning(web_sessions.c.id)).scalar_one())


def live_session(conn: Connection, token_hash: str, now: datetime) -> SessionRow | None:
    """The unexpired, unrevoked session behind a cookie, with what its pages need to know.
    A session of staff who were deactivated, or of a till that was revoked, is not live."""
    s = web_sessions
    query = (
        select(s.c.id, s.c.tenant_id, s.c.kind, s.c.staff_id, s.c.terminal_id, s.c.member_id,
               s.c.csrf_token, s.c.expires_at, staff.c.role.label("staff_role"),
               staff.c.name.label("staff_name"), staff.c.locale.label("staff_locale"),
               staff.c.active.label("staff_active"), terminals.c.store_id,
               terminals.c.revoked_at.label("terminal_revoked_at"),
               members.c.locale.label("member_locale"),
               members.c.status.label("member_status"))
        .select_from(s.outerjoin(staff, (staff.c.id == s.c.staff_id)
                                 & (staff.c.tenant_id == s.c.tenant_id))
                     .outerjoin(terminals, (terminals.c.id == s.c.terminal_id)
                                & (terminals.c.tenant_id == s.c.tenant_id))
                     .outerjoin(members, (members.c.id == s.c.member_id)
                                & (members.c.tenant_id == s.c.tenant_id)))
        .where(s.c.token_hash == token_hash, s.c.revoked_at.is_(None), s.c.expires_at > now)
    )
    row = conn.execute(query).one_or_none()
    if row is None:
        return None
    if row.staff_id is not None and not row.staff_active:
        return None
    if row.terminal_id is not None and row.terminal_revoked_at is not None:
        return None
    if row.member_id is not None and row.member_status != "active":
        return None
    return SessionRow(id=row.id, tenant_id=row.tenant_id, kind=row.kind,
                      staff_id=row.staff_id, terminal_id=row.terminal_id,
                      member_id=row.member_id, csrf_token=row.csrf_token,
                      expires_at=row.expires_at, staff_role=row.staff_role,
                      staff_name=row.staff_name, staff_locale=row.staff_locale,
                      store_id=row.store_id, member_locale=row.member_locale)


def revoke_session(conn: Connection, tenant_id: int, session_id: int, now: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.tenant_id == tenant_id,
                                            web_sessions.c.id == session_id,
                                            web_sessions.c.revoked_at.is_(None))
                 .values(revoked_at=now))


def revoke_staff_sessions(conn: Connection, tenant_id: int, staff_id: int,
                          now: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.tenant_id == tenant_id,
                                            web_sessions.c.staff_id == staff_id,
                                            web_sessions.c.revoked_at.is_(None))
                 .values(revoked_at=now))


def revoke_member_sessions(conn: Connection, tenant_id: int, member_id: int,
                           now: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.tenant_id == tenant_id,
                                            web_sessions.c.member_id == member_id,
                                            web_sessions.c.revoked_at.is_(None))
                 .values(revoked_at=now))


def staff_by_email(conn: Connection, email: str) -> list[dict[str, Any]]:
    """Active staff with this e-mail in every tenant (sign-in finds the tenant from it)."""
    return [dict(r._mapping) for r in conn.execute(
        select(staff).where(func.lower(staff.c.email) == email.lower(),
                            staff.c.active.is_(True)).order_by(staff.c.tenant_id))]


def set_staff_secret(conn: Connection, tenant_id: int, staff_id: int, **values: Any) -> int:
    """Set ``password_hash``, ``pin_hash`` and/or ``locale``; the number of rows changed."""
    return conn.execute(update(staff).where(staff.c.tenant_id == tenant_id,
                                            staff.c.id == staff_id).values(**values)).rowcount


def set_member_locale(conn: Connection, tenant_id: int, member_id: int,
                      locale: str | None) -> None:
    conn.execute(update(members).where(members.c.tenant_id == tenant_id,
                                       members.c.id == member_id).values(locale=locale))


def member_locale(conn: Connection, tenant_id: int, member_id: int) -> str | None:
    value = conn.execute(select(members.c.locale).where(
        members.c.tenant_id == tenant_id, members.c.id == member_id)).scalar_one_or_none()
    return str(value) if value else None


def owners_with_pin(conn: Connection, tenant_id: int) -> int:
    """How many active owners have a PIN (who can allow a refund at a till)."""
    return int(conn.execute(select(func.count()).select_from(staff).where(
        staff.c.tenant_id == tenant_id, staff.c.active.is_(True), staff.c.role == "owner",
        staff.c.pin_hash.is_not(None))).scalar_one())


def till_cashiers(conn: Connection, tenant_id: int, store_id: int) -> list[dict[str, Any]]:
    """Staff who may sign in at a till of ``store_id``: cashiers of that store or of no
    store, and owners, who have a PIN."""
    return [dict(r._mapping) for r in conn.execute(
        select(staff.c.id, staff.c.name, staff.c.role, staff.c.pin_hash).where(
            staff.c.tenant_id == tenant_id, staff.c.active.is_(True),
            staff.c.pin_hash.is_not(None), staff.c.role.in_(("cashier", "owner")),
            (staff.c.store_id.is_(None)) | (staff.c.store_id == store_id))
        .order_by(staff.c.name))]
