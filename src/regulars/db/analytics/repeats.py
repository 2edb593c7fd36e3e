"""``repeat_gaps``: per tenant, how many members whose first net purchase fell on a local day
made their next one within so many whole days (see the table's text). The repeat rate's
numerator, the first-time buyers of a span of days who bought again within ``n`` days of
their first purchase (to the microsecond), is a sum over the rows of those days: at most
:data:`MAX_DAYS` a day, however many members (its denominator, the first-time buyers, is a
sum over ``purchase_gaps``: :func:`regulars.db.analytics.gaps.first_buyers`).

A member's row follows from their first and second net receipt (:func:`key`), kept with
``member_purchases`` in the same statements: a second purchase later than all the member
had adds its row in the unit of work's last statement (:mod:`regulars.db.analytics.days`);
any other change is recomputed from the receipts with the member's row of
``member_purchases`` locked (:func:`regulars.db.analytics.buyers.refresh`), by the
difference between their receipts now and before the unit of work, as ``purchase_gaps``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import Connection

from regulars.db.analytics.counted import Counted
from regulars.db.analytics.tables import repeat_gaps

MAX_DAYS = 730
"""The longest gap kept: no figure's window is longer (a later second purchase repeats
within no window, as none does)."""

Key = tuple[date, int]
COUNTED = Counted(repeat_gaps, ("day", "within_days"), "repeat_gap")
add, problems, rebuild = COUNTED.add, COUNTED.problems, COUNTED.rebuild


def within_days(first: datetime, second: datetime) -> int:
    """Whole days of 86,400 s from ``first`` to ``second`` (later), rounded up: ``second``
    is at most ``n`` days after ``first`` exactly when this is at most ``n``."""
    gap = second - first
    return gap.days + (1 if gap % timedelta(days=1) else 0)


WITHIN_DAYS_SQL = ("CAST(EXTRACT(EPOCH FROM {second} - {first}) * 1000000 + 86399999999"
                   " AS bigint) / 86400000000")
"""SQL: :func:`within_days`, in whole microseconds."""


def key(times: Iterable[datetime], zone: tzinfo) -> Key | None:
    """The row of one member's net receipts at ``times``: (local day of the first, days to
    the next one strictly later), or None (no later one, or too late to count)."""
    ordered = sorted(set(times))
    if len(ordered) < 2:
        return None
    gap = within_days(ordered[0], ordered[1])
    return (ordered[0].astimezone(zone).date(), gap) if gap <= MAX_DAYS else None


def moved(now: Iterable[datetime], before: Iterable[datetime], zone: tzinfo) -> Counter[Key]:
    """How a member's row moves when their net receipts go from ``before`` to ``now``."""
    found: Counter[Key] = Counter()
    after, was = key(now, zone), key(before, zone)
    if after != was:
        if after is not None:
            found[after] += 1
        if was is not None:
            found[was] -= 1
    return found


def within(conn: Connection, tenant_id: int, first_day: date, end_day: date, *, days: int) -> int:
    """Members whose first net receipt is on the local days ``[first_day, end_day)`` and
    whose next one came at most ``days`` (up to :data:`MAX_DAYS`) after it."""
    c = repeat_gaps.c
    return COUNTED.total(
        conn, tenant_id, c.day >= first_day, c.day < end_day, c.within_days <= days
    )


def expected(times: Mapping[int, Iterable[datetime]], zone: tzinfo) -> Counter[Key]:
    """The rows the members' net receipts at ``times`` make."""
    found: Counter[Key] = Counter()
    for member_times in times.values():
        row = key(member_times, zone)
        if row is not None:
            found[row] += 1
    return found
