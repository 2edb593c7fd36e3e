"""Aggregates behind the figures over the receipts, entries and members themselves (the
overview sums the daily aggregates instead): net sales, points moved, buyers, cohorts. Every
query is scoped by ``tenant_id``, reads a half-open span of instants
``[start, end)`` (the caller turns the tenant's local days into instants) and aggregates in the
database.

Net of refunds and voids: a voided or fully refunded receipt counts nowhere; a partly refunded
one counts once, on the day of the sale, with the money kept (paid less refunded), the
discounts of the quantities kept (each line's discount less its returned quantity's share,
rounded down per line, as the promotions' budgets get it back), the discount paid with points
of the quantities kept by the same rule (as the refunds give the member the points back),
and the items not returned. Points count on the day they moved.

The reward cost is what the points spent took off the bills, except for catalogue rewards: a
receipt's catalogue reward costs its stated cost (stored on its claim, the discount when the
reward states none) in place of what it took off, in full while the claim stands and nothing
once a refund of its line closed it; and the cashback a receipt credited to the member's
wallet, as much of it as refunds have not taken back. The daily aggregates count both so
themselves (:mod:`regulars.db.analytics.days`); :func:`sales_totals`, which reads the
receipts, reads the claims and the cashback entries beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, and_, case, func, literal, select

from regulars.db.analytics import cashback
from regulars.db.analytics.days import of_points
from regulars.db.checkout.purchases import purchased
from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.ledger.tables import entries
from regulars.db.members.tables import members
from regulars.db.rewards import costs as reward_costs
from regulars.domain.analytics.figures import PointsTotals, SalesTotals

ACCRUALS = ("earn", "welcome", "referral", "birthday", "profile", "event")
TAKE_BACK_ACCRUALS = ("refund_earn", "referral_reversal")


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Which receipts a figure covers: one tenant's, in ``[start, end)``, optionally one
    store's or one cashier's."""

    tenant_id: int
    start: datetime
    end: datetime
    store_id: int | None = None
    staff_id: int | None = None
    members_in: Any = None
    """A select of member ids (a level's or a segment's members): only their receipts and
    entries count."""


def sold(scope: Scope) -> list[Any]:
    """The conditions for the net receipts of ``scope``."""
    conditions = [receipts.c.tenant_id == scope.tenant_id, purchased(),
                  receipts.c.occurred_at >= scope.start, receipts.c.occurred_at < scope.end]
    if scope.store_id is not None:
        conditions.append(receipts.c.store_id == scope.store_id)
    if scope.staff_id is not None:
        conditions.append(receipts.c.staff_id == scope.staff_id)
    if scope.members_in is not None:
        conditions.append(receipts.c.member_id.in_(scope.members_in))
    return conditions


def _discount_kept() -> Any:
    """A receipt's discounts less those of the quantities its refunds returned (only a partly
    refunded receipt has any among the sold ones):
    :func:`regulars.domain.analytics.days.discount_back` of each line."""
    line = receipt_lines.alias("returned_line")
    back = (select(func.coalesce(func.sum(
        line.c.discount_minor * line.c.refunded_quantity_milli // line.c.quantity_milli), 0))
        .where(line.c.tenant_id == receipts.c.tenant_id, line.c.receipt_id == receipts.c.id,
               line.c.refunded_quantity_milli > 0)
        .scalar_subquery())
    return case((receipts.c.status == "partially_refunded", receipts.c.discount_minor - back),
                else_=receipts.c.discount_minor)


def _points_off_kept(claimed: Any) -> Any:
    """A receipt's discount paid with points less its catalogue rewards' (``claimed``,
    :func:`regulars.db.rewards.costs.by_receipt`) and less that of the quantities its
    refunds returned: :func:`regulars.domain.analytics.days.points_off_back` of its lines."""
    line = receipt_lines.alias("returned_line")
    points_minor = receipts.c.points_discount_minor
    on_line = line.c.gross_minor - line.c.discount_minor - line.c.paid_minor
    # A reward spread over several lines: each line's share rounded up, as in the domain.
    off = (on_line - reward_costs.on_line(line)
           - (func.coalesce(claimed.c.spread_minor, 0) * on_line + points_minor - 1)
           // func.nullif(points_minor, 0, type_=BigInteger))
    back = (select(func.coalesce(func.sum(
        off * line.c.refunded_quantity_milli // line.c.quantity_milli), 0))
        .where(line.c.tenant_id == receipts.c.tenant_id, line.c.receipt_id == receipts.c.id,
               line.c.refunded_quantity_milli > 0)
        .scalar_subquery())
    net = points_minor - func.coalesce(claimed.c.discount_minor, 0)
    return case((and_(receipts.c.status == "partially_refunded", points_minor > 0), net - back),
                else_=net)


def money_columns(claimed: Any) -> list[Any]:
    """Net revenue, discounts and reward cost summed over the ``receipts`` of a query that
    outer-joins ``claimed`` (:func:`regulars.db.rewards.costs.by_receipt`) on them."""
    points_off = _points_off_kept(claimed)
    return [func.sum(receipts.c.paid_minor - receipts.c.refunded_paid_minor),
            func.sum(_discount_kept()),
            func.sum(points_off + func.coalesce(claimed.c.cost_minor, 0) + cashback.standing())]


def items_column() -> Any:
    """The items not returned, summed over the ``receipt_lines`` of a query."""
    return func.sum(receipt_lines.c.quantity_milli - receipt_lines.c.refunded_quantity_milli)


def with_lines() -> Any:
    """``receipts`` joined to their lines."""
    return receipts.join(receipt_lines, and_(receipt_lines.c.receipt_id == receipts.c.id,
                                             receipt_lines.c.tenant_id == receipts.c.tenant_id))


def sales_totals(conn: Connection, scope: Scope) -> tuple[SalesTotals, SalesTotals]:
    """(receipts with a member, anonymous receipts), net."""
    known = receipts.c.member_id.is_not(None).label("known")
    claimed = reward_costs.by_receipt(scope.tenant_id)
    money = conn.execute(
        select(known, func.count(), *money_columns(claimed))
        .select_from(receipts.outerjoin(claimed, claimed.c.receipt_id == receipts.c.id))
        .where(*sold(scope)).group_by(known)).all()
    items: dict[Any, Any] = dict(conn.execute(
        select(known, items_column()).select_from(with_lines())
        .where(*sold(scope)).group_by(known)).all())
    found = {bool(row[0]): SalesTotals(
        receipts=int(row[1]), revenue_minor=int(row[2] or 0), discount_minor=int(row[3] or 0),
        reward_cost_minor=int(row[4] or 0), items_milli=int(items.get(row[0]) or 0))
        for row in money}
    return found.get(True, SalesTotals()), found.get(False, SalesTotals())


def points_conditions(scope: Scope) -> list[Any]:
    """The conditions for the entries of points of ``scope`` (a store or cashier scope: the
    entries made at it)."""
    conditions = [entries.c.tenant_id == scope.tenant_id, entries.c.occurred_at >= scope.start,
                  entries.c.occurred_at < scope.end, of_points()]
    if scope.store_id is not None:
        conditions.append(entries.c.store_id == scope.store_id)
    if scope.staff_id is not None:
        conditions.append(entries.c.staff_id == scope.staff_id)
    if scope.members_in is not None:
        conditions.append(entries.c.member_id.in_(scope.members_in))
    return conditions


def points_columns() -> list[Any]:
    """Points issued, redeemed and expired, summed over the ``entries`` of a query, net of
    what refunds and voids took back or returned."""
    code, points = entries.c.code, entries.c.points
    take_back = code.in_(TAKE_BACK_ACCRUALS) | ((code == "void") & (points < 0))
    give_back = (code == "refund_spend") | ((code == "void") & (points > 0))
    return [func.sum(case((code.in_(ACCRUALS) & (points > 0), points),
                          (take_back, points), else_=0)),
            func.sum(case((code == "spend", -points), (give_back, -points), else_=0)),
            func.sum(case((code == "expire", -points), else_=0))]


def points_totals(conn: Connection, scope: Scope) -> PointsTotals:
    """Points issued, redeemed and expired in ``[start, end)``, net of what refunds and voids
    took back or returned (entries of points only). A store or cashier scope counts the
    entries made at it."""
    row = conn.execute(select(*points_columns()).where(*points_conditions(scope))).one()
    return PointsTotals(issued=int(row[0] or 0), redeemed=int(row[1] or 0),
                        expired=int(row[2] or 0))


def buyers(conn: Connection, scope: Scope) -> tuple[int, int]:
    """(members with a net receipt in ``[start, end)``, their net receipts)."""
    row = conn.execute(select(func.count(func.distinct(receipts.c.member_id)), func.count())
                       .where(*sold(scope), receipts.c.member_id.is_not(None))).one()
    return int(row[0]), int(row[1])


def bucket_of(column: Any, starts: Sequence[datetime], *, after: int = -1) -> Any:
    """The index of the bucket (``starts[i] <= column < starts[i + 1]``) a timestamp falls
    in; ``starts`` has one more item than there are buckets; before ``starts[0]``: -1; from
    ``starts[-1]`` on: ``after``. Time zones are the caller's: a ``CASE`` over instants is
    exact across daylight-saving changes and the same on both databases."""
    return case(*[(column < start, literal(index - 1))
                  for index, start in enumerate(starts)], else_=literal(after))


def sales_by_bucket(conn: Connection, scope: Scope, starts: Sequence[datetime]
                    ) -> dict[int, tuple[int, int, int]]:
    """Per bucket of ``starts``: (receipts with a member, anonymous receipts, net revenue)."""
    bucket = bucket_of(receipts.c.occurred_at, starts).label("bucket")
    known = receipts.c.member_id.is_not(None)
    query = (select(bucket, func.sum(case((known, 1), else_=0)),
                    func.sum(case((known, 0), else_=1)),
                    func.sum(receipts.c.paid_minor - receipts.c.refunded_paid_minor))
             .where(*sold(scope), receipts.c.occurred_at >= starts[0],
                    receipts.c.occurred_at < starts[-1])
             .group_by(bucket))
    return {int(r[0]): (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0))
            for r in conn.execute(query)}


def cohort_counts(conn: Connection, scope: Scope, starts: Sequence[datetime]
                  ) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """({bucket of ``starts`` joined: members}, {(bucket joined, bucket of a net receipt):
    members who bought in it}) for the members who joined in ``[start, end)`` (merged
    duplicates left out) and their receipts up to ``end``, counted in the database: a row per
    pair of months, whatever the members."""
    joined_bucket = bucket_of(members.c.created_at, starts).label("joined")
    newcomers = [members.c.tenant_id == scope.tenant_id, members.c.status == "active",
                 members.c.created_at >= scope.start, members.c.created_at < scope.end]
    sizes = {int(r[0]): int(r[1]) for r in conn.execute(
        select(joined_bucket, func.count()).where(*newcomers).group_by(joined_bucket))}
    bought_bucket = bucket_of(receipts.c.occurred_at, starts).label("bought")
    rows = conn.execute(
        select(joined_bucket, bought_bucket, func.count(func.distinct(receipts.c.member_id)))
        .select_from(receipts.join(members, and_(members.c.id == receipts.c.member_id,
                                                 members.c.tenant_id == receipts.c.tenant_id)))
        .where(*sold(scope), *newcomers).group_by(joined_bucket, bought_bucket))
    return sizes, {(int(r[0]), int(r[1])): int(r[2]) for r in rows}


def members_count(conn: Connection, tenant_id: int, member_ids: Any, *,
                  joined_by: datetime) -> int:
    """How many of the tenant's members who joined by ``joined_by`` (merged duplicates left
    out) ``member_ids`` (a select of ids) holds; all of them when it is None."""
    conditions = [members.c.tenant_id == tenant_id, members.c.status == "active",
                  members.c.created_at <= joined_by]
    if member_ids is not None:
        conditions.append(members.c.id.in_(member_ids))
    return int(conn.execute(select(func.count()).where(*conditions)).scalar_one())
