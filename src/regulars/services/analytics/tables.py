"""Every report's table as rows of raw integers, for a file: the console's downloads and the
admin API's ``/v1/admin/analytics/tables/{name}`` give the same table as CSV or XLSX.

Units are in the column names (``_minor`` for money in minor units, ``_bp`` for basis points,
``_milli`` for thousandths, ``_points``); days are ISO dates in the business's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from regulars.services.analytics import branches, cohorts, figures, liability
from regulars.services.runtime import Runtime


class TableName(StrEnum):
    OVERVIEW = "overview"
    COHORTS = "cohorts"
    STORES = "stores"
    CASHIERS = "cashiers"
    LIABILITY = "liability"
    EXPIRY = "expiry"
    JOURNAL = "journal"


@dataclass(frozen=True, kw_only=True)
class Table:
    name: str
    header: tuple[str, ...]
    rows: list[Sequence[Any]]


OVERVIEW_PATHS: dict[str, str] = {
    "receipts": "sales.receipts",
    "revenue_minor": "sales.revenue_minor",
    "average_minor": "sales.average_minor",
    "member_average_minor": "sales.member_average_minor",
    "anonymous_average_minor": "sales.anonymous_average_minor",
    "member_uplift_minor": "sales.member_uplift_minor",
    "identified_share_bp": "sales.identified_share_bp",
    "items_per_receipt_milli": "sales.items_per_receipt_milli",
    "discount_minor": "sales.discount_minor",
    "reward_cost_minor": "sales.reward_cost_minor",
    "reward_cost_share_bp": "points.reward_cost_share_bp",
    "members_new": "members.new",
    "members_active": "members.active",
    "visits_per_active_milli": "members.visits_per_active_milli",
    "repeat_rate_bp": "members.repeat_rate_bp",
    "members_at_risk": "members.at_risk",
    "members_churned": "members.churned",
    "points_issued": "points.issued",
    "points_redeemed": "points.redeemed",
    "points_expired": "points.expired",
    "redemption_rate_bp": "points.redemption_rate_bp",
}
"""The overview's figures in the order they are shown: the column name → where the figure
is in :class:`~regulars.services.analytics.figures.Figures`."""

BRANCH_HEADER = ("rank", "id", "name", "receipts", "member_receipts", "identified_share_bp",
                 "average_minor", "member_average_minor", "enrolments", "redemptions",
                 "refunds", "refunded_minor", "adjustments", "adjusted_points",
                 "store_identified_share_bp", "store_average_minor", "store_enrolments")


def value_of(found: Any, path: str) -> int | None:
    """The figure at ``path`` (``"sales.receipts"``) of a period's figures."""
    for part in path.split("."):
        found = getattr(found, part)
    return None if found is None else int(found)


def _overview(rt: Runtime, tenant_id: int, request: figures.Request) -> Table:
    board = figures.overview(rt, tenant_id, request)
    header = ("figure", f"{board.current.first_day}..{board.current.last_day}",
              f"{board.previous.first_day}..{board.previous.last_day}")
    return Table(name="overview", header=header, rows=[
        [key, value_of(board.current, path), value_of(board.previous, path)]
        for key, path in OVERVIEW_PATHS.items()])


def _cohorts(rt: Runtime, tenant_id: int, request: figures.Request) -> Table:
    found = cohorts.cohorts(rt, tenant_id, request)
    ages = range(len(found.months))
    return Table(name="cohorts",
                 header=("joined_month", "members", *[f"month_{a}_active" for a in ages]),
                 rows=[[row.month.isoformat(), row.members, *row.active]
                       for row in found.cohorts])


def branch_rows(rows: list[branches.Branch]) -> list[Sequence[Any]]:
    return [[b.rank, b.id, b.name, b.figures.counts.receipts, b.figures.counts.member_receipts,
             b.figures.identified_share_bp, b.figures.average_minor,
             b.figures.member_average_minor, b.figures.counts.enrolments,
             b.figures.counts.redemptions, b.figures.counts.refunds,
             b.figures.counts.refunded_minor, b.figures.counts.adjustments,
             b.figures.counts.adjusted_points, b.store_identified_share_bp,
             b.store_average_minor, b.store_enrolments] for b in rows]


def _stores(rt: Runtime, tenant_id: int, request: figures.Request) -> Table:
    found = branches.branches(rt, tenant_id, request)
    return Table(name="stores", header=BRANCH_HEADER, rows=branch_rows(found.stores))


def _cashiers(rt: Runtime, tenant_id: int, request: figures.Request) -> Table:
    found = branches.branches(rt, tenant_id, request)
    return Table(name="cashiers", header=BRANCH_HEADER, rows=branch_rows(found.cashiers))


def _liability(rt: Runtime, tenant_id: int, request: figures.Request) -> Table:
    found = liability.liability(rt, tenant_id, request)
    return Table(name="liability", header=(
        "month", "opening_points", "issued_points", "redeemed_points", "expired_points",
        "other_points", "closing_points", "opening_minor", "deferred_minor",
        "released_redeemed_minor", "released_expired_minor", "other_minor", "closing_minor"),
        rows=[[m.points.month.isoformat(), m.points.opening_points, m.points.issued_points,
               m.points.redeemed_points, m.points.expired_points, m.points.other_points,
               m.points.closing_points, m.money.opening_minor, m.money.deferred_minor,
               m.money.released_redeemed_minor, m.money.released_expired_minor,
               m.money.other_minor, m.money.closing_minor] for m in found.months])


def _expiry(rt: Runtime, tenant_id: int, request: figures.Request) -> Table:
    """The points outstanding now by the month they expire (the period plays no part)."""
    del request
    found = liability.liability(rt, tenant_id, figures.Request())
    return Table(name="expiry", header=("expires", "points", "value_minor"),
                 rows=[[b.month.isoformat() if b.month else b.kind, b.points, b.value_minor]
                       for b in found.by_expiry])


def _journal(rt: Runtime, tenant_id: int, request: figures.Request) -> Table:
    lines = liability.journal(rt, tenant_id, request)
    return Table(name="journal",
                 header=("date", "account", "debit_minor", "credit_minor", "memo"),
                 rows=[[ln.day.isoformat(), ln.account, ln.debit_minor, ln.credit_minor,
                        ln.memo] for ln in lines])


TABLES: dict[TableName, Callable[[Runtime, int, figures.Request], Table]] = {
    TableName.OVERVIEW: _overview,
    TableName.COHORTS: _cohorts,
    TableName.STORES: _stores,
    TableName.CASHIERS: _cashiers,
    TableName.LIABILITY: _liability,
    TableName.EXPIRY: _expiry,
    TableName.JOURNAL: _journal,
}


def table(rt: Runtime, tenant_id: int, name: TableName, request: figures.Request) -> Table:
    """The report table ``name`` for the period ``request`` names; raises as the report
    does (:class:`InvalidInput` for a bad range, :class:`NotFound` for an unknown tenant)."""
    return TABLES[name](rt, tenant_id, request)
