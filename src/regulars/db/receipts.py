"""Receipts and their lines, refunds, idempotency records and the spend sums levels need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.tables import idempotency, receipt_lines, receipts, refunds


@dataclass(frozen=True, kw_only=True)
class Claim:
    """The outcome of claiming an idempotency key: ``fresh`` for the first request, otherwise
    the stored hash and response of the first one."""

    fresh: bool
    request_hash: str | None = None
    response: dict[str, Any] | None = None


def claim_key(conn: Connection, *, tenant_id: int, scope: str, key: str, request_hash: str,
              now: datetime) -> Claim:
    """Insert the key, or report the request that holds it.

    On PostgreSQL a concurrent holder makes this wait for its transaction; on SQLite writers
    are serialised by ``BEGIN IMMEDIATE``. Either way the answer is final when it returns.
    """
    values = {"tenant_id": tenant_id, "scope": scope, "key": key,
              "request_hash": request_hash, "created_at": now}
    dialect = conn.dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(idempotency).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(idempotency).values(**values).on_conflict_do_nothing()
    if conn.execute(stmt.returning(idempotency.c.id)).first() is not None:
        return Claim(fresh=True)
    row = conn.execute(select(idempotency.c.request_hash, idempotency.c.response).where(
        idempotency.c.tenant_id == tenant_id, idempotency.c.scope == scope,
        idempotency.c.key == key)).one()
    return Claim(fresh=False, request_hash=row.request_hash, response=row.response)


def store_response(conn: Connection, *, tenant_id: int, scope: str, key: str,
                   response: dict[str, Any]) -> None:
    conn.execute(update(idempotency).where(
        idempotency.c.tenant_id == tenant_id, idempotency.c.scope == scope,
        idempotency.c.key == key).values(response=response))


def insert_receipt(conn: Connection, **values: Any) -> int:
    """Raises the database's unique violation if the till already sent this receipt id."""
    return int(conn.execute(insert(receipts).values(**values)
                            .returning(receipts.c.id)).scalar_one())


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(receipt_lines), rows)


def set_receipt_response(conn: Connection, tenant_id: int, receipt_id: int,
                         response: dict[str, Any]) -> None:
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.id == receipt_id)
                 .values(response=response))


def receipt_by_number(conn: Connection, tenant_id: int, terminal_id: int,
                      receipt_no: str) -> dict[str, Any] | None:
    row = conn.execute(select(receipts).where(
        receipts.c.tenant_id == tenant_id, receipts.c.terminal_id == terminal_id,
        receipts.c.receipt_no == receipt_no)).one_or_none()
    return dict(row._mapping) if row else None


def get_receipt(conn: Connection, tenant_id: int, receipt_id: int, *,
                for_update: bool = False) -> dict[str, Any] | None:
    query = select(receipts).where(receipts.c.tenant_id == tenant_id,
                                   receipts.c.id == receipt_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    return dict(row._mapping) if row else None


def lines_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(receipt_lines).where(receipt_lines.c.tenant_id == tenant_id,
                                    receipt_lines.c.receipt_id == receipt_id)
        .order_by(receipt_lines.c.line_no))]


def add_refunded_quantity(conn: Connection, tenant_id: int, receipt_id: int, line_no: int,
                          quantity_milli: int) -> bool:
    """Count ``quantity_milli`` more as refunded, unless that would pass the line's quantity
    (a conditional update, so two refunds racing for the last unit cannot both win)."""
    changed = conn.execute(
        update(receipt_lines).where(
            receipt_lines.c.tenant_id == tenant_id, receipt_lines.c.receipt_id == receipt_id,
            receipt_lines.c.line_no == line_no,
            receipt_lines.c.refunded_quantity_milli + quantity_milli
            <= receipt_lines.c.quantity_milli)
        .values(refunded_quantity_milli=receipt_lines.c.refunded_quantity_milli
                + quantity_milli)
    ).rowcount
    return changed == 1


def update_receipt(conn: Connection, tenant_id: int, receipt_id: int, **values: Any) -> None:
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.id == receipt_id).values(**values))


def mark_receipt(conn: Connection, tenant_id: int, receipt_id: int, *, from_status: str,
                 to_status: str) -> bool:
    """Move a receipt between statuses only from the expected one (wins once)."""
    return conn.execute(update(receipts).where(
        receipts.c.tenant_id == tenant_id, receipts.c.id == receipt_id,
        receipts.c.status == from_status).values(status=to_status)).rowcount == 1


def insert_refund(conn: Connection, **values: Any) -> int:
    return int(conn.execute(insert(refunds).values(**values)
                            .returning(refunds.c.id)).scalar_one())


def refunds_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(refunds).where(refunds.c.tenant_id == tenant_id,
                              refunds.c.receipt_id == receipt_id).order_by(refunds.c.id))]


def list_receipts(conn: Connection, tenant_id: int, *, member_id: int | None, limit: int,
                  before_id: int | None) -> list[dict[str, Any]]:
    query = select(receipts.c.id, receipts.c.receipt_no, receipts.c.terminal_id,
                   receipts.c.store_id, receipts.c.member_id, receipts.c.status,
                   receipts.c.gross_minor, receipts.c.discount_minor, receipts.c.paid_minor,
                   receipts.c.points_spent, receipts.c.points_earned,
                   receipts.c.refunded_paid_minor, receipts.c.occurred_at) \
        .where(receipts.c.tenant_id == tenant_id)
    if member_id is not None:
        query = query.where(receipts.c.member_id == member_id)
    if before_id is not None:
        query = query.where(receipts.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(query.order_by(receipts.c.id.desc())
                                                   .limit(limit))]


def spend_sums(conn: Connection, tenant_id: int, member_id: int, *, until: datetime,
               rolling_from: datetime, year_from: datetime,
               last_year_from: datetime) -> tuple[int, int, int, int]:
    """Qualifying spend (paid less refunded, voided receipts excluded) up to and including
    ``until``: lifetime, rolling 12 months, this calendar year, last calendar year.

    Inclusive, so that the receipt a commit has just written counts for the level it reaches
    (a quote prices before its own receipt exists, so it never counts itself)."""
    net = receipts.c.paid_minor - receipts.c.refunded_paid_minor
    at = receipts.c.occurred_at

    def window(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, net), else_=0)), 0)

    row = conn.execute(select(
        func.coalesce(func.sum(net), 0),
        window(at >= rolling_from),
        window(at >= year_from),
        window((at >= last_year_from) & (at < year_from)),
    ).where(receipts.c.tenant_id == tenant_id, receipts.c.member_id == member_id,
            receipts.c.status != "voided", at <= until)).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def move_receipts(conn: Connection, tenant_id: int, from_member: int, to_member: int) -> None:
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.member_id == from_member)
                 .values(member_id=to_member))
