"""The levels members were last told (the messaging area's ``member_levels_seen``, read
only: :func:`regulars.db.messaging.member_messages.swap_level` writes it), for the level
review."""

from __future__ import annotations

from sqlalchemy import Connection, select

from regulars.db.messaging.tables import member_levels_seen


def page(conn: Connection, tenant_id: int, *, after_member_id: int, limit: int
         ) -> list[tuple[int, str]]:
    """``(member id, level code)`` of the members after ``after_member_id``, in id order."""
    s = member_levels_seen
    rows = conn.execute(select(s.c.member_id, s.c.level_code).where(
        s.c.tenant_id == tenant_id, s.c.member_id > after_member_id)
        .order_by(s.c.member_id).limit(limit))
    return [(int(r[0]), str(r[1])) for r in rows]
