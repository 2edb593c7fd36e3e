"""The points liability: what members hold, valued at the current program's point value, by
the month it expires; breakage estimated from history and the expected cost; and the monthly
movements of the liability in the IFRS 15 manner with their journal.

One read transaction; months are the tenant's local calendar months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.analytics import figures as figure_queries
from regulars.db.analytics import liability as queries
from regulars.db.analytics.figures import Scope
from regulars.domain.analytics import liability as rules
from regulars.domain.analytics.liability import JournalLine, PointsMonth, ValuedMonth
from regulars.domain.analytics.ranges import Period
from regulars.services.analytics.figures import Request, local_start, period_for
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

EXPIRY_MONTHS = 12
"""The months the points outstanding are listed by (chart and table alike); what expires
later counts in ``later``."""
MIN_MATURED_POINTS = rules.MIN_MATURED_POINTS
MIN_MATURED_MEMBERS = rules.MIN_MATURED_MEMBERS


@dataclass(frozen=True, kw_only=True)
class ExpiryBucket:
    month: date | None
    """The local month the points expire in (overdue points count in the current month);
    None for ``later`` and ``never``."""
    kind: str
    """``month``, ``later`` (beyond the months listed) or ``never``."""
    points: int
    value_minor: int


@dataclass(frozen=True, kw_only=True)
class LiabilityMonth:
    points: PointsMonth
    money: ValuedMonth


@dataclass(frozen=True, kw_only=True)
class Liability:
    currency: str
    point_value_minor: int
    outstanding_points: int
    outstanding_minor: int
    matured_points: int
    """Points of lots whose expiry date has passed."""
    matured_unspent_points: int
    matured_members: int
    """Members holding the matured points (the sample's size, with ``matured_points``)."""
    breakage_bp: int | None
    """The share of matured points that expired unspent (what was seen, however few)."""
    enough_history: bool
    """Whether the matured points are sample enough (:data:`rules.MIN_MATURED_POINTS`
    points of :data:`rules.MIN_MATURED_MEMBERS` members) for breakage to discount the
    expected cost; without it the cost assumes no breakage (every outstanding point valued)."""
    expected_cost_minor: int
    by_expiry: list[ExpiryBucket]
    first_day: date
    last_day: date
    months: list[LiabilityMonth]


def month_starts(first: date, last: date) -> list[date]:
    """The first days of the months from ``first``'s to ``last``'s, and of the month after."""
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return [*found, day]


def _by_expiry(counts: dict[int, int], never: int, months: list[date],
               point_value_minor: int) -> list[ExpiryBucket]:
    found = []
    for index, month in enumerate(months[:-1]):
        points = counts.get(index, 0) + (counts.get(-1, 0) if index == 0 else 0)
        found.append(ExpiryBucket(month=month, kind="month", points=points,
                                  value_minor=points * point_value_minor))
    for kind, points in (("later", counts.get(len(months) - 1, 0)), ("never", never)):
        found.append(ExpiryBucket(month=None, kind=kind, points=points,
                                  value_minor=points * point_value_minor))
    return found


def _months(conn: Connection, tenant_id: int, period: Period, zone: ZoneInfo,
            point_value_minor: int) -> list[LiabilityMonth]:
    starts = month_starts(period.first_day, period.last_day)
    instants = [local_start(day, zone) for day in starts]
    balances = queries.balances_at(conn, tenant_id, instants)
    found = []
    for index, month in enumerate(starts[:-1]):
        moved = figure_queries.points_totals(conn, Scope(
            tenant_id=tenant_id, start=instants[index], end=instants[index + 1]))
        points = PointsMonth(month=month, opening_points=balances[index],
                             issued_points=moved.issued, redeemed_points=moved.redeemed,
                             expired_points=moved.expired, closing_points=balances[index + 1])
        found.append(LiabilityMonth(points=points, money=rules.value(points, point_value_minor)))
    return found


def liability(rt: Runtime, tenant_id: int, request: Request) -> Liability:
    """The liability now, and its months over ``request``'s period (months it touches).
    Raises :class:`InvalidInput` for a bad range."""
    tenant = get_tenant(rt, tenant_id)
    period, zone = period_for(rt, tenant_id, request)
    now = rt.now()
    this_month = now.astimezone(zone).date().replace(day=1)
    expiry_months = month_starts(this_month, this_month + timedelta(days=31 * (EXPIRY_MONTHS - 1)))
    with rt.db.read() as conn:
        _, program = programs.load_current(conn, tenant_id)
        counts, never = queries.outstanding_by_expiry(
            conn, tenant_id, [local_start(day, zone) for day in expiry_months])
        matured = queries.matured(conn, tenant_id, now)
        outstanding = queries.outstanding_now(conn, tenant_id)
        months = _months(conn, tenant_id, period, zone, program.point_value_minor)
    value = program.point_value_minor
    breakage = rules.breakage_bp(matured_points=matured.issued, unspent_points=matured.unspent)
    enough = rules.enough_history(matured_points=matured.issued,
                                  matured_members=matured.members)
    return Liability(
        currency=tenant.currency, point_value_minor=value, outstanding_points=outstanding,
        outstanding_minor=outstanding * value, matured_points=matured.issued,
        matured_unspent_points=matured.unspent, matured_members=matured.members,
        breakage_bp=breakage, enough_history=enough,
        expected_cost_minor=rules.expected_cost(outstanding * value,
                                                breakage if enough else None),
        by_expiry=_by_expiry(counts, never, expiry_months, value),
        first_day=period.first_day, last_day=period.last_day,
        months=months)


def journal(rt: Runtime, tenant_id: int, request: Request) -> list[JournalLine]:
    """The liability's journal over ``request``'s months."""
    found = liability(rt, tenant_id, request)
    return rules.journal([m.money for m in found.months])
