"""``purchase_gaps``: per tenant, how many members bought on a local day with their previous
purchase on another (see the table's text). The members active in a span of local days, the
first-time buyers of a span and the buyers before a day are sums over these rows, exact, and
their number grows with the days of the history, not with the members (written, checked and
rebuilt through :class:`regulars.db.analytics.counted.Counted`).

Every member's rows follow from the local days of their net receipts (:func:`pairs`). A unit of
work that changes a member's purchases adds the difference between the pairs of their days
after and before it: a purchase later than all they had adds one pair in the unit of work's
last statement (:mod:`regulars.db.analytics.days`); any other change (a purchase older than
their last, a receipt that went back, a merge, an import) is recomputed from the receipts
with the member's row of ``member_purchases`` locked (:func:`regulars.db.analytics.buyers.
refresh`), the receipts before it being the ones there now less those the unit of work
added, plus those it took away. Writes are upserts by increments, in key order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo

from sqlalchemy import Connection

from regulars.db.analytics.counted import Counted
from regulars.db.analytics.tables import purchase_gaps

NEVER_DAY = date(1970, 1, 1)
"""``previous_day`` of a member's first purchase."""

Pair = tuple[date, date]


def pairs(times: Iterable[datetime], zone: tzinfo) -> Counter[Pair]:
    """The (day, previous day) pairs of one member's net receipts at ``times``."""
    found: Counter[Pair] = Counter()
    previous = NEVER_DAY
    for day in sorted({at.astimezone(zone).date() for at in times}):
        found[(day, previous)] += 1
        previous = day
    return found


COUNTED = Counted(purchase_gaps, ("day", "previous_day"), "purchase_gap")
add, problems, rebuild = COUNTED.add, COUNTED.problems, COUNTED.rebuild


# Reads ---------------------------------------------------------------------------------------

def active(conn: Connection, tenant_id: int, first_day: date, end_day: date) -> int:
    """Members with a net receipt on the local days ``[first_day, end_day)``: each one's first
    day there is the row whose previous day is before ``first_day``."""
    c = purchase_gaps.c
    return COUNTED.total(conn, tenant_id, c.day >= first_day, c.day < end_day,
                         c.previous_day < first_day)


def buyers_before(conn: Connection, tenant_id: int, end_day: date) -> int:
    """Members whose first net receipt is on a local day before ``end_day``."""
    c = purchase_gaps.c
    return COUNTED.total(conn, tenant_id, c.previous_day == NEVER_DAY, c.day < end_day)


def first_buyers(conn: Connection, tenant_id: int, first_day: date, end_day: date) -> int:
    """Members whose first net receipt ever is on the local days ``[first_day, end_day)``."""
    c = purchase_gaps.c
    return COUNTED.total(conn, tenant_id, c.previous_day == NEVER_DAY, c.day >= first_day,
                         c.day < end_day)


# Checks and rebuilds -------------------------------------------------------------------------

def expected(times: Mapping[int, Iterable[datetime]], zone: tzinfo) -> Counter[Pair]:
    """The rows the members' net receipts at ``times`` make."""
    found: Counter[Pair] = Counter()
    for member_times in times.values():
        found.update(pairs(member_times, zone))
    return found
