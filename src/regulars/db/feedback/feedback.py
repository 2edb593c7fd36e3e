"""Ratings of visits: the receipt a rating is about, one rating per receipt (inserted once,
changed by a conditional update while it may be), the figures per store and per cashier,
the comments and the business's replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from regulars.db.checkout.tables import receipts
from regulars.db.feedback.tables import feedback
from regulars.db.tenancy.tables import staff, stores


def receipt_of(conn: Connection, tenant_id: int, receipt_id: int) -> dict[str, Any] | None:
    """The receipt a rating is about: its member, store, cashier, number and time."""
    row = conn.execute(select(
        receipts.c.id, receipts.c.member_id, receipts.c.store_id, receipts.c.staff_id,
        receipts.c.receipt_no, receipts.c.occurred_at, receipts.c.status)
        .where(receipts.c.tenant_id == tenant_id, receipts.c.id == receipt_id)).first()
    return None if row is None else dict(row._mapping)


def by_receipt(conn: Connection, tenant_id: int, receipt_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(feedback).where(
        feedback.c.tenant_id == tenant_id, feedback.c.receipt_id == receipt_id)).first()
    return None if row is None else dict(row._mapping)


def ratings_of(conn: Connection, tenant_id: int, receipt_ids: Sequence[int]) -> dict[int, int]:
    """The rating of each of ``receipt_ids`` that has one."""
    if not receipt_ids:
        return {}
    rows = conn.execute(select(feedback.c.receipt_id, feedback.c.rating).where(
        feedback.c.tenant_id == tenant_id, feedback.c.receipt_id.in_(list(receipt_ids))))
    return {int(r[0]): int(r[1]) for r in rows}


def insert_rating(conn: Connection, values: dict[str, Any]) -> int:
    """A first rating; its id. Raises the unique violation when the receipt has one."""
    return int(conn.execute(insert(feedback).values(**values)
                            .returning(feedback.c.id)).scalar_one())


def insert_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(feedback), rows)


def change_rating(conn: Connection, tenant_id: int, receipt_id: int, *, rating: int,
                  comment: str | None, now: datetime, given_after: datetime) -> bool:
    """Change a rating still open to change (unanswered, given after ``given_after``), in
    one conditional update; ``False`` when there is none such."""
    done = conn.execute(update(feedback).where(
        feedback.c.tenant_id == tenant_id, feedback.c.receipt_id == receipt_id,
        feedback.c.answered_at.is_(None), feedback.c.created_at > given_after)
        .values(rating=rating, comment=comment, updated_at=now))
    return done.rowcount == 1


def reply(conn: Connection, tenant_id: int, feedback_id: int, *, text: str | None,
          staff_id: int | None, now: datetime) -> bool:
    """Mark a rating answered (with the reply, if any); ``False`` for no such rating."""
    done = conn.execute(update(feedback).where(
        feedback.c.tenant_id == tenant_id, feedback.c.id == feedback_id)
        .values(reply=text, answered_at=now, answered_by=staff_id))
    return done.rowcount == 1


def _in_range(tenant_id: int, since: datetime, until: datetime) -> Any:
    return and_(feedback.c.tenant_id == tenant_id, feedback.c.created_at >= since,
                feedback.c.created_at < until)


def counts_by_store(conn: Connection, tenant_id: int, *, since: datetime, until: datetime
                    ) -> list[tuple[int, str, int, int]]:
    """``(store id, store name, rating, how many)`` of the ratings given in the range."""
    rows = conn.execute(
        select(feedback.c.store_id, stores.c.name, feedback.c.rating, func.count())
        .join(stores, and_(stores.c.id == feedback.c.store_id,
                           stores.c.tenant_id == feedback.c.tenant_id))
        .where(_in_range(tenant_id, since, until))
        .group_by(feedback.c.store_id, stores.c.name, feedback.c.rating))
    return [(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]


def counts_by_cashier(conn: Connection, tenant_id: int, *, since: datetime, until: datetime
                      ) -> list[tuple[int | None, str | None, int, int]]:
    """``(staff id, name, rating, how many)``; a receipt without a cashier has ``None``."""
    rows = conn.execute(
        select(feedback.c.staff_id, staff.c.name, feedback.c.rating, func.count())
        .outerjoin(staff, and_(staff.c.id == feedback.c.staff_id,
                               staff.c.tenant_id == feedback.c.tenant_id))
        .where(_in_range(tenant_id, since, until))
        .group_by(feedback.c.staff_id, staff.c.name, feedback.c.rating))
    return [(None if r[0] is None else int(r[0]), None if r[1] is None else str(r[1]),
             int(r[2]), int(r[3])) for r in rows]


def comments(conn: Connection, tenant_id: int, *, since: datetime, until: datetime,
             answered: bool | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """Ratings with a comment in the range, newest first; ``answered`` picks the answered
    (True) or unanswered (False) ones, ``None`` both."""
    cond = [_in_range(tenant_id, since, until), feedback.c.comment.is_not(None)]
    if answered is not None:
        cond.append(feedback.c.answered_at.is_not(None) if answered
                    else feedback.c.answered_at.is_(None))
    rows = conn.execute(
        select(feedback.c.id, feedback.c.receipt_id, feedback.c.member_id,
               feedback.c.store_id, stores.c.name.label("store_name"), feedback.c.staff_id,
               staff.c.name.label("staff_name"), feedback.c.rating, feedback.c.comment,
               feedback.c.created_at, feedback.c.reply, feedback.c.answered_at)
        .join(stores, and_(stores.c.id == feedback.c.store_id,
                           stores.c.tenant_id == feedback.c.tenant_id))
        .outerjoin(staff, and_(staff.c.id == feedback.c.staff_id,
                               staff.c.tenant_id == feedback.c.tenant_id))
        .where(*cond).order_by(feedback.c.created_at.desc(), feedback.c.id.desc())
        .limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows]


def recent_member_receipts(conn: Connection, tenant_id: int, *, limit: int
                           ) -> list[dict[str, Any]]:
    """The latest committed receipts of members, newest first (the demo rates some)."""
    rows = conn.execute(select(
        receipts.c.id.label("receipt_id"), receipts.c.member_id, receipts.c.store_id,
        receipts.c.staff_id, receipts.c.occurred_at)
        .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id.is_not(None),
               receipts.c.status == "committed")
        .order_by(receipts.c.occurred_at.desc(), receipts.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
