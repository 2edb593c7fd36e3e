"""Staff invitations: single-use links to set a console password.

Every query is scoped by ``tenant_id`` except :func:`find`, which finds the tenant from the
link's token hash (as a web session is found from its cookie).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from regulars.db.tenancy.tables import staff, staff_invitations


def insert_invitation(conn: Connection, *, tenant_id: int, staff_id: int, token_hash: str,
                      now: datetime, expires_at: datetime) -> int:
    """A new link for ``staff_id``; the staff member's earlier unused links stop working."""
    i = staff_invitations
    conn.execute(update(i).where(i.c.tenant_id == tenant_id, i.c.staff_id == staff_id,
                                 i.c.used_at.is_(None)).values(used_at=now))
    return int(conn.execute(insert(i).values(
        tenant_id=tenant_id, staff_id=staff_id, token_hash=token_hash, created_at=now,
        expires_at=expires_at).returning(i.c.id)).scalar_one())


def find(conn: Connection, token_hash: str, now: datetime) -> dict[str, Any] | None:
    """The unused, unexpired link with this token hash and its active staff member (id,
    tenant, name, e-mail, role), or None. A link of someone made a cashier since (who has
    no console) does not work."""
    i = staff_invitations
    row = conn.execute(
        select(i.c.id, i.c.tenant_id, i.c.staff_id, i.c.expires_at, staff.c.name,
               staff.c.email, staff.c.role)
        .select_from(i.join(staff, (staff.c.id == i.c.staff_id)
                            & (staff.c.tenant_id == i.c.tenant_id)))
        .where(i.c.token_hash == token_hash, i.c.used_at.is_(None), i.c.expires_at > now,
               staff.c.active.is_(True), staff.c.role != "cashier")).one_or_none()
    return dict(row._mapping) if row else None


def use(conn: Connection, tenant_id: int, invitation_id: int, now: datetime) -> bool:
    """Mark a link used; False when it was used (or replaced) or expired meanwhile."""
    i = staff_invitations
    return conn.execute(update(i).where(
        i.c.tenant_id == tenant_id, i.c.id == invitation_id, i.c.used_at.is_(None),
        i.c.expires_at > now).values(used_at=now)).rowcount == 1


def count_active_owners(conn: Connection, tenant_id: int) -> int:
    rows = conn.execute(select(staff.c.id).where(
        staff.c.tenant_id == tenant_id, staff.c.role == "owner", staff.c.active.is_(True)))
    return len(rows.all())


def set_role(conn: Connection, tenant_id: int, staff_id: int, role: str) -> int:
    return conn.execute(update(staff).where(staff.c.tenant_id == tenant_id,
                                            staff.c.id == staff_id).values(role=role)).rowcount
