"""The console's home page: the last 30 days of a business at a glance.

Figures come from a few aggregate queries (:mod:`regulars.db.analytics.dashboard`) over the tenant's
receipts, ledger entries, members and accounts; days are the tenant's local days ending
today, as the runtime's clock tells it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from regulars.db.analytics import dashboard
from regulars.domain.money import BASIS_POINTS, Rounding, divide
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

DAYS = 30


@dataclass(frozen=True, kw_only=True)
class Day:
    day: date
    member_receipts: int
    anonymous_receipts: int
    member_gross_minor: int
    anonymous_gross_minor: int
    points_issued: int
    points_spent: int
    points_expired: int


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    first_day: date
    last_day: date
    days: list[Day]
    members_total: int
    members_new: int
    receipts_total: int
    member_receipts: int
    identified_share_bp: int | None
    """Share of receipts with a member, in basis points; None without receipts."""
    member_average_minor: int | None
    anonymous_average_minor: int | None
    points_issued: int
    points_spent: int
    points_expired: int
    outstanding_points: int
    outstanding_minor: int
    """What the outstanding points are worth at the current program's point value."""


def day_starts(today: date, zone: ZoneInfo, days: int = DAYS) -> list[datetime]:
    """The UTC instants at which each of the ``days`` local days ending ``today`` starts,
    and the end of ``today``."""
    first = today - timedelta(days=days - 1)
    return [datetime.combine(first + timedelta(days=i), time(), tzinfo=zone).astimezone(UTC)
            for i in range(days + 1)]


def _average(total_minor: int, count: int) -> int | None:
    return divide(total_minor, count, Rounding.HALF_UP) if count else None


def last_30_days(rt: Runtime, tenant_id: int) -> Dashboard:
    tenant = get_tenant(rt, tenant_id)
    zone = ZoneInfo(tenant.timezone)
    today = rt.now().astimezone(zone).date()
    starts = day_starts(today, zone)
    with rt.db.read() as conn:
        sales = dashboard.receipts_by_day(conn, tenant_id, starts)
        points = dashboard.points_by_day(conn, tenant_id, starts)
        members_total, members_new = dashboard.member_counts(conn, tenant_id, starts[0])
        outstanding = dashboard.outstanding_points(conn, tenant_id)
        _, program = programs.load_current(conn, tenant_id)
    days = [Day(day=starts[0].astimezone(zone).date() + timedelta(days=i),
                member_receipts=sales.get(i, {}).get("member_receipts", 0),
                anonymous_receipts=sales.get(i, {}).get("anonymous_receipts", 0),
                member_gross_minor=sales.get(i, {}).get("member_gross_minor", 0),
                anonymous_gross_minor=sales.get(i, {}).get("anonymous_gross_minor", 0),
                points_issued=points.get(i, {}).get("points_issued", 0),
                points_spent=points.get(i, {}).get("points_spent", 0),
                points_expired=points.get(i, {}).get("points_expired", 0))
            for i in range(DAYS)]
    member_receipts = sum(d.member_receipts for d in days)
    anonymous_receipts = sum(d.anonymous_receipts for d in days)
    total = member_receipts + anonymous_receipts
    return Dashboard(
        first_day=days[0].day, last_day=days[-1].day, days=days,
        members_total=members_total, members_new=members_new, receipts_total=total,
        member_receipts=member_receipts,
        identified_share_bp=_average(member_receipts * BASIS_POINTS, total),
        member_average_minor=_average(sum(d.member_gross_minor for d in days),
                                      member_receipts),
        anonymous_average_minor=_average(sum(d.anonymous_gross_minor for d in days),
                                         anonymous_receipts),
        points_issued=sum(d.points_issued for d in days),
        points_spent=sum(d.points_spent for d in days),
        points_expired=sum(d.points_expired for d in days),
        outstanding_points=outstanding,
        outstanding_minor=outstanding * program.point_value_minor)
