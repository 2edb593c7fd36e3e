"""Budget counters of promotions and of the tenant's loyalty budget, in the caller's
transaction. Every query is scoped by ``tenant_id``.

What promotions and buckets spent is summed from the receipts' own rows when reported, so a
commit without a cap writes no row it shares with other commits. What a capped promotion budget
or bucket has left is held in slot rows (db/promotions/budget_slots.py) charged by conditional
updates.
Per-member counters are one row per member (a member's receipts rarely race): every charge is
one conditional update (``SET spent = spent + :x WHERE ... AND spent + :x <= cap``); on
PostgreSQL a concurrent charge of the same row waits for the row lock and re-checks the
condition against the committed value; on SQLite writers are serialised by ``BEGIN
IMMEDIATE``. A ``charge_*`` function reports when the limit would be exceeded and then has
changed nothing. Counter rows that may not exist yet are inserted first with ``ON CONFLICT DO
NOTHING``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.promotions import budget_slots as slots
from regulars.db.promotions.tables import (
    bucket_slots,
    loyalty_budgets,
    promotion_budget_slots,
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

LEFT_COLUMNS = ["left_minor", "left_points"]


@dataclass(frozen=True, kw_only=True)
class BudgetRow:
    promotion_id: int
    budget_minor: int | None
    budget_points: int | None


def _promotion(tenant_id: int, promotion_id: int) -> slots.Owner:
    return slots.Owner(promotion_budget_slots,
                       {"tenant_id": tenant_id, "promotion_id": promotion_id})


def budget_lock(tenant_id: int) -> str:
    """The lock of the tenant's promotion caps and loyalty budget split: held shared by every
    commit (from its first statement) and by every refund that gives back to a budget or
    bucket, alone by a change of caps or of the split."""
    return f"promotion-budgets:{tenant_id}"


def _left_of(caps: BudgetRow, spent: tuple[int, int]) -> dict[str, int | None]:
    return {"left_minor": None if caps.budget_minor is None
            else max(0, caps.budget_minor - spent[0]),
            "left_points": None if caps.budget_points is None
            else max(0, caps.budget_points - spent[1])}


def lock_caps(conn: Connection, tenant_id: int) -> None:
    """Wait until no commit or refund of the tenant is running and keep others out until this
    transaction ends (PostgreSQL). Before locking a promotion's row: a commit holding the
    shared lock goes on to reference that row."""
    slots.sole_lock(conn, budget_lock(tenant_id))


def set_caps(conn: Connection, tenant_id: int, promotion_id: int, *,
             budget_minor: int | None, budget_points: int | None) -> None:
    """Create the promotion's budget row or change its caps. Waits until no commit or refund
    of the tenant is running (PostgreSQL), then fills the slots with what the caps leave after
    what the receipts got (no slots without a cap)."""
    slots.sole_lock(conn, budget_lock(tenant_id))
    _insert_missing(conn, promotion_budgets, {
        "tenant_id": tenant_id, "promotion_id": promotion_id, "budget_minor": budget_minor,
        "budget_points": budget_points})
    conn.execute(update(promotion_budgets).where(
        promotion_budgets.c.tenant_id == tenant_id,
        promotion_budgets.c.promotion_id == promotion_id).values(
        budget_minor=budget_minor, budget_points=budget_points))
    owner = _promotion(tenant_id, promotion_id)
    slots.clear(conn, owner)
    caps = BudgetRow(promotion_id=promotion_id, budget_minor=budget_minor,
                     budget_points=budget_points)
    if budget_minor is not None or budget_points is not None:
        spent = promotion_spent(conn, tenant_id, [promotion_id]).get(promotion_id, (0, 0))
        slots.fill(conn, owner, _left_of(caps, spent))


def budgets(conn: Connection, tenant_id: int,
            promotion_ids: Iterable[int]) -> dict[int, BudgetRow]:
    """The promotions' caps."""
    rows = conn.execute(select(promotion_budgets).where(
        promotion_budgets.c.tenant_id == tenant_id,
        promotion_budgets.c.promotion_id.in_(list(promotion_ids))))
    return {r.promotion_id: BudgetRow(promotion_id=r.promotion_id, budget_minor=r.budget_minor,
                                      budget_points=r.budget_points)
            for r in rows}


def promotion_spent(conn: Connection, tenant_id: int,
                    promotion_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(money, points) each promotion gave over its life net of refunds (the money: its
    discounts and its cashback), summed from the receipts (those committed before budgets
    existed count nowhere)."""
    t = receipt_promotions.c
    rows = conn.execute(select(
        t.promotion_id, func.sum(_money_given(t)),
        func.sum(t.points - t.refunded_points)).where(
        t.tenant_id == tenant_id, t.promotion_id.in_(list(promotion_ids)),
        t.month.is_not(None)).group_by(t.promotion_id))
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def _spent_by_slots_statement() -> Any:
    s, b = promotion_budget_slots.c, promotion_budgets.c
    return (select(s.promotion_id, func.min(b.budget_minor), func.min(b.budget_points),
                   func.sum(s.left_minor), func.sum(s.left_points))
            .join_from(promotion_budget_slots, promotion_budgets, and_(
                b.tenant_id == s.tenant_id, b.promotion_id == s.promotion_id))
            .where(s.tenant_id == bindparam("tenant_id"),
                   s.promotion_id.in_(bindparam("ids", expanding=True)))
            .group_by(s.promotion_id))


def spent_by_slots_columns(tenant_id: Any, promotion_id: Any) -> tuple[Any, Any]:
    """:func:`spent_by_slots` of one promotion as two scalar subqueries (money off, points),
    for a statement that reads the promotion anyway: each the cap on the budget row less what
    the slots hold, null where that cap is not set or the promotion has no slots (so both
    are null for a promotion without slots)."""
    s, b = promotion_budget_slots.c, promotion_budgets.c
    joined = promotion_budget_slots.join(promotion_budgets, and_(
        b.tenant_id == s.tenant_id, b.promotion_id == s.promotion_id))
    return tuple(  # type: ignore[return-value]
        select(func.min(cap) - func.sum(left)).select_from(joined)
        .where(s.tenant_id == tenant_id, s.promotion_id == promotion_id).scalar_subquery()
        for cap, left in ((b.budget_minor, s.left_minor), (b.budget_points, s.left_points)))


# Built once: it runs in every quote and commit with a capped promotion.
_SPENT_BY_SLOTS = _spent_by_slots_statement()


def spent_by_slots(conn: Connection, tenant_id: int,
                   promotion_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(money off, points) the capped promotions among ``promotion_ids`` gave, as their slots
    tell it: what is left below the caps on the budget row (0 where that cap is not set).
    Promotions without slots are left out."""
    rows = conn.execute(_SPENT_BY_SLOTS, {"tenant_id": tenant_id, "ids": list(promotion_ids)})
    return {r[0]: (0 if r[1] is None or r[3] is None else int(r[1]) - int(r[3]),
                   0 if r[2] is None or r[4] is None else int(r[2]) - int(r[4]))
            for r in rows}


def share_lock(conn: Connection, tenant_id: int) -> None:
    """Hold :func:`budget_lock` shared until the transaction ends (a refund giving back to a
    budget or bucket; a commit takes it with its first statement): a change of caps or of
    the split waits for this transaction."""
    slots.share_locks(conn, [budget_lock(tenant_id)])


def charge_promotion(conn: Connection, caps: BudgetRow, *, tenant_id: int,
                     discount_minor: int, points: int, spread: int,
                     quick: bool = False) -> bool:
    """Count a receipt's spend against the promotion's own budget: ``caps`` those of the
    version the receipt was priced by, read under :func:`budget_lock` (so they are the
    current ones); nothing is written without a cap. ``False`` when the budget does not hold
    it (nothing changed). ``quick``: as :func:`~budget_slots.take` (may raise
    :class:`~budget_slots.Busy`)."""
    if (caps.budget_minor is None and caps.budget_points is None) or not (
            discount_minor or points):
        return True
    promotion_id = caps.promotion_id

    def start() -> dict[str, int | None]:
        return _left_of(caps, promotion_spent(conn, tenant_id, [promotion_id]).get(
            promotion_id, (0, 0)))

    return slots.take(conn, _promotion(tenant_id, promotion_id),
                      {"left_minor": discount_minor, "left_points": points},
                      spread=spread, start=start, quick=quick)


def give_back_promotion(conn: Connection, tenant_id: int, promotion_id: int, *,
                        discount_minor: int, points: int, spread: int) -> None:
    """Return a refund's share to the promotion's budget (a slot of it, if capped). The
    caller holds :func:`budget_lock` shared."""
    slots.give(conn, _promotion(tenant_id, promotion_id),
               {"left_minor": discount_minor, "left_points": points}, slot=spread)


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

def _money_given(t: Any) -> Any:
    """The money a receipt_promotions row counts in budgets, net of refunds: the discount and
    the cashback (kept apart since migration 0042, counted together as before)."""
    return (t.discount_minor - t.refunded_discount_minor
            + t.cashback_minor - t.refunded_cashback_minor)


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
    """Each bucket's spend in a month net of refunds, summed from the receipts' own rows: the
    promotions' discounts and cashback plus their points at the point value of the receipt,
    and the base-scheme points the same way plus the program's cashback."""
    t = receipt_promotions.c
    rows = conn.execute(select(t.bucket, func.sum(
        _money_given(t)
        + (t.points - t.refunded_points) * func.coalesce(t.point_value_minor, 0))).where(
        t.tenant_id == tenant_id, t.month == month).group_by(t.bucket))
    spent = {r[0]: int(r[1]) for r in rows}
    b = receipt_budgets.c
    base = conn.execute(select(func.coalesce(func.sum(
        (b.base_points - b.refunded_points) * b.point_value_minor
        + b.cashback_minor - b.refunded_cashback_minor), 0)).where(
        b.tenant_id == tenant_id, b.month == month)).scalar_one()
    spent["base"] = int(base)
    return spent


def _bucket(tenant_id: int, month: date, bucket: str) -> slots.Owner:
    return slots.Owner(bucket_slots, {"tenant_id": tenant_id, "month": month, "bucket": bucket})


def bucket_left(conn: Connection, tenant_id: int, month: date, bucket: str) -> int | None:
    """What a capped bucket's slots hold for the month (``None``: no slots yet)."""
    found = slots.left(conn, _bucket(tenant_id, month, bucket), ["left_minor"])
    return None if found is None else found["left_minor"]


def charge_bucket(conn: Connection, tenant_id: int, month: date, bucket: str, *,
                  amount_minor: int, cap_minor: int | None,
                  spread: int, quick: bool = False) -> bool:
    """Count ``amount_minor`` against a bucket's month (nothing written without a cap: the
    spend is summed from the receipts); ``False`` when the cap does not hold it. The month's
    slots are made at its first charge from what the receipts got. The caller holds
    :func:`budget_lock` shared. ``quick``: as :func:`~budget_slots.take`."""
    if cap_minor is None or not amount_minor:
        return True

    def start() -> dict[str, int | None]:
        return {"left_minor": max(0, cap_minor - bucket_spent(conn, tenant_id, month)
                                  .get(bucket, 0))}

    return slots.take(conn, _bucket(tenant_id, month, bucket), {"left_minor": amount_minor},
                      spread=spread, start=start, quick=quick)


def give_back_bucket(conn: Connection, tenant_id: int, month: date, bucket: str, *,
                     amount_minor: int, spread: int) -> None:
    """Return a refund's share to a capped bucket's month (nothing without slots)."""
    slots.give(conn, _bucket(tenant_id, month, bucket), {"left_minor": amount_minor},
               slot=spread)


def refill_buckets(conn: Connection, tenant_id: int, caps: dict[str, int | None], *,
                   since: date) -> None:
    """After a change of the split (under :func:`budget_lock` alone): the slots of months from
    ``since`` on hold what the new caps leave; older months' slots go (no commit counts in
    them any more), as do those of a bucket without a cap."""
    t = bucket_slots.c
    months = conn.execute(select(t.month).distinct().where(t.tenant_id == tenant_id)).scalars()
    for month in list(months):
        spent = bucket_spent(conn, tenant_id, month)
        for bucket, cap in caps.items():
            owner = _bucket(tenant_id, month, bucket)
            slots.clear(conn, owner)
            if cap is not None and month >= since:
                slots.fill(conn, owner, {"left_minor": max(0, cap - spent.get(bucket, 0))})


# What receipts got -----------------------------------------------------------------------------

def record_base(conn: Connection, tenant_id: int, receipt_id: int, *, month: date,
                base_points: int, point_value_minor: int) -> None:
    conn.execute(insert(receipt_budgets).values(
        tenant_id=tenant_id, receipt_id=receipt_id, month=month, base_points=base_points,
        point_value_minor=point_value_minor))


def record_base_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """:func:`record_base` for many receipts: rows of ``tenant_id``, ``receipt_id``,
    ``month``, ``base_points`` and ``point_value_minor``."""
    if rows:
        conn.execute(insert(receipt_budgets), rows)


def record_cashback(conn: Connection, tenant_id: int, receipt_id: int, *, month: date,
                    cashback_minor: int) -> None:
    """Count the program's cashback of a receipt on its row (written with no points when the
    receipt earned none by the base scheme)."""
    t = receipt_budgets.c
    if conn.execute(update(receipt_budgets).where(t.tenant_id == tenant_id,
                                                  t.receipt_id == receipt_id)
                    .values(cashback_minor=cashback_minor)).rowcount:
        return
    conn.execute(insert(receipt_budgets).values(
        tenant_id=tenant_id, receipt_id=receipt_id, month=month, base_points=0,
        point_value_minor=0, cashback_minor=cashback_minor))


def give_back_cashback(conn: Connection, tenant_id: int, receipt_id: int,
                       cashback_minor: int) -> None:
    t = receipt_budgets.c
    conn.execute(update(receipt_budgets).where(t.tenant_id == tenant_id,
                                               t.receipt_id == receipt_id)
                 .values(refunded_cashback_minor=t.refunded_cashback_minor + cashback_minor))


def give_back_base(conn: Connection, tenant_id: int, receipt_id: int, points: int) -> None:
    t = receipt_budgets.c
    conn.execute(update(receipt_budgets).where(t.tenant_id == tenant_id,
                                               t.receipt_id == receipt_id)
                 .values(refunded_points=t.refunded_points + points))


def base_of(conn: Connection, tenant_id: int, receipt_id: int) -> dict[str, Any] | None:
    t = receipt_budgets.c
    row = conn.execute(select(t.month, t.base_points, t.point_value_minor, t.cashback_minor,
                              t.refunded_cashback_minor).where(
        t.tenant_id == tenant_id, t.receipt_id == receipt_id)).one_or_none()
    return None if row is None else dict(row._mapping)


def applied_rows(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    t = receipt_promotions.c
    return [dict(r._mapping) for r in conn.execute(select(
        t.id, t.promotion_id, t.month, t.bucket, t.lines, t.discount_minor, t.points,
        t.cashback_minor, t.refunded_discount_minor, t.refunded_points,
        t.refunded_cashback_minor, t.point_value_minor).where(
        t.tenant_id == tenant_id, t.receipt_id == receipt_id).order_by(t.id))]


def set_cashback(conn: Connection, row_id: int, *, cashback_minor: int,
                 lines: list[list[int]]) -> None:
    """Set what a receipt's promotion row counts of its cashback (``lines``: each line's
    ``[discount_minor, points, cashback_minor]``)."""
    t = receipt_promotions.c
    conn.execute(update(receipt_promotions).where(t.id == row_id).values(
        cashback_minor=cashback_minor, lines=lines))


def add_refunded(conn: Connection, row_id: int, *, discount_minor: int, points: int,
                 cashback_minor: int = 0) -> None:
    t = receipt_promotions.c
    conn.execute(update(receipt_promotions).where(t.id == row_id).values(
        refunded_discount_minor=t.refunded_discount_minor + discount_minor,
        refunded_points=t.refunded_points + points,
        refunded_cashback_minor=t.refunded_cashback_minor + cashback_minor))


def month_burn(conn: Connection, tenant_id: int, month: date,
               promotion_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per promotion, what receipts of ``month`` got from it net of refunds (discount,
    points and cashback apart), and how many."""
    t = receipt_promotions.c
    query = select(t.promotion_id,
                   func.count().label("receipts"),
                   func.sum(t.discount_minor - t.refunded_discount_minor).label("discount"),
                   func.sum(t.points - t.refunded_points).label("points"),
                   func.sum(t.cashback_minor - t.refunded_cashback_minor).label("cashback")
                   ).where(
        t.tenant_id == tenant_id, t.month == month).group_by(t.promotion_id)
    if promotion_id is not None:
        query = query.where(t.promotion_id == promotion_id)
    return {r.promotion_id: {"receipts": int(r.receipts), "discount_minor": int(r.discount),
                             "points": int(r.points), "cashback_minor": int(r.cashback)}
            for r in conn.execute(query)}
