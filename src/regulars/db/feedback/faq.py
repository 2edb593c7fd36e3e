"""The FAQ's entries: per tenant and language, in ``position`` order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from regulars.db.feedback.tables import faq_entries


def entries(conn: Connection, tenant_id: int, language: str | None = None
            ) -> list[dict[str, Any]]:
    cond = [faq_entries.c.tenant_id == tenant_id]
    if language is not None:
        cond.append(faq_entries.c.language == language)
    rows = conn.execute(select(faq_entries).where(*cond).order_by(
        faq_entries.c.language, faq_entries.c.position, faq_entries.c.id))
    return [dict(r._mapping) for r in rows]


def entry(conn: Connection, tenant_id: int, entry_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(faq_entries).where(
        faq_entries.c.tenant_id == tenant_id, faq_entries.c.id == entry_id)).first()
    return None if row is None else dict(row._mapping)


def count(conn: Connection, tenant_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(faq_entries).where(
        faq_entries.c.tenant_id == tenant_id)).scalar_one())


def insert_entry(conn: Connection, tenant_id: int, *, language: str, question: str,
                 answer: str, now: datetime) -> int:
    """A new entry at the end of its language's list; its id."""
    last = conn.execute(select(func.max(faq_entries.c.position)).where(
        faq_entries.c.tenant_id == tenant_id, faq_entries.c.language == language)).scalar()
    return int(conn.execute(insert(faq_entries).values(
        tenant_id=tenant_id, language=language, position=(last or 0) + 1, question=question,
        answer=answer, created_at=now, updated_at=now).returning(faq_entries.c.id))
        .scalar_one())


def insert_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(faq_entries), rows)


def update_entry(conn: Connection, tenant_id: int, entry_id: int, *, question: str,
                 answer: str, now: datetime) -> bool:
    done = conn.execute(update(faq_entries).where(
        faq_entries.c.tenant_id == tenant_id, faq_entries.c.id == entry_id)
        .values(question=question, answer=answer, updated_at=now))
    return done.rowcount == 1


def set_position(conn: Connection, tenant_id: int, entry_id: int, position: int) -> None:
    conn.execute(update(faq_entries).where(
        faq_entries.c.tenant_id == tenant_id, faq_entries.c.id == entry_id)
        .values(position=position))


def delete_entry(conn: Connection, tenant_id: int, entry_id: int) -> bool:
    done = conn.execute(delete(faq_entries).where(
        faq_entries.c.tenant_id == tenant_id, faq_entries.c.id == entry_id))
    return done.rowcount == 1
