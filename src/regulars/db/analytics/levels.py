"""The figures of every level at once: each member's level is worked out in one grouped pass
over the members' receipts (:func:`regulars.db.promotions.segments.level_ranks`), and the
period's sales, buyers, points and each level's members are grouped by it, all in one
statement, so that the pass is made once whatever the number of levels (the ``level`` rule of
a segment looks each member's level up on its own: run once per receipt and per entry of the
period, and per member, for each level, it made the report's time grow with the levels
times the receipts). The same figures, rules and scope as :mod:`regulars.db.analytics.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE, Connection, Select, func, select

from regulars.db.analytics.figures import (
    Scope,
    items_column,
    money_columns,
    points_columns,
    points_conditions,
    sold,
    with_lines,
)
from regulars.db.checkout.tables import receipts
from regulars.db.ledger.tables import entries
from regulars.db.rewards import costs as reward_costs
from regulars.domain.analytics.figures import PointsTotals, SalesTotals


@dataclass(frozen=True, kw_only=True)
class LevelCounts:
    members: int = 0
    """Members holding the level who joined by the moment levels are taken at."""
    buyers: int = 0
    sales: SalesTotals = SalesTotals()
    points: PointsTotals = PointsTotals()


def by_rank(conn: Connection, scope: Scope, ranks: Select[Any]) -> dict[int, LevelCounts]:
    """Per rank (a level's index) of ``ranks`` (``member_id``, ``rank``, ``joined``): its
    members, and their net receipts, buyers and points moved in ``scope``'s span."""
    levels = ranks.cte("levels")
    rank = levels.c.rank
    sales, items, points = _sales(scope, levels), _items(scope, levels), _points(scope, levels)
    sizes = select(rank, func.sum(levels.c.joined).label("members")).group_by(rank).cte("sizes")
    rows = conn.execute(
        select(
            sizes.c.rank,
            sizes.c.members,
            sales.c.buyers,
            sales.c.receipts,
            sales.c.revenue,
            sales.c.discount,
            sales.c.cost,
            items.c.items_milli,
            points.c.issued,
            points.c.redeemed,
            points.c.expired,
        ).select_from(
            sizes.outerjoin(sales, sales.c.rank == sizes.c.rank)
            .outerjoin(items, items.c.rank == sizes.c.rank)
            .outerjoin(points, points.c.rank == sizes.c.rank)
        )
    )
    return {int(r[0]): _counts(r) for r in rows}


def _sales(scope: Scope, levels: CTE) -> CTE:
    """Each rank's net receipts, buyers, revenue, discounts and reward cost."""
    claimed = reward_costs.by_receipt(scope.tenant_id)
    return (
        select(
            levels.c.rank,
            func.count().label("receipts"),
            func.count(func.distinct(receipts.c.member_id)).label("buyers"),
            *(
                c.label(n)
                for c, n in zip(
                    money_columns(claimed), ("revenue", "discount", "cost"), strict=True
                )
            ),
        )
        .select_from(
            receipts.join(levels, levels.c.member_id == receipts.c.member_id).outerjoin(
                claimed, claimed.c.receipt_id == receipts.c.id
            )
        )
        .where(*sold(scope))
        .group_by(levels.c.rank)
        .cte("sales")
    )


def _items(scope: Scope, levels: CTE) -> CTE:
    return (
        select(levels.c.rank, items_column().label("items_milli"))
        .select_from(with_lines().join(levels, levels.c.member_id == receipts.c.member_id))
        .where(*sold(scope))
        .group_by(levels.c.rank)
        .cte("items")
    )


def _points(scope: Scope, levels: CTE) -> CTE:
    return (
        select(
            levels.c.rank,
            *(
                c.label(n)
                for c, n in zip(points_columns(), ("issued", "redeemed", "expired"), strict=True)
            ),
        )
        .select_from(entries.join(levels, levels.c.member_id == entries.c.member_id))
        .where(*points_conditions(scope))
        .group_by(levels.c.rank)
        .cte("points")
    )


def _counts(r: Sequence[Any]) -> LevelCounts:
    return LevelCounts(
        members=int(r[1] or 0),
        buyers=int(r[2] or 0),
        sales=SalesTotals(
            receipts=int(r[3] or 0),
            revenue_minor=int(r[4] or 0),
            discount_minor=int(r[5] or 0),
            reward_cost_minor=int(r[6] or 0),
            items_milli=int(r[7] or 0),
        ),
        points=PointsTotals(
            issued=int(r[8] or 0), redeemed=int(r[9] or 0), expired=int(r[10] or 0)
        ),
    )
