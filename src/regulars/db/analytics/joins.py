"""``join_days``: per tenant, how many members joined on a local day at a store (see the
table's text). The new members of a span of local days, the whole business's or one store's,
are a sum over the rows of those days, however many members joined in them.

A member counts from the unit of work that creates them (a sign-up at a till or in the
console, an import) until the one that merges them into another (the duplicate leaves the
figure); an erased member stays an active shell, counted as before. Members never change the
instant or the store they joined at. The changes are written with the other aggregates, at
the end of the unit of work (:mod:`regulars.db.analytics.days`); a new time zone rebuilds
the rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, tzinfo

from sqlalchemy import Connection, select

from regulars.db.analytics.counted import Counted
from regulars.db.analytics.tables import join_days
from regulars.db.members.tables import members

Key = tuple[date, int]
"""(local day, store; 0: none) of a ``join_days`` row."""
COUNTED = Counted(join_days, ("day", "store_id"), "join_day")
add, problems, rebuild = COUNTED.add, COUNTED.problems, COUNTED.rebuild


def new(
    conn: Connection, tenant_id: int, first_day: date, end_day: date, *, store_id: int | None = None
) -> int:
    """Members who joined on the local days ``[first_day, end_day)`` (at ``store_id``, if
    given), merged duplicates left out."""
    c = join_days.c
    conditions = [c.day >= first_day, c.day < end_day]
    if store_id is not None:
        conditions.append(c.store_id == store_id)
    return COUNTED.total(conn, tenant_id, *conditions)


def expected(conn: Connection, tenant_id: int, zone: tzinfo) -> Counter[Key]:
    """The rows the tenant's members make in ``zone``."""
    found: Counter[Key] = Counter()
    for at, store_id in conn.execute(
        select(members.c.created_at, members.c.store_id).where(
            members.c.tenant_id == tenant_id, members.c.status == "active"
        )
    ):
        found[(at.astimezone(zone).date(), int(store_id or 0))] += 1
    return found
