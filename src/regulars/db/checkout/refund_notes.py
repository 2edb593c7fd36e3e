"""Refund notes (why, by whom, allowed by which manager) and the till policy that asks for a
manager's PIN. Every query is scoped by ``tenant_id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from regulars.db.checkout.tables import refund_notes, till_policies
from regulars.db.tenancy.tables import staff


def insert_note(conn: Connection, *, tenant_id: int, refund_id: int, reason: str,
                staff_id: int | None, approved_by_staff_id: int | None, now: datetime) -> None:
    conn.execute(insert(refund_notes).values(
        tenant_id=tenant_id, refund_id=refund_id, reason=reason, staff_id=staff_id,
        approved_by_staff_id=approved_by_staff_id, created_at=now))


def notes_of(conn: Connection, tenant_id: int, refund_ids: list[int]) -> dict[int, dict[str, Any]]:
    """``{refund_id: {reason, staff, approved_by}}`` (staff by name) for these refunds."""
    if not refund_ids:
        return {}
    cashier, manager = staff.alias("cashier"), staff.alias("manager")
    n = refund_notes
    rows = conn.execute(
        select(n.c.refund_id, n.c.reason, cashier.c.name.label("staff"),
               manager.c.name.label("approved_by"))
        .select_from(n.outerjoin(cashier, (cashier.c.id == n.c.staff_id)
                                 & (cashier.c.tenant_id == n.c.tenant_id))
                     .outerjoin(manager, (manager.c.id == n.c.approved_by_staff_id)
                                & (manager.c.tenant_id == n.c.tenant_id)))
        .where(n.c.tenant_id == tenant_id, n.c.refund_id.in_(refund_ids)))
    return {int(r.refund_id): {"reason": r.reason, "staff": r.staff,
                               "approved_by": r.approved_by} for r in rows}


def manager_pin_above(conn: Connection, tenant_id: int) -> int | None:
    value = conn.execute(select(till_policies.c.manager_pin_above_minor).where(
        till_policies.c.tenant_id == tenant_id)).scalar_one_or_none()
    return None if value is None else int(value)


def set_manager_pin_above(conn: Connection, tenant_id: int, amount_minor: int | None,
                          now: datetime) -> None:
    changed = conn.execute(update(till_policies).where(
        till_policies.c.tenant_id == tenant_id).values(
        manager_pin_above_minor=amount_minor, updated_at=now)).rowcount
    if not changed:
        conn.execute(insert(till_policies).values(
            tenant_id=tenant_id, manager_pin_above_minor=amount_minor, updated_at=now))
