"""Ledger upkeep: expiring due lots, reconciliation, receipt listings for the console."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.analytics import days as day_totals
from regulars.db.checkout import receipts
from regulars.db.ledger import ops as ledger_ops
from regulars.db.rewards import costs as reward_costs
from regulars.db.tenancy import tenancy
from regulars.errors import InvalidInput, NotFound, Unavailable
from regulars.services.checkout.checkout import receipt_view
from regulars.services.checkout.results import ReceiptView
from regulars.services.messaging import events
from regulars.services.runtime import Runtime

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExpiryReport:
    lots: int
    points: int
    entries: int


def count_due(rt: Runtime) -> int:
    with rt.db.read() as conn:
        return ledger_ops.count_due_lots(conn, rt.now())


def expire(rt: Runtime, *, batch_size: int = 2000, workers: int = 1,
           progress: Progress | None = None) -> ExpiryReport:
    """Expire every lot due at the clock's ``now``: one ``expire`` entry per member account
    and run, for all of its due lots together; the lots set to zero, the balance reduced in
    the same transaction.

    The accounts holding due lots are split up front into batches of ``batch_size``
    neighbouring accounts (one read, no locks), one transaction each. With ``workers`` > 1
    (PostgreSQL; SQLite runs one) that many connections take the next batch as they come
    free, so batches are disjoint and each locks its accounts in id order. A batch that fails
    rolls back whole and the run stops with its error; what earlier batches committed stays,
    and the next run picks up the rest (nothing is written twice: a committed batch left none
    of its lots due, and entry keys are unique per lot and state). Running it again at the
    same moment finds nothing due and writes nothing. Lots that fall due behind a batch while
    the run goes on (a refund refilling an account already passed) wait for the next run.
    """
    now = rt.now()
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)
                      if ledger_ops.any_due(conn, t.id, now)]
    totals = _Totals(progress)
    for tenant_id in tenant_ids:
        with rt.db.read() as conn:
            bounds = ledger_ops.expiry_batches(conn, tenant_id, now, batch_size)
        batches = _Batches(bounds)
        if workers <= 1 or rt.db.dialect != "postgresql":
            _work(rt, tenant_id, now, batches, totals)
            continue
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in [pool.submit(_work, rt, tenant_id, now, batches, totals)
                         for _ in range(workers)]:
                done.result()
    return ExpiryReport(lots=totals.lots, points=totals.points, entries=totals.entries)


class _Batches:
    """Account-id ranges (after, up to) handed out once each, in id order, to one worker or
    several."""

    def __init__(self, bounds: list[int]) -> None:
        ends = [*bounds, ledger_ops.LAST_ACCOUNT]
        self._ranges = list(zip([0, *bounds], ends, strict=True))[::-1]
        self._lock = Lock()

    def stop(self) -> None:
        """Hand out no more batches (a worker failed: the others finish the batch they hold)."""
        with self._lock:
            self._ranges.clear()

    def next(self) -> tuple[int, int] | None:
        with self._lock:
            return self._ranges.pop() if self._ranges else None


class _Totals:
    def __init__(self, progress: Progress | None) -> None:
        self.lots = self.points = self.entries = 0
        self._progress = progress
        self._lock = Lock()

    def add(self, lots: int, points: int, entries: int) -> None:
        with self._lock:
            self.lots += lots
            self.points += points
            self.entries += entries
            if self._progress:
                self._progress(lots)


# A batch the database gave up on for a transient reason (chosen as a deadlock victim by a
# writer that locks accounts out of order, a lost connection) wrote nothing: it runs again.
_BATCH_ATTEMPTS = 3


def _expired_events(conn: Connection, tenant_id: int, before: int, now: datetime) -> None:
    """A ``points.expired`` event per member the batch took points from (one insert, in the
    batch's transaction, keyed by the entry)."""
    events.emit(conn, tenant_id, [
        events.Pending(key=f"entry:{entry_id}:expired", type="points.expired",
                       data={"member_id": member_id, "points": points})
        for entry_id, member_id, points in ledger_ops.expired_since(
            conn, tenant_id, after_entry_id=before, now=now)], now)


def _work(rt: Runtime, tenant_id: int, now: datetime, batches: _Batches,
          totals: _Totals) -> None:
    """Expire batches until none is left, one transaction each."""
    try:
        while batch := batches.next():
            for attempt in range(1, _BATCH_ATTEMPTS + 1):
                try:
                    with rt.db.write() as conn:
                        after, upto = batch
                        before = ledger_ops.last_entry_id(conn, tenant_id)
                        done = ledger_ops.expire(conn, tenant_id, after=after, upto=upto,
                                                 now=now)
                        _expired_events(conn, tenant_id, before, now)
                    break
                except Unavailable:
                    if attempt == _BATCH_ATTEMPTS:
                        raise
            totals.add(*done)
    except BaseException:
        batches.stop()
        raise


def check(rt: Runtime, tenant_id: int | None = None) -> list[dict[str, Any]]:
    """Every disagreement between cached balances, postings and open lots, between the
    qualifying spend per member and day and the receipts it sums, and between the daily
    aggregates of the figures and the receipts and entries they sum (empty: none)."""
    with rt.db.read() as conn:
        problems = ledger_ops.reconcile(conn, tenant_id)
        for tenant in tenancy.list_tenants(conn):
            if tenant_id is None or tenant.id == tenant_id:
                zone = ZoneInfo(tenant.timezone)
                problems += receipts.spend_day_problems(conn, tenant.id, zone)
                problems += day_totals.problems(
                    conn, tenant.id, zone, reward_costs.rewards_by_receipt(conn, tenant.id))
        return problems


@dataclass(frozen=True, kw_only=True, slots=True)
class LedgerCheck:
    """What :func:`check` found for a tenant: ``ok`` when nothing disagrees; each problem
    names its ``kind`` and what disagrees (see :func:`regulars.db.ledger.ops.reconcile`)."""

    ok: bool
    problems: tuple[Mapping[str, int | str | None], ...]


def check_tenant(rt: Runtime, tenant_id: int) -> LedgerCheck:
    """:func:`check` for one tenant, as a report."""
    problems = check(rt, tenant_id)
    return LedgerCheck(ok=not problems, problems=tuple(problems))


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptSummary:
    """A receipt in a listing (its lines and refunds: :func:`receipt`); ``receipt_no`` is the
    till's number."""

    id: int
    receipt_no: str
    terminal_id: int
    store_id: int
    member_id: int | None
    status: str
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_spent: int
    points_earned: int
    refunded_paid_minor: int
    occurred_at: datetime


def receipts_list(rt: Runtime, tenant_id: int, *, member_id: int | None, limit: int,
                  before_id: int | None) -> list[ReceiptSummary]:
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must lie between 1 and 500", field="limit")
    with rt.db.read() as conn:
        rows = receipts.list_receipts(conn, tenant_id, member_id=member_id, limit=limit,
                                      before_id=before_id)
    return [ReceiptSummary(**r) for r in rows]


def receipt_numbers(rt: Runtime, tenant_id: int, receipt_ids: Collection[int]
                    ) -> dict[int, str]:
    """The till's number of each receipt of ``receipt_ids``, by id: what a page shows for a
    receipt it links to (the id is the console's own)."""
    with rt.db.read() as conn:
        return receipts.numbers_of(conn, tenant_id, receipt_ids)


def receipt(rt: Runtime, tenant_id: int, receipt_id: int) -> ReceiptView:
    with rt.db.read() as conn:
        row = receipts.get_receipt(conn, tenant_id, receipt_id)
        if row is None:
            raise NotFound("receipt not found")
        return receipt_view(conn, tenant_id, row)
