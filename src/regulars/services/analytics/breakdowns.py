"""The figures by level and by segment: for a period, each level of the current program and
each saved segment with what its members bought (net of refunds and voids), how many of them
bought and how often, and the points they earned and spent; beside all members together.

Membership is taken at the period's end (or now, for a period that has not ended): a
member's level by the program's rules, a segment by its rules, as targeted promotions see
them. One read transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from regulars.db.analytics import figures as queries
from regulars.db.analytics import levels as level_queries
from regulars.db.analytics.figures import Scope
from regulars.db.promotions import segments as segment_store
from regulars.domain.analytics.breakdowns import GroupFigures, group_figures
from regulars.services.analytics.figures import Request, local_start, period_for
from regulars.services.promotions import segments
from regulars.services.promotions.segments import MemberGroup
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant


@dataclass(frozen=True, kw_only=True)
class GroupRow:
    key: str
    """The level's code, or the segment's id."""
    name: str
    figures: GroupFigures


@dataclass(frozen=True, kw_only=True)
class Breakdown:
    currency: str
    first_day: date
    last_day: date
    members_at_day: date
    """The day whose end (or now, if sooner) membership is taken at."""
    all_members: GroupFigures
    rows: list[GroupRow]


def _figures(conn: Connection, scope: Scope, member_ids: Any, revenue_all_minor: int, *,
             at: datetime) -> GroupFigures:
    narrowed = Scope(tenant_id=scope.tenant_id, start=scope.start, end=scope.end,
                     members_in=member_ids)
    sales, _ = queries.sales_totals(conn, narrowed)
    buyers, _ = queries.buyers(conn, narrowed)
    return group_figures(sales, queries.points_totals(conn, narrowed),
                         members=queries.members_count(conn, scope.tenant_id, member_ids,
                                                       joined_by=at),
                         buyers=buyers, revenue_all_minor=revenue_all_minor)


def _level_rows(conn: Connection, scope: Scope, revenue_all_minor: int, *,
                at: datetime) -> list[GroupRow]:
    """Each level's row, every member's level worked out once for them all."""
    basis = segments.level_basis(conn, scope.tenant_id, at)
    if not basis.program.levels:
        return []
    found = level_queries.by_rank(conn, scope,
                                  segment_store.level_ranks(scope.tenant_id, at, basis))
    rows = []
    for rank, level in enumerate(basis.program.levels):
        counts = found.get(rank, level_queries.LevelCounts())
        rows.append(GroupRow(key=level.code, name=level.name, figures=group_figures(
            counts.sales, counts.points, members=counts.members, buyers=counts.buyers,
            revenue_all_minor=revenue_all_minor)))
    return rows


def _breakdown(rt: Runtime, tenant_id: int, request: Request, *, by: str) -> Breakdown:
    tenant = get_tenant(rt, tenant_id)
    period, zone = period_for(rt, tenant_id, request)
    scope = Scope(tenant_id=tenant_id, start=local_start(period.first_day, zone),
                  end=local_start(period.last_day + timedelta(days=1), zone))
    at = min(scope.end - timedelta(microseconds=1), rt.now())  # the period's last instant
    with rt.db.read() as conn:
        with_member, anonymous = queries.sales_totals(conn, scope)
        revenue_all = with_member.revenue_minor + anonymous.revenue_minor
        everyone = _figures(conn, scope, None, revenue_all, at=at)
        if by == "level":
            rows = _level_rows(conn, scope, revenue_all, at=at)
        else:
            groups: list[MemberGroup] = segments.segment_groups(conn, tenant_id, at)
            rows = [GroupRow(key=g.key, name=g.name,
                             figures=_figures(conn, scope, g.member_ids, revenue_all, at=at))
                    for g in groups]
    return Breakdown(currency=tenant.currency, first_day=period.first_day,
                     last_day=period.last_day,
                     members_at_day=min(period.last_day, rt.now().astimezone(zone).date()),
                     all_members=everyone, rows=rows)


def by_level(rt: Runtime, tenant_id: int, request: Request) -> Breakdown:
    """The period's figures per level of the current program, lowest level first (none
    without levels). Raises :class:`InvalidInput` for a bad range."""
    return _breakdown(rt, tenant_id, request, by="level")


def by_segment(rt: Runtime, tenant_id: int, request: Request) -> Breakdown:
    """The period's figures per saved segment, by id. Raises :class:`InvalidInput` for a
    bad range."""
    return _breakdown(rt, tenant_id, request, by="segment")
