"""Retention: monthly cohorts of members by the local month they joined within a period,
the share of each still buying in every later month of the period, and the curve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from regulars.db.analytics import figures as queries
from regulars.db.analytics.figures import Scope
from regulars.domain.analytics.cohorts import Cohort, retention
from regulars.services.analytics.figures import Request, local_start, period_for
from regulars.services.analytics.liability import month_starts
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class CohortRow:
    month: date
    members: int
    active: list[int]
    shares_bp: list[int | None]


@dataclass(frozen=True, kw_only=True)
class Cohorts:
    first_day: date
    last_day: date
    months: list[date]
    cohorts: list[CohortRow]
    curve_bp: list[int | None]
    """Share still buying by months since joining (0: the month they joined)."""


def _row(cohort: Cohort, months: list[date]) -> CohortRow:
    return CohortRow(month=months[cohort.month_index], members=cohort.members,
                     active=cohort.active, shares_bp=cohort.shares_bp)


def cohorts(rt: Runtime, tenant_id: int, request: Request) -> Cohorts:
    """The cohorts of the months ``request``'s period touches (members who joined from its
    first day), their purchases up to its last day. Raises :class:`InvalidInput` for a bad
    range."""
    period, zone = period_for(rt, tenant_id, request)
    starts = month_starts(period.first_day, period.last_day)
    # Month starts, except that the first and last months are cut to the period.
    instants = [local_start(day, zone) for day in
                [period.first_day, *starts[1:-1], period.last_day + timedelta(days=1)]]
    scope = Scope(tenant_id=tenant_id, start=instants[0], end=instants[-1])
    with rt.db.read() as conn:
        sizes, buyers = queries.cohort_counts(conn, scope, instants)
    months = starts[:-1]
    found = retention(sizes, buyers, len(months))
    return Cohorts(first_day=period.first_day, last_day=period.last_day, months=months,
                   cohorts=[_row(c, months) for c in found.cohorts], curve_bp=found.curve_bp)
