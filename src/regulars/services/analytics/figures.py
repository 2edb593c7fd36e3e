"""The figures of a business for a period, compared with the period before it: sales net of
refunds and voids, members (new, active, repeating, at risk, churned) and points, in the
tenant's time zone and currency, for the whole chain or one store or cashier.

One read transaction; days are the tenant's local days (``Period``), turned into the UTC
instants at which they start. Sales, points and the series are sums of the daily aggregates
(:mod:`regulars.db.analytics.days`, current with every commit, refund and expiry), and so
are the member figures: sums of member counts per local day (who joined, who bought after
which day, who bought again how soon after their first purchase).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.analytics import days, gaps, joins, repeats
from regulars.db.analytics import figures as queries
from regulars.db.analytics.figures import Scope
from regulars.db.tenancy import tenancy
from regulars.domain.analytics import figures, ranges
from regulars.domain.analytics.figures import (
    Points,
    PointsTotals,
    Sales,
    share_bp,
)
from regulars.domain.analytics.ranges import Period, Preset, RangeError
from regulars.errors import InvalidInput, NotFound
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant
from regulars.text.i18n import N_

MAX_WINDOW_DAYS = repeats.MAX_DAYS
"""The longest window a member figure takes: the repeat rate's gaps are kept up to it."""
RANGE_ERRORS = {"no_first_day": N_("a custom range needs its first day"),
                "no_last_day": N_("a custom range needs its last day"),
                "ends_before_start": N_("the range ends before it starts"),
                "too_long": N_("a range covers at most %(max_days)s days")}


@dataclass(frozen=True, kw_only=True)
class Windows:
    """The spans, in days, that define an active member, a repeat purchase, a member at
    risk and a churned one."""

    active_days: int = 90
    repeat_days: int = 90
    at_risk_days: int = 90
    churn_days: int = 180

    def check(self) -> None:
        for name in ("active_days", "repeat_days", "at_risk_days", "churn_days"):
            if not 1 <= getattr(self, name) <= MAX_WINDOW_DAYS:
                raise InvalidInput("%(name)s must be from 1 to %(max_days)s days", field=name,
                                   params={"name": name, "max_days": MAX_WINDOW_DAYS})
        if self.churn_days <= self.at_risk_days:
            raise InvalidInput("churn_days must be more than at_risk_days", field="churn_days")


@dataclass(frozen=True, kw_only=True)
class Request:
    preset: Preset = Preset.LAST_30_DAYS
    first_day: date | None = None
    last_day: date | None = None
    store_id: int | None = None
    staff_id: int | None = None
    windows: Windows = Windows()


@dataclass(frozen=True, kw_only=True)
class MemberFigures:
    new: int
    active: int
    """Members with a net receipt in the ``active_days`` (local days) ending with the
    period."""
    visits_per_active_milli: int | None
    """Their receipts in those days per active member, in thousandths."""
    first_time_buyers: int
    """Members whose first net receipt ever falls in the period."""
    repeat_rate_bp: int | None
    """Share of first-time buyers who bought again within ``repeat_days`` of the first."""
    at_risk: int
    """Members whose last receipt is before the ``at_risk_days`` (local days) ending with the
    period but within its ``churn_days``."""
    churned: int
    """Members whose last receipt is before the ``churn_days`` ending with the period."""


@dataclass(frozen=True, kw_only=True)
class Figures:
    first_day: date
    last_day: date
    sales: Sales
    members: MemberFigures
    points: Points


@dataclass(frozen=True, kw_only=True)
class Bucket:
    first_day: date
    member_receipts: int
    anonymous_receipts: int
    revenue_minor: int


@dataclass(frozen=True, kw_only=True)
class Overview:
    currency: str
    timezone: str
    windows: Windows
    store_id: int | None
    staff_id: int | None
    current: Figures
    previous: Figures
    series: list[Bucket]
    """The current period in bars (days, weeks or months)."""


def local_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def period_for(rt: Runtime, tenant_id: int, request: Request) -> tuple[Period, ZoneInfo]:
    """The period ``request`` names, on the tenant's local today; 422 naming ``from``/``to``
    for a bad custom range."""
    zone = ZoneInfo(get_tenant(rt, tenant_id).timezone)
    today = rt.now().astimezone(zone).date()
    try:
        return ranges.resolve(request.preset, today, first_day=request.first_day,
                              last_day=request.last_day), zone
    except RangeError as exc:
        raise InvalidInput(RANGE_ERRORS[exc.reason], field=exc.field,
                           params={"max_days": ranges.MAX_DAYS}) from exc


def _scope(tenant_id: int, request: Request, start: datetime, end: datetime) -> Scope:
    return Scope(tenant_id=tenant_id, start=start, end=end, store_id=request.store_id,
                 staff_id=request.staff_id)


def _members(conn: Connection, scope: Scope, windows: Windows, period: Period,
             zone: ZoneInfo) -> MemberFigures:
    """The member figures; the windows are whole local days ending with the period's last
    day. Read from the aggregates, each a sum over rows of days: receipts per day, members
    who joined (a store's, with its scope), the members' purchase days (``purchase_gaps``:
    active, at risk, churned and the first-time buyers are the whole business's) and the
    gap from their first purchase to the next (``repeat_gaps``); a store's or cashier's
    active members are counted over their receipts."""
    end_day = period.last_day + timedelta(days=1)

    def since(days_back: int) -> int:
        return gaps.active(conn, scope.tenant_id, end_day - timedelta(days=days_back), end_day)

    whole = scope.store_id is None and scope.staff_id is None
    if whole:
        active = since(windows.active_days)
    else:
        active = queries.buyers(conn, replace(
            scope, start=local_start(end_day - timedelta(days=windows.active_days), zone)))[0]
    active_receipts = days.totals(conn, scope.tenant_id,
                                  end_day - timedelta(days=windows.active_days),
                                  period.last_day, store_id=scope.store_id,
                                  staff_id=scope.staff_id)[0].receipts
    first_time = gaps.first_buyers(conn, scope.tenant_id, period.first_day, end_day)
    repeated = repeats.within(conn, scope.tenant_id, period.first_day, end_day,
                              days=windows.repeat_days)
    since_churn = since(windows.churn_days)
    since_risk = (active if whole and windows.at_risk_days == windows.active_days
                  else since(windows.at_risk_days))
    return MemberFigures(
        new=joins.new(conn, scope.tenant_id, period.first_day, end_day,
                      store_id=scope.store_id), active=active,
        visits_per_active_milli=figures.average(active_receipts * 1000, active),
        first_time_buyers=first_time, repeat_rate_bp=share_bp(repeated, first_time),
        at_risk=since_churn - since_risk,
        churned=gaps.buyers_before(conn, scope.tenant_id, end_day) - since_churn)


def _figures(conn: Connection, tenant_id: int, request: Request, period: Period,
             zone: ZoneInfo) -> Figures:
    scope = _scope(tenant_id, request, local_start(period.first_day, zone),
                   local_start(period.last_day + timedelta(days=1), zone))
    sales, moved = _sales(conn, tenant_id, request, period)
    return Figures(
        first_day=period.first_day, last_day=period.last_day, sales=sales,
        members=_members(conn, scope, request.windows, period, zone),
        points=figures.points(moved, reward_cost_minor=sales.reward_cost_minor,
                              revenue_minor=sales.revenue_minor))


def _sales(conn: Connection, tenant_id: int, request: Request, period: Period
           ) -> tuple[Sales, PointsTotals]:
    """The period's sales from the day aggregates (catalogue rewards at their stated cost,
    counted so at commit and refund), and the points moved."""
    with_member, anonymous, moved = days.totals(
        conn, tenant_id, period.first_day, period.last_day,
        store_id=request.store_id, staff_id=request.staff_id)
    return figures.sales(with_member, anonymous), moved


def _series(conn: Connection, tenant_id: int, request: Request, period: Period
            ) -> list[Bucket]:
    firsts = ranges.buckets(period)
    found = days.by_day(conn, tenant_id, period.first_day, period.last_day,
                        store_id=request.store_id, staff_id=request.staff_id)
    sums = [[0, 0, 0] for _ in firsts]
    for day, values in found.items():
        index = bisect_right(firsts, day) - 1
        for column, value in enumerate(values):
            sums[index][column] += value
    return [Bucket(first_day=day, member_receipts=sums[i][0], anonymous_receipts=sums[i][1],
                   revenue_minor=sums[i][2])
            for i, day in enumerate(firsts)]


def check_filters(conn: Connection, tenant_id: int, request: Request) -> None:
    """404 for a store or cashier that is not the tenant's."""
    if request.store_id is not None and tenancy.get_store(conn, tenant_id,
                                                          request.store_id) is None:
        raise NotFound("store not found")
    if request.staff_id is not None and tenancy.get_staff(conn, tenant_id,
                                                          request.staff_id) is None:
        raise NotFound("staff member not found")


def overview(rt: Runtime, tenant_id: int, request: Request) -> Overview:
    """The figures of ``request``'s period and of the period before it, and the current
    period's sales in bars. Raises :class:`InvalidInput` for a bad range or window."""
    request.windows.check()
    tenant = get_tenant(rt, tenant_id)
    period, zone = period_for(rt, tenant_id, request)
    with rt.db.read() as conn:
        check_filters(conn, tenant_id, request)
        current = _figures(conn, tenant_id, request, period, zone)
        previous = _figures(conn, tenant_id, request, period.previous(), zone)
        series = _series(conn, tenant_id, request, period)
    return Overview(currency=tenant.currency, timezone=tenant.timezone, windows=request.windows,
                    store_id=request.store_id, staff_id=request.staff_id, current=current,
                    previous=previous, series=series)


@dataclass(frozen=True, kw_only=True)
class PeriodPoints:
    first_day: date
    last_day: date
    issued: int
    redeemed: int
    expired: int
    redemption_rate_bp: int | None
    reward_cost_share_bp: int | None


@dataclass(frozen=True, kw_only=True)
class PointsReport:
    currency: str
    current: PeriodPoints
    previous: PeriodPoints


def _period_points(conn: Connection, tenant_id: int, request: Request,
                   period: Period) -> PeriodPoints:
    sales, moved = _sales(conn, tenant_id, request, period)
    found = figures.points(moved, reward_cost_minor=sales.reward_cost_minor,
                           revenue_minor=sales.revenue_minor)
    return PeriodPoints(first_day=period.first_day, last_day=period.last_day,
                        issued=found.issued, redeemed=found.redeemed, expired=found.expired,
                        redemption_rate_bp=found.redemption_rate_bp,
                        reward_cost_share_bp=found.reward_cost_share_bp)


def points(rt: Runtime, tenant_id: int, request: Request) -> PointsReport:
    """Points of ``request``'s period and of the one before it."""
    tenant = get_tenant(rt, tenant_id)
    period, _ = period_for(rt, tenant_id, request)
    with rt.db.read() as conn:
        check_filters(conn, tenant_id, request)
        current = _period_points(conn, tenant_id, request, period)
        previous = _period_points(conn, tenant_id, request, period.previous())
    return PointsReport(currency=tenant.currency, current=current, previous=previous)
