"""The simulator's rows and reads: saved scenarios and their runs; the past receipts of a
period with their lines, in batches (the replay never holds more than one); the members'
qualifying spend before the period; and the point sums the redemption model is fitted on.
Every query is scoped by ``tenant_id``; nothing here writes outside the two scenario tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)

from regulars.db.analytics.tables import scenario_runs, scenarios
from regulars.db.checkout.purchases import purchased
from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.program.tables import spend_days

RUN_COLUMNS = (scenario_runs.c.id, scenario_runs.c.scenario_id, scenario_runs.c.status,
               scenario_runs.c.receipts_total, scenario_runs.c.receipts_done,
               scenario_runs.c.detail, scenario_runs.c.created_at,
               scenario_runs.c.finished_at, scenario_runs.c.heartbeat_at)


# Scenarios -----------------------------------------------------------------------------------

def insert_scenario(conn: Connection, tenant_id: int, values: dict[str, Any], *,
                    now: datetime) -> int:
    found = conn.execute(insert(scenarios).values(tenant_id=tenant_id, created_at=now,
                                                  updated_at=now, **values)
                         .returning(scenarios.c.id)).scalar_one()
    return int(found)


def update_scenario(conn: Connection, tenant_id: int, scenario_id: int,
                    values: dict[str, Any], *, now: datetime) -> bool:
    done = conn.execute(update(scenarios).where(scenarios.c.tenant_id == tenant_id,
                                                scenarios.c.id == scenario_id)
                        .values(updated_at=now, **values))
    return done.rowcount == 1


def delete_scenario(conn: Connection, tenant_id: int, scenario_id: int) -> bool:
    conn.execute(delete(scenario_runs).where(scenario_runs.c.tenant_id == tenant_id,
                                             scenario_runs.c.scenario_id == scenario_id))
    done = conn.execute(delete(scenarios).where(scenarios.c.tenant_id == tenant_id,
                                                scenarios.c.id == scenario_id))
    return done.rowcount == 1


def get_scenario(conn: Connection, tenant_id: int, scenario_id: int, *,
                 for_update: bool = False) -> dict[str, Any] | None:
    """The scenario's row (``for_update``: locked until the transaction ends, for a change
    made from what it holds)."""
    query = select(scenarios).where(scenarios.c.tenant_id == tenant_id,
                                    scenarios.c.id == scenario_id)
    row = conn.execute(query.with_for_update() if for_update else query).one_or_none()
    return None if row is None else dict(row._mapping)


def list_scenarios(conn: Connection, tenant_id: int, *, limit: int = 200
                   ) -> list[dict[str, Any]]:
    rows = conn.execute(select(scenarios).where(scenarios.c.tenant_id == tenant_id)
                        .order_by(scenarios.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


# Runs ----------------------------------------------------------------------------------------

def insert_run(conn: Connection, tenant_id: int, scenario_id: int, *, total: int,
               now: datetime) -> int:
    found = conn.execute(insert(scenario_runs).values(
        tenant_id=tenant_id, scenario_id=scenario_id, status="running", receipts_total=total,
        receipts_done=0, created_at=now, heartbeat_at=now)
        .returning(scenario_runs.c.id)).scalar_one()
    return int(found)


def set_progress(conn: Connection, tenant_id: int, run_id: int, done: int, *,
                 now: datetime) -> None:
    """The run's progress and heartbeat (while it is running)."""
    conn.execute(update(scenario_runs).where(scenario_runs.c.tenant_id == tenant_id,
                                             scenario_runs.c.id == run_id,
                                             scenario_runs.c.status == "running")
                 .values(receipts_done=done, heartbeat_at=now))


def finish_run(conn: Connection, tenant_id: int, run_id: int, *, status: str,
               result: dict[str, Any] | None, detail: str | None, done: int,
               now: datetime) -> None:
    conn.execute(update(scenario_runs).where(scenario_runs.c.tenant_id == tenant_id,
                                             scenario_runs.c.id == run_id)
                 .values(status=status, result=result, detail=detail, receipts_done=done,
                         finished_at=now))


def get_run(conn: Connection, tenant_id: int, run_id: int, *, with_result: bool = True
            ) -> dict[str, Any] | None:
    columns = (*RUN_COLUMNS, scenario_runs.c.result) if with_result else RUN_COLUMNS
    row = conn.execute(select(*columns).where(scenario_runs.c.tenant_id == tenant_id,
                                              scenario_runs.c.id == run_id)).one_or_none()
    return None if row is None else dict(row._mapping)


def latest_runs(conn: Connection, tenant_id: int) -> dict[int, dict[str, Any]]:
    """The latest run of each scenario (without its figures), by scenario id."""
    latest = (select(func.max(scenario_runs.c.id))
              .where(scenario_runs.c.tenant_id == tenant_id)
              .group_by(scenario_runs.c.scenario_id).scalar_subquery())
    rows = conn.execute(select(*RUN_COLUMNS).where(scenario_runs.c.tenant_id == tenant_id,
                                                   scenario_runs.c.id.in_(latest))).all()
    return {int(r.scenario_id): dict(r._mapping) for r in rows}


def latest_done(conn: Connection, tenant_id: int, scenario_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(*RUN_COLUMNS, scenario_runs.c.result)
                       .where(scenario_runs.c.tenant_id == tenant_id,
                              scenario_runs.c.scenario_id == scenario_id,
                              scenario_runs.c.status == "done")
                       .order_by(scenario_runs.c.id.desc()).limit(1)).one_or_none()
    return None if row is None else dict(row._mapping)


# Past receipts -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Slice:
    """Which receipts a replay reads: the purchases
    (:func:`~regulars.db.checkout.purchases.purchased`: a receipt that only sold gift cards or
    prepaid goods earns nothing and is none) made in ``[start, end)``; with
    ``members_modulo`` (m, r), only those of members whose id is r modulo m."""

    start: datetime
    end: datetime
    members_modulo: tuple[int, int] | None = None
    anonymous: bool = False
    """With ``members_modulo``: the receipts without a member too."""


def _where(tenant_id: int, part: Slice) -> list[Any]:
    where = [receipts.c.tenant_id == tenant_id, purchased(),
             receipts.c.occurred_at >= part.start, receipts.c.occurred_at < part.end]
    if part.members_modulo is not None:
        modulus, remainder = part.members_modulo
        ours = receipts.c.member_id % modulus == remainder
        where.append(or_(receipts.c.member_id.is_(None), ours) if part.anonymous
                     else and_(receipts.c.member_id.is_not(None), ours))
    return where


def _left_milli() -> Any:
    """A line's quantity still sold: bought less refunded."""
    return receipt_lines.c.quantity_milli - receipt_lines.c.refunded_quantity_milli


def count_receipts(conn: Connection, tenant_id: int, part: Slice) -> int:
    """The receipts :func:`receipt_rows` gives lines of: ``part``'s, with a line still sold
    (a receipt refunded in full has nothing left to replay)."""
    sold = (select(receipt_lines.c.receipt_id)
            .where(receipt_lines.c.tenant_id == receipts.c.tenant_id,
                   receipt_lines.c.receipt_id == receipts.c.id, _left_milli() > 0)
            .exists())
    return int(conn.execute(select(func.count()).select_from(receipts)
                            .where(*_where(tenant_id, part), sold)).scalar_one())


ReceiptRow = tuple[int, int | None, int, Any, int, str, str, int, int]
"""(receipt id, member id, store id, occurred_at as the driver gives it, what was paid
less refunds, sku, category, quantity less refunds, unit price): one line of a receipt."""


def receipt_rows(conn: Connection, tenant_id: int, part: Slice, *, size: int
                 ) -> Iterator[Sequence[ReceiptRow]]:
    """The lines of ``part``'s receipts still sold (quantity less refunds above zero), in
    time order (receipt by receipt, line by line), ``size`` rows at a time as the DBAPI
    driver gives them: plain tuples, ``occurred_at`` untouched (a string on SQLite, an
    aware datetime on PostgreSQL). One statement, read through a server-side cursor where the
    database has them."""
    quantity = _left_milli()
    query = (select(receipts.c.id, receipts.c.member_id, receipts.c.store_id,
                    # As the driver gives it: no conversion per row.
                    type_coerce(receipts.c.occurred_at, String),
                    receipts.c.paid_minor - receipts.c.refunded_paid_minor,
                    receipt_lines.c.sku, receipt_lines.c.category, quantity,
                    receipt_lines.c.unit_price_minor)
             .join(receipt_lines, and_(receipt_lines.c.tenant_id == receipts.c.tenant_id,
                                       receipt_lines.c.receipt_id == receipts.c.id))
             .where(*_where(tenant_id, part), quantity > 0)
             .order_by(receipts.c.occurred_at, receipts.c.id, receipt_lines.c.line_no))
    result = conn.execution_options(stream_results=True).execute(query)
    with result:
        # The first row through the result (whatever it buffered on opening), the rest
        # straight from the DBAPI cursor: plain tuples, no row objects.
        first = result.fetchone()
        if first is None:
            return
        cursor = result.cursor
        page: Sequence[Any] = [tuple(first), *cursor.fetchmany(size - 1)]
        while page:
            yield page
            page = cursor.fetchmany(size)


def spend_before(conn: Connection, tenant_id: int, since: date,
                 members_modulo: tuple[int, int] | None = None) -> Iterator[Any]:
    """Members' ``spend_days`` rows from ``since`` on, the lifetime rows included (their
    ``day`` is :data:`regulars.db.program.spend_totals.LIFETIME_DAY`), by member; with
    ``members_modulo`` (m, r), only those of members whose id is r modulo m."""
    where = [spend_days.c.tenant_id == tenant_id, spend_days.c.day >= since]
    if members_modulo is not None:
        where.append(spend_days.c.member_id % members_modulo[0] == members_modulo[1])
    yield from conn.execute(select(spend_days.c.member_id, spend_days.c.day,
                                   spend_days.c.net_minor)
                            .where(*where).order_by(spend_days.c.member_id))


@dataclass(frozen=True, kw_only=True)
class PointSums:
    """Points earned and spent on the receipts the figures count as purchases
    (:func:`~regulars.db.checkout.purchases.purchased`: a voided or wholly refunded receipt,
    whose points were reversed and given back, is none), all history and, for spent, since an
    instant; when the first of those receipts was made."""

    issued: int
    redeemed: int
    redeemed_since: int
    first_at: datetime | None


def point_sums(conn: Connection, tenant_id: int, *, since: datetime) -> PointSums:
    row = conn.execute(select(
        func.coalesce(func.sum(receipts.c.points_earned), 0),
        func.coalesce(func.sum(receipts.c.points_spent), 0),
        func.coalesce(func.sum(receipts.c.points_spent).filter(receipts.c.occurred_at >= since),
                      0),
        func.min(receipts.c.occurred_at))
        .where(receipts.c.tenant_id == tenant_id, purchased())).one()
    return PointSums(issued=int(row[0]), redeemed=int(row[1]), redeemed_since=int(row[2]),
                     first_at=row[3])
