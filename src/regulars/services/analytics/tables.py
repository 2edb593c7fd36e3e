"""Every report's table as rows of raw integers, for a file: the console's downloads, the
admin API's ``/v1/admin/analytics/tables/{name}`` and ``regulars export`` give the same table
as CSV or XLSX, each from this one registry.

Units are in the column names (``_minor`` for money in minor units, ``_bp`` for basis points,
``_milli`` for thousandths, ``_points``); days are ISO dates in the business's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from regulars.services.analytics import branches, breakdowns, clv, cohorts, figures, liability
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates, goods


class TableName(StrEnum):
    OVERVIEW = "overview"
    COHORTS = "cohorts"
    STORES = "stores"
    CASHIERS = "cashiers"
    LIABILITY = "liability"
    EXPIRY = "expiry"
    JOURNAL = "journal"
    LEVELS = "levels"
    SEGMENTS = "segments"
    CLV = "clv"
    CERTIFICATES = "certificates"
    GOODS = "goods"


@dataclass(frozen=True, kw_only=True)
class TableRequest:
    period: figures.Request = field(default_factory=figures.Request)
    """The period of every table but ``clv`` (and ``expiry``, which is taken now)."""
    outlook: clv.ClvQuery = field(default_factory=clv.ClvQuery)
    """The ``clv`` table's calibration end, unit, margin, discount and horizon (its page
    bounds play no part: the table has every member)."""


@dataclass(frozen=True, kw_only=True)
class Table:
    name: str
    header: tuple[str, ...]
    rows: Iterable[Sequence[Any]]
    """Read once: a long table's rows are made as they are written."""


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
                 "store_identified_share_bp", "store_average_minor", "store_enrolments",
                 "active_members", "store_active_members")


def value_of(found: Any, path: str) -> int | None:
    """The figure at ``path`` (``"sales.receipts"``) of a period's figures."""
    for part in path.split("."):
        found = getattr(found, part)
    return None if found is None else int(found)


def _overview(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    board = figures.overview(rt, tenant_id, asked.period)
    header = ("figure", f"{board.current.first_day}..{board.current.last_day}",
              f"{board.previous.first_day}..{board.previous.last_day}")
    return Table(name="overview", header=header, rows=[
        [key, value_of(board.current, path), value_of(board.previous, path)]
        for key, path in OVERVIEW_PATHS.items()])


def _cohorts(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    found = cohorts.cohorts(rt, tenant_id, asked.period)
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
             b.store_average_minor, b.store_enrolments, b.figures.counts.active_members,
             b.store_active_members] for b in rows]


def _stores(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    found = branches.branches(rt, tenant_id, asked.period)
    return Table(name="stores", header=BRANCH_HEADER, rows=branch_rows(found.stores))


NO_CASHIER = "no cashier recorded"
"""The name of a store's row of what no cashier is recorded for (no rank, no id)."""


def _cashiers(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    """The cashiers, then per store what no cashier is recorded for: with the store's id
    last, a store's rows add up to its own in the ``stores`` table (but active members)."""
    found = branches.branches(rt, tenant_id, asked.period)
    named = [[*row, b.store_id] for row, b in zip(branch_rows(found.cashiers), found.cashiers,
                                                  strict=True)]
    nobody = [[None, None, NO_CASHIER, *row[3:], b.store_id]
              for row, b in zip(branch_rows(found.no_cashier), found.no_cashier, strict=True)]
    return Table(name="cashiers", header=(*BRANCH_HEADER, "store_id"), rows=named + nobody)


def _liability(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    found = liability.liability(rt, tenant_id, asked.period)
    return Table(name="liability", header=(
        "month", "opening_points", "issued_points", "redeemed_points", "expired_points",
        "other_points", "closing_points", "opening_minor", "deferred_minor",
        "released_redeemed_minor", "released_expired_minor", "other_minor", "closing_minor"),
        rows=[[m.points.month.isoformat(), m.points.opening_points, m.points.issued_points,
               m.points.redeemed_points, m.points.expired_points, m.points.other_points,
               m.points.closing_points, m.money.opening_minor, m.money.deferred_minor,
               m.money.released_redeemed_minor, m.money.released_expired_minor,
               m.money.other_minor, m.money.closing_minor] for m in found.months])


def _expiry(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    """The points outstanding now by the month they expire (the period plays no part)."""
    del asked
    found = liability.liability(rt, tenant_id, figures.Request())
    return Table(name="expiry", header=("expires", "points", "value_minor"),
                 rows=[[b.month.isoformat() if b.month else b.kind, b.points, b.value_minor]
                       for b in found.by_expiry])


def _journal(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    lines = liability.journal(rt, tenant_id, asked.period)
    return Table(name="journal",
                 header=("date", "account", "debit_minor", "credit_minor", "memo"),
                 rows=[[ln.day.isoformat(), ln.account, ln.debit_minor, ln.credit_minor,
                        ln.memo] for ln in lines])


GROUP_HEADER = ("key", "name", "members", "buyers", "receipts", "revenue_minor",
                "discount_minor", "reward_cost_minor", "average_minor",
                "items_per_receipt_milli", "visits_per_buyer_milli", "active_share_bp",
                "revenue_share_bp", "points_issued", "points_redeemed")


def _group_rows(found: breakdowns.Breakdown) -> list[Sequence[Any]]:
    """Each level's or segment's row (key, name, figures), then all members' (no key)."""
    return [[key, name, f.members, f.buyers, f.receipts, f.revenue_minor, f.discount_minor,
             f.reward_cost_minor, f.average_minor, f.items_per_receipt_milli,
             f.visits_per_buyer_milli, f.active_share_bp, f.revenue_share_bp,
             f.points_issued, f.points_redeemed]
            for key, name, f in [*((r.key, r.name, r.figures) for r in found.rows),
                                 ("", "all members", found.all_members)]]


def _levels(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    return Table(name="levels", header=GROUP_HEADER,
                 rows=_group_rows(breakdowns.by_level(rt, tenant_id, asked.period)))


def _segments(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    return Table(name="segments", header=GROUP_HEADER,
                 rows=_group_rows(breakdowns.by_segment(rt, tenant_id, asked.period)))


def _clv(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    """Every member's outlook and RFM group, by lifetime value (the period plays no part),
    made as the file is written."""
    return Table(name="clv", header=(
        "member_id", "days_since_last", "purchases", "spend_minor", "rfm", "group",
        "probability_alive", "purchases_90_days", "purchases_365_days",
        "spend_per_purchase_minor", "lifetime_value_minor"),
        rows=([o.member_id, o.days_since_last, o.purchases, o.spend_minor, o.rfm, o.group,
               o.probability_alive, o.purchases_90_days, o.purchases_365_days,
               o.spend_per_purchase_minor, o.lifetime_value_minor]
              for o in clv.every_member(rt, tenant_id, asked.outlook)))


def _certificates(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    """What is owed on gift certificates now, per series, then in members' wallets (the
    period plays no part): the ``outstanding_minor`` column adds up to the liability."""
    del asked
    names = {s.id: s.name for s in certificates.list_series(rt, tenant_id)}
    found = certificates.report(rt, tenant_id)
    return Table(name="certificates", header=(
        "series_id", "series", "issued", "issued_minor", "used_minor", "expired_minor",
        "outstanding_minor", "unsold", "unsold_minor"),
        rows=[*([r.series_id, names.get(r.series_id, ""), r.issued, r.issued_minor,
                 r.used_minor, r.expired_minor, r.outstanding_minor, r.unsold, r.unsold_minor]
                for r in found.series),
              [None, "wallets", None, None, None, None, found.wallets_liability_minor, None,
               None]])


def _goods(rt: Runtime, tenant_id: int, asked: TableRequest) -> Table:
    """What is owed in prepaid goods now, per product, then all products' values together
    (units of different products are not added; the period plays no part)."""
    del asked
    found = goods.liability(rt, tenant_id)
    rows: list[Sequence[Any]] = [
        [g.sku, g.unit, g.accounts, g.balance_milli, g.value_minor, g.expired_milli,
         g.expired_minor] for g in found]
    rows.append(["all goods", None, sum(g.accounts for g in found), None,
                 sum(g.value_minor for g in found), None,
                 sum(g.expired_minor for g in found)])
    return Table(name="goods", header=("sku", "unit", "accounts", "units_held_milli",
                                       "value_minor", "units_expired_milli",
                                       "expired_value_minor"), rows=rows)


TABLES: dict[TableName, Callable[[Runtime, int, TableRequest], Table]] = {
    TableName.OVERVIEW: _overview,
    TableName.COHORTS: _cohorts,
    TableName.STORES: _stores,
    TableName.CASHIERS: _cashiers,
    TableName.LIABILITY: _liability,
    TableName.EXPIRY: _expiry,
    TableName.JOURNAL: _journal,
    TableName.LEVELS: _levels,
    TableName.SEGMENTS: _segments,
    TableName.CLV: _clv,
    TableName.CERTIFICATES: _certificates,
    TableName.GOODS: _goods,
}


def table(rt: Runtime, tenant_id: int, name: TableName, asked: TableRequest) -> Table:
    """The report table ``name`` for the period (and, for ``clv``, the outlook) ``asked``
    names; raises as the report does (:class:`InvalidInput` naming the bad parameter,
    :class:`NotFound` for an unknown tenant)."""
    return TABLES[name](rt, tenant_id, asked)
