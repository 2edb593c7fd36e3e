"""Budget counters of promotions and of the tenant's loyalty budget, in the caller's
transaction. Every query is scoped by ``tenant_id``.

Limits hold under concurrency because every charge is one conditional update
(``SET spent = spent + :x WHERE ... AND spent + :x <= cap``): on PostgreSQL a concurrent charge
of the same row waits for the row lock and re-checks the condition against the committed
value; on SQLite writers are serialised by ``BEGIN IMMEDIATE``. A ``charge_*`` function
returns ``False`` when the limit would be exceeded and then has changed nothing. Counter rows
that may not exist yet are inserted first with ``ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.tables import (
    budget_spend,
    loyalty_budgets,
    promotion_budgets,
    promotion_member_spend,
    promotion_member_uses,
    receipt_budgets,
    receipt_promotions,
)


def _insert_missing(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    conn.execute(stmt)


# Promotion budgets -----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class BudgetRow:
    promotion_id: int
    budget_minor: int | None
    budget_points: int | None
    spent_minor: int
    spent_points: int


def set_caps(conn: Connection, tenant_id: int, promotion_id: int, *,
             budget_minor: int | None, budget_points: int | None) -> None:
    """Create the promotion's counter row (spent zero) or change its caps; what was spent
    stays."""
    _insert_missing(conn, promotion_budgets, {
        "tenant_id": tenant_id, "promotion_id": promotion_id, "budget_minor": budget_minor,
        "budget_points": budget_points, "spent_minor": 0, "spent_points": 0})
    conn.execute(update(promotion_budgets).where(
        promotion_budgets.c.tenant_id == tenant_id,
        promotion_budgets.c.promotion_id == promotion_id).values(
        budget_minor=budget_minor, budget_points=budget_points))


def budgets(conn: Connection, tenant_id: int,
            promotion_ids: Iterable[int]) -> dict[int, BudgetRow]:
    rows = conn.execute(select(promotion_budgets).where(
        promotion_budgets.c.tenant_id == tenant_id,
        promotion_budgets.c.promotion_id.in_(list(promotion_ids))))
    return {r.promotion_id: BudgetRow(promotion_id=r.promotion_id, budget_minor=r.budget_minor,
                                      budget_points=r.budget_points,
                                      spent_minor=r.spent_minor, spent_points=r.spent_points)
            for r in rows}


def charge_promotion(conn: Connection, tenant_id: int, promotion_id: int, *,
                     discount_minor: int, points: int) -> bool:
    """Count a receipt's spend against the promotion's own budget (the caps on the row)."""
    t = promotion_budgets.c
    return conn.execute(update(promotion_budgets).where(
        t.tenant_id == tenant_id, t.promotion_id == promotion_id,
        or_(t.budget_minor.is_(None), t.spent_minor + discount_minor <= t.budget_minor),
        or_(t.budget_points.is_(None), t.spent_points + points <= t.budget_points)).values(
        spent_minor=t.spent_minor + discount_minor,
        spent_points=t.spent_points + points)).rowcount == 1


def give_back_promotion(conn: Connection, tenant_id: int, promotion_id: int, *,
                        discount_minor: int, points: int) -> None:
    t = promotion_budgets.c
    conn.execute(update(promotion_budgets).where(
        t.tenant_id == tenant_id, t.promotion_id == promotion_id).values(
        spent_minor=t.spent_minor - discount_minor, spent_points=t.spent_points - points))


# Per member ------------------------------------------------------------------------------------

def member_spent(conn: Connection, tenant_id: int, member_id: int,
                 promotion_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(money off, points) each promotion gave the member so far."""
    t = promotion_member_spend.c
    rows = conn.execute(select(t.promotion_id, t.spent_minor, t.spent_points).where(
        t.tenant_id == tenant_id, t.member_id == member_id,
        t.promotion_id.in_(list(promotion_ids))))
    return {r.promotion_id: (r.spent_minor, r.spent_points) for r in rows}


def charge_member(conn: Connection, tenant_id: int, promotion_id: int, member_id: int, *,
                  discount_minor: int, points: int, cap_minor: int | None,
                  cap_points: int | None) -> bool:
    """Count a receipt's spend against the member's cap for the promotion."""
    _insert_missing(conn, promotion_member_spend, {
        "tenant_id": tenant_id, "promotion_id": promotion_id, "member_id": member_id,
        "spent_minor": 0, "spent_points": 0})
    t = promotion_member_spend.c
    query = update(promotion_member_spend).where(
        t.tenant_id == tenant_id, t.promotion_id == promotion_id, t.member_id == member_id)
    if cap_minor is not None:
        query = query.where(t.spent_minor + discount_minor <= cap_minor)
    if cap_points is not None:
        query = query.where(t.spent_points + points <= cap_points)
    return conn.execute(query.values(spent_minor=t.spent_minor + discount_minor,
                                     spent_points=t.spent_points + points)).rowcount == 1


def give_back_member(conn: Connection, tenant_id: int, promotion_id: int, member_id: int, *,
                     discount_minor: int, points: int) -> None:
    t = promotion_member_spend.c
    conn.execute(update(promotion_member_spend).where(
        t.tenant_id == tenant_id, t.promotion_id == promotion_id,
        t.member_id == member_id).values(spent_minor=t.spent_minor - discount_minor,
                                         spent_points=t.spent_points - points))


def member_uses(conn: Connection, tenant_id: int, member_id: int,
                promotion_ids: Iterable[int],
                periods: Iterable[tuple[str, date]]) -> dict[tuple[int, str], int]:
    """Uses per (promotion, period kind) in the periods given as (kind, first day)."""
    t = promotion_member_uses.c
    wanted = [and_(t.period == kind, t.starts_on == starts_on) for kind, starts_on in periods]
    rows = conn.execute(select(t.promotion_id, t.period, t.uses).where(
        t.tenant_id == tenant_id, t.member_id == member_id,
        t.promotion_id.in_(list(promotion_ids)), or_(*wanted)))
    return {(r.promotion_id, r.period): r.uses for r in rows}


def count_use(conn: Connection, tenant_id: int, promotion_id: int, member_id: int, *,
              period: str, starts_on: date, limit: int) -> bool:
    """Count one use in the period starting ``starts_on``, unless ``limit`` is reached."""
    _insert_missing(conn, promotion_member_uses, {
        "tenant_id": tenant_id, "promotion_id": promotion_id, "member_id": member_id,
        "period": period, "starts_on": starts_on, "uses": 0})
    t = promotion_member_uses.c
    return conn.execute(update(promotion_member_uses).where(
        t.tenant_id == tenant_id, t.promotion_id == promotion_id, t.member_id == member_id,
        t.period == period, t.starts_on == starts_on, t.uses + 1 <= limit).values(
        uses=t.uses + 1)).rowcount == 1


def uncount_use(conn: Connection, tenant_id: int, promotion_id: int, member_id: int, *,
                period: str, starts_on: date) -> None:
    t = promotion_member_uses.c
    conn.execute(update(promotion_member_uses).where(
        t.tenant_id == tenant_id, t.promotion_id == promotion_id, t.member_id == member_id,
        t.period == period, t.starts_on == starts_on).values(uses=t.uses - 1))


# The tenant's loyalty budget -------------------------------------------------------------------

def split(conn: Connection, tenant_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(loyalty_budgets).where(
        loyalty_budgets.c.tenant_id == tenant_id)).one_or_none()
    return None if row is None else dict(row._mapping)


def save_split(conn: Connection, tenant_id: int, *, total_minor: int | None, base_bp: int,
               mass_bp: int, targeted_bp: int, now: datetime) -> None:
    values = {"total_minor": total_minor, "base_bp": base_bp, "mass_bp": mass_bp,
              "targeted_bp": targeted_bp, "updated_at": now}
    _insert_missing(conn, loyalty_budgets, {"tenant_id": tenant_id, **values})
    conn.execute(update(loyalty_budgets).where(
        loyalty_budgets.c.tenant_id == tenant_id).values(**values))


def bucket_spent(conn: Connection, tenant_id: int, month: date) -> dict[str, int]:
    """Each bucket's spend in a month: the capped buckets from their counters, the base
    bucket summed from the receipts' base-scheme points net of refunds."""
    t = budget_spend.c
    rows = conn.execute(select(t.bucket, t.spent_minor).where(
        t.tenant_id == tenant_id, t.month == month))
    spent = {r.bucket: r.spent_minor for r in rows}
    b = receipt_budgets.c
    base = conn.execute(select(func.coalesce(func.sum(
        (b.base_points - b.refunded_points) * b.point_value_minor), 0)).where(
        b.tenant_id == tenant_id, b.month == month)).scalar_one()
    spent["base"] = int(base)
    return spent


def charge_bucket(conn: Connection, tenant_id: int, month: date, bucket: str, *,
                  amount_minor: int, cap_minor: int | None) -> bool:
    """Count ``amount_minor`` against a bucket's month (``cap_minor`` None: report only)."""
    _insert_missing(conn, budget_spend, {"tenant_id": tenant_id, "month": month,
                                         "bucket": bucket, "spent_minor": 0})
    t = budget_spend.c
    query = update(budget_spend).where(t.tenant_id == tenant_id, t.month == month,
                                       t.bucket == bucket)
    if cap_minor is not None:
        query = query.where(t.spent_minor + amount_minor <= cap_minor)
    return conn.execute(query.values(spent_minor=t.spent_minor + amount_minor)).rowcount == 1


def give_back_bucket(conn: Connection, tenant_id: int, month: date, bucket: str, *,
                     amount_minor: int) -> None:
    t = budget_spend.c
    conn.execute(update(budget_spend).where(
        t.tenant_id == tenant_id, t.month == month, t.bucket == bucket).values(
        spent_minor=t.spent_minor - amount_minor))


# What receipts got -----------------------------------------------------------------------------

def record_base(conn: Connection, tenant_id: int, receipt_id: int, *, month: date,
                base_points: int, point_value_minor: int) -> None:
    conn.execute(insert(receipt_budgets).values(
        tenant_id=tenant_id, receipt_id=receipt_id, month=month, base_points=base_points,
        point_value_minor=point_value_minor))


def give_back_base(conn: Connection, tenant_id: int, receipt_id: int, points: int) -> None:
    t = receipt_budgets.c
    conn.execute(update(receipt_budgets).where(t.tenant_id == tenant_id,
                                               t.receipt_id == receipt_id)
                 .values(refunded_points=t.refunded_points + points))


def base_of(conn: Connection, tenant_id: int, receipt_id: int) -> dict[str, Any] | None:
    t = receipt_budgets.c
    row = conn.execute(select(t.month, t.base_points, t.point_value_minor).where(
        t.tenant_id == tenant_id, t.receipt_id == receipt_id)).one_or_none()
    return None if row is None else dict(row._mapping)


def applied_rows(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    t = receipt_promotions.c
    return [dict(r._mapping) for r in conn.execute(select(
        t.id, t.promotion_id, t.month, t.bucket, t.lines, t.discount_minor, t.points,
        t.refunded_discount_minor, t.refunded_points).where(
        t.tenant_id == tenant_id, t.receipt_id == receipt_id).order_by(t.id))]


def add_refunded(conn: Connection, row_id: int, *, discount_minor: int, points: int) -> None:
    t = receipt_promotions.c
    conn.execute(update(receipt_promotions).where(t.id == row_id).values(
        refunded_discount_minor=t.refunded_discount_minor + discount_minor,
        refunded_points=t.refunded_points + points))


def month_burn(conn: Connection, tenant_id: int, month: date,
               promotion_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per promotion, what receipts of ``month`` got from it net of refunds, and how many."""
    t = receipt_promotions.c
    query = select(t.promotion_id,
                   func.count().label("receipts"),
                   func.sum(t.discount_minor - t.refunded_discount_minor).label("discount"),
                   func.sum(t.points - t.refunded_points).label("points")).where(
        t.tenant_id == tenant_id, t.month == month).group_by(t.promotion_id)
    if promotion_id is not None:
        query = query.where(t.promotion_id == promotion_id)
    return {r.promotion_id: {"receipts": int(r.receipts), "discount_minor": int(r.discount),
                             "points": int(r.points)}
            for r in conn.execute(query)}
