"""Qualifying spend, the figure levels are reached on: what a receipt counts, its local
day, the running totals per member and day in ``spend_days`` (with a lifetime row), and the
sums over the level windows that every quote and commit read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import Connection, Date, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.checkout.tables import receipts
from regulars.db.engine import at_commit
from regulars.db.program.tables import spend_days
from regulars.domain.program.program import window_starts


def qualifying(receipt: dict[str, Any]) -> int:
    """What a receipt (its row, or the values it is inserted with) counts towards levels:
    paid less refunded, nothing once voided."""
    if receipt["status"] == "voided":
        return 0
    return int(receipt["paid_minor"]) - int(receipt.get("refunded_paid_minor") or 0)


def local_day(at: datetime, zone: tzinfo) -> date:
    """The tenant's local day a receipt made at ``at`` counts in."""
    return at.astimezone(zone).date()


LIFETIME_DAY = date(9999, 12, 31)
"""The ``spend_days`` row of this day holds the member's lifetime total (every day's rows)."""


def add_spend(conn: Connection, *, tenant_id: int, member_id: int, day: date, net_minor: int,
              at: datetime) -> None:
    """Count ``net_minor`` more (or less, when negative) in a member's day and lifetime total,
    for a receipt made at ``at`` on that day. One upsert that adds to the rows: concurrent
    writers to the same member queue on them and none of their amounts is lost."""
    values = [{"tenant_id": tenant_id, "member_id": member_id, "day": row_day,
               "net_minor": net_minor, "last_at": at} for row_day in (day, LIFETIME_DAY)]
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(spend_days).values(values)
        conn.execute(pg.on_conflict_do_update(
            index_elements=[spend_days.c.tenant_id, spend_days.c.member_id, spend_days.c.day],
            set_={"net_minor": spend_days.c.net_minor + pg.excluded.net_minor,
                  "last_at": func.greatest(spend_days.c.last_at, pg.excluded.last_at)}))
        return
    lite = sqlite.insert(spend_days).values(values)
    conn.execute(lite.on_conflict_do_update(
        index_elements=[spend_days.c.tenant_id, spend_days.c.member_id, spend_days.c.day],
        set_={"net_minor": spend_days.c.net_minor + lite.excluded.net_minor,
              "last_at": func.max(spend_days.c.last_at, lite.excluded.last_at)}))


def daily_spend(conn: Connection, tenant_id: int, member_id: int) -> dict[date, int]:
    """A member's qualifying spend per local day (every ``spend_days`` row but the lifetime
    one)."""
    rows = conn.execute(select(spend_days.c.day, spend_days.c.net_minor).where(
        spend_days.c.tenant_id == tenant_id, spend_days.c.member_id == member_id,
        spend_days.c.day != LIFETIME_DAY))
    return {day: int(net) for day, net in rows}


def add_spend_many(conn: Connection, values: list[dict[str, Any]]) -> None:
    """Add each row's ``net_minor`` to the ``spend_days`` row of its (tenant, member, day),
    creating it if missing, and keep the later ``last_at``: :func:`add_spend` for many rows
    at once (an import's batch gives each key once, with its lifetime rows)."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(spend_days)
        conn.execute(pg.on_conflict_do_update(
            index_elements=[spend_days.c.tenant_id, spend_days.c.member_id, spend_days.c.day],
            set_={"net_minor": spend_days.c.net_minor + pg.excluded.net_minor,
                  "last_at": func.greatest(spend_days.c.last_at, pg.excluded.last_at)}),
            values)
        return
    lite = sqlite.insert(spend_days)
    conn.execute(lite.on_conflict_do_update(
        index_elements=[spend_days.c.tenant_id, spend_days.c.member_id, spend_days.c.day],
        set_={"net_minor": spend_days.c.net_minor + lite.excluded.net_minor,
              "last_at": func.max(spend_days.c.last_at, lite.excluded.last_at)}), values)


@dataclass
class PendingSpend:
    """Spend a unit of work adds in bulk (an import), written as its last statements but the
    daily aggregates' (:func:`regulars.db.engine.at_commit` key ``member_spend``, which sorts
    before ``sales_days``): so a till's commit for the same member, which adds its spend at
    once and the aggregates at its end, takes the rows in the same order and never waits for
    the whole import."""

    rows: dict[tuple[int, int, date], tuple[int, datetime]] = field(default_factory=dict)
    """(tenant, member, day or :data:`LIFETIME_DAY`) → (net spend added, latest receipt)."""

    def add(self, *, tenant_id: int, member_id: int, day: date, net_minor: int,
            at: datetime) -> None:
        for key in ((tenant_id, member_id, day), (tenant_id, member_id, LIFETIME_DAY)):
            net, last = self.rows.get(key, (0, at))
            self.rows[key] = (net + net_minor, max(last, at))

    def flush(self, conn: Connection) -> None:
        """One upsert for every row, in key order (members in id order)."""
        add_spend_many(conn, [{"tenant_id": t, "member_id": m, "day": d, "net_minor": net,
                               "last_at": last}
                              for (t, m, d), (net, last) in sorted(self.rows.items())])


def pending_spend(conn: Connection) -> PendingSpend:
    """The spend ``conn``'s unit of work adds at its end."""
    return at_commit(conn, "member_spend", PendingSpend)


def spend_windows_params(until: datetime, zone: tzinfo) -> dict[str, Any]:
    """The bind parameters of :func:`spend_sums_query` for spend up to ``until`` inclusive,
    windows starting at local midnight in ``zone``: the one definition of the level windows
    (rolling 12 months, this calendar year, last calendar year)."""
    today = local_day(until, zone)
    rolling, this_year, last_year = window_starts(today)
    return {"until": until, "until_day": today,
            "until_day_start": datetime.combine(today, time(), zone),
            "rolling_day": rolling, "year_day": this_year, "last_year_day": last_year}


def spend_sums(conn: Connection, tenant_id: int, member_id: int, *, until: datetime,
               zone: tzinfo) -> tuple[int, int, int, int]:
    """Qualifying spend (paid less refunded, voided receipts excluded) up to and including
    ``until``: lifetime, rolling 12 months, this calendar year, last calendar year, with the
    windows starting at local midnight in the tenant's ``zone``.

    Inclusive, so that the receipt a commit has just written counts for the level it reaches
    (a quote prices before its own receipt exists, so it never counts itself)."""
    row = conn.execute(_SPEND_SUMS, {"tenant_id": tenant_id, "member_id": member_id,
                                     **spend_windows_params(until, zone)}).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def spend_sums_query(member_id: Any, *, by_member: bool = False) -> Any:
    """Qualifying spend of ``member_id`` (a bind parameter or a scalar subquery) as
    :func:`spend_sums` reads it: columns ``lifetime``, ``rolling``, ``this_year`` and
    ``last_year`` (and ``member_id``, grouped by it, when ``by_member``), with the bind
    parameters ``tenant_id`` and those of :func:`spend_windows_params`.
    :mod:`regulars.db.checkout.pricing` embeds it too.

    It reads the member's ``spend_days`` rows from the start of last calendar year on (one per
    local day with purchases, at most 731 before the day of ``until``) and the lifetime row.
    Days before the day of ``until`` count whole, and so does that day when its latest receipt
    is not after ``until``; otherwise (a till sending a receipt made earlier that day than
    others) that one day's receipts up to ``until`` are summed instead. The lifetime is the
    lifetime row less the days after ``until``. The windows start at local midnight, which is
    where the rows' days start, so the sums are exactly those of the receipts themselves.
    """
    days = spend_days.c
    at = receipts.c.occurred_at

    def moment(name: str) -> Any:
        return bindparam(name, type_=at.type)

    def day(name: str) -> Any:
        return bindparam(name, type_=Date())

    until_day = day("until_day")
    until_day_receipts = (
        select(func.coalesce(func.sum(receipts.c.paid_minor - receipts.c.refunded_paid_minor),
                             0))
        .where(receipts.c.tenant_id == bindparam("tenant_id"),
               receipts.c.member_id == days.member_id, receipts.c.status != "voided",
               at >= moment("until_day_start"), at <= moment("until"))
        .scalar_subquery())
    # What each row counts up to ``until`` (nothing after its day; the lifetime row is dated
    # after every day). Computed once per row, so the statement stays short.
    rows = select(days.member_id, days.day, days.net_minor, case(
        (days.day > until_day, 0),
        ((days.day < until_day) | (days.last_at <= moment("until")), days.net_minor),
        else_=until_day_receipts).label("part"),
    ).where(days.tenant_id == bindparam("tenant_id"), days.member_id == member_id,
            days.day >= day("last_year_day")).subquery("spend_rows")
    row = rows.c
    lifetime = case((row.day == bindparam("lifetime_day", LIFETIME_DAY, type_=Date()),
                     row.net_minor),
                    (row.day >= until_day, row.part - row.net_minor), else_=0)

    def window(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, row.part), else_=0)), 0)

    query = select(
        func.coalesce(func.sum(lifetime), 0).label("lifetime"),
        window(row.day >= day("rolling_day")).label("rolling"),
        window(row.day >= day("year_day")).label("this_year"),
        window(row.day < day("year_day")).label("last_year"),
    )
    if by_member:
        query = query.add_columns(row.member_id).group_by(row.member_id)
    return query


# Built once: it runs on every quote and commit.
_SPEND_SUMS = spend_sums_query(bindparam("member_id"))
