"""A tenant's members, receipts with their lines, and ledger entries, read page by page in id
order for an export: each page is one statement, so an export of any size holds one page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, select

from regulars.db import personal
from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.ledger.tables import accounts, entries
from regulars.db.members.tables import members
from regulars.db.tenancy.tables import stores, terminals

MEMBER_COLUMNS = ("id", "external_id", "phone", "first_name", "last_name", "email",
                  "birthday", "consent", "status", "merged_into_id", "level_floor_code",
                  "created_at", "balance_points", "debt_points")
RECEIPT_COLUMNS = ("receipt_id", "receipt_no", "store", "till", "member_id", "status",
                   "occurred_at", "receipt_paid_minor", "refunded_paid_minor", "line_no",
                   "sku", "name", "category", "quantity_milli", "unit_price_minor",
                   "gross_minor", "discount_minor", "points_spent", "paid_minor",
                   "points_earned", "refunded_quantity_milli")
LEDGER_COLUMNS = ("id", "occurred_at", "recorded_at", "code", "member_id", "points",
                  "receipt_id", "store_id", "terminal_id", "staff_id", "program_version",
                  "reverses_entry_id")


def member_page(conn: Connection, tenant_id: int, *, after_id: int, limit: int
                ) -> list[Sequence[Any]]:
    """Up to ``limit`` members with an id above ``after_id``, as :data:`MEMBER_COLUMNS`."""
    m = members.c
    query = select(m.id, m.external_id, m.phone_sealed, m.first_name, m.last_name, m.email,
                   m.birthday, m.consent, m.status, m.merged_into_id, m.level_floor_code,
                   m.created_at, accounts.c.balance, accounts.c.debt).outerjoin(
        accounts, and_(accounts.c.tenant_id == tenant_id, accounts.c.member_id == m.id,
                       accounts.c.asset == "points")
    ).where(m.tenant_id == tenant_id, m.id > after_id).order_by(m.id).limit(limit)
    return [(r[0], r[1], personal.unseal_optional(r[2]), *r[3:]) for r in conn.execute(query)]


def receipt_page(conn: Connection, tenant_id: int, *, after_id: int, limit: int
                 ) -> list[Sequence[Any]]:
    """The lines of up to ``limit`` receipts with an id above ``after_id``, one row per line
    with its receipt's figures, as :data:`RECEIPT_COLUMNS`."""
    ids = select(receipts.c.id).where(receipts.c.tenant_id == tenant_id,
                                      receipts.c.id > after_id) \
        .order_by(receipts.c.id).limit(limit).scalar_subquery()
    r, li = receipts.c, receipt_lines.c
    query = select(
        r.id, r.receipt_no, stores.c.code, terminals.c.code, r.member_id, r.status,
        r.occurred_at, r.paid_minor, r.refunded_paid_minor, li.line_no, li.sku, li.name,
        li.category, li.quantity_milli, li.unit_price_minor, li.gross_minor,
        li.discount_minor, li.points_spent, li.paid_minor, li.points_earned,
        li.refunded_quantity_milli,
    ).join(stores, stores.c.id == r.store_id).join(terminals, terminals.c.id == r.terminal_id) \
        .outerjoin(receipt_lines, and_(li.tenant_id == tenant_id, li.receipt_id == r.id)) \
        .where(r.tenant_id == tenant_id, r.id.in_(ids), r.id > after_id) \
        .order_by(r.id, li.line_no)
    return [tuple(row) for row in conn.execute(query)]


def ledger_page(conn: Connection, tenant_id: int, *, after_id: int, limit: int
                ) -> list[Sequence[Any]]:
    """Up to ``limit`` entries with an id above ``after_id``, as :data:`LEDGER_COLUMNS`
    (``points``: what the entry moved into (+) or out of (−) the member's account)."""
    e = entries.c
    query = select(e.id, e.occurred_at, e.recorded_at, e.code, e.member_id, e.points,
                   e.receipt_id, e.store_id, e.terminal_id, e.staff_id, e.program_version,
                   e.reverses_entry_id).where(e.tenant_id == tenant_id, e.id > after_id) \
        .order_by(e.id).limit(limit)
    return [tuple(r) for r in conn.execute(query)]
