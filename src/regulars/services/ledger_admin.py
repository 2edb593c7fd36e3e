"""Ledger upkeep: expiring due lots, reconciliation, receipt listings for the console."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any
from zoneinfo import ZoneInfo

from regulars.db import expiry, ledger, receipts, tenancy
from regulars.domain.ledger import EntryCode, SystemAccount
from regulars.errors import InvalidInput, NotFound
from regulars.services.checkout import receipt_view
from regulars.services.runtime import Runtime

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExpiryReport:
    lots: int
    points: int
    entries: int


def count_due(rt: Runtime) -> int:
    with rt.db.read() as conn:
        return expiry.count_due_lots(conn, rt.now())


def expire(rt: Runtime, *, batch_size: int = 2000, workers: int = 1,
           progress: Progress | None = None) -> ExpiryReport:
    """Expire every lot due at the clock's ``now``: one ``expire`` entry per member account
    and run, for all of its due lots together; the lots set to zero, the balance reduced in
    the same transaction.

    The run walks the accounts holding due lots in id order, ``batch_size`` accounts to a
    transaction. With ``workers`` > 1 (PostgreSQL; SQLite runs one) that many connections
    take the next batch of the walk as they come free, so batches are disjoint and each locks
    its accounts in id order. A batch that fails rolls back whole and the run stops with its
    error; what earlier batches committed stays, and the next run picks up the rest (nothing
    is written twice: a committed batch left none of its lots due, and entry keys are unique
    per lot and state). Running it again at the same moment finds nothing due and writes
    nothing. Lots that fall due behind the walk while it runs (a refund refilling an account
    already passed) wait for the next run.
    """
    now = rt.now()
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)
                      if expiry.any_due(conn, t.id, now)]
    totals = _Totals(progress)
    for tenant_id in tenant_ids:
        walk = _Walk(rt, tenant_id, now, batch_size)
        if workers <= 1 or rt.db.dialect != "postgresql":
            _work(rt, tenant_id, now, walk, totals)
            continue
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in [pool.submit(_work, rt, tenant_id, now, walk, totals)
                         for _ in range(workers)]:
                done.result()
    return ExpiryReport(lots=totals.lots, points=totals.points, entries=totals.entries)


class _Walk:
    """The accounts of one tenant holding due lots, handed out a batch at a time in id order
    (to one worker or several: each call returns a batch no other call returns)."""

    def __init__(self, rt: Runtime, tenant_id: int, now: datetime, batch_size: int) -> None:
        self._rt, self._tenant_id, self._now, self._size = rt, tenant_id, now, batch_size
        self._after_id = 0
        self._stopped = False
        self._lock = Lock()

    def stop(self) -> None:
        """Hand out no more batches (a worker failed: the others finish the batch they hold)."""
        with self._lock:
            self._stopped = True

    def next_batch(self) -> list[int]:
        with self._lock:
            if self._stopped:
                return []
            with self._rt.db.read() as conn:
                ids = expiry.next_accounts(conn, self._tenant_id, self._now, self._size,
                                           after_id=self._after_id)
            if ids:
                self._after_id = ids[-1]
            return ids


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


def _work(rt: Runtime, tenant_id: int, now: datetime, walk: _Walk, totals: _Totals) -> None:
    """Expire batches from ``walk`` until it runs out, one transaction each."""
    try:
        while account_ids := walk.next_batch():
            with rt.db.write() as conn:
                expiry.lock_accounts(conn, account_ids)
                system = ledger.system_account_id(conn, tenant_id, SystemAccount.EXPIRED)
                done = expiry.expire_accounts(conn, tenant_id, system, account_ids, now=now,
                                              code=EntryCode.EXPIRE)
            totals.add(*done)
    except BaseException:
        walk.stop()
        raise


def check(rt: Runtime, tenant_id: int | None = None) -> list[dict[str, Any]]:
    """Every disagreement between cached balances, postings and open lots, and between the
    qualifying spend per member and day and the receipts it sums (empty: none)."""
    with rt.db.read() as conn:
        problems = ledger.reconcile(conn, tenant_id)
        for tenant in tenancy.list_tenants(conn):
            if tenant_id is None or tenant.id == tenant_id:
                problems += receipts.spend_day_problems(conn, tenant.id,
                                                        ZoneInfo(tenant.timezone))
        return problems


def receipts_list(rt: Runtime, tenant_id: int, *, member_id: int | None, limit: int,
                  before_id: int | None) -> list[dict[str, Any]]:
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must lie between 1 and 500", field="limit")
    with rt.db.read() as conn:
        rows = receipts.list_receipts(conn, tenant_id, member_id=member_id, limit=limit,
                                      before_id=before_id)
    return [{**r, "occurred_at": r["occurred_at"].isoformat()} for r in rows]


def receipt(rt: Runtime, tenant_id: int, receipt_id: int) -> dict[str, Any]:
    with rt.db.read() as conn:
        row = receipts.get_receipt(conn, tenant_id, receipt_id)
        if row is None:
            raise NotFound("receipt not found")
        return receipt_view(conn, tenant_id, row)
