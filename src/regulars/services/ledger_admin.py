"""Ledger upkeep: expiring due lots, reconciliation, receipt listings for the console."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from regulars.db import ledger, receipts, tenancy
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
        return ledger.count_due_lots(conn, rt.now())


def expire(rt: Runtime, *, batch_size: int = 5000,
           progress: Progress | None = None) -> ExpiryReport:
    """Expire every lot due at the clock's ``now``: one ``expire`` entry per member and batch,
    lots set to zero, balances reduced, all in one transaction per batch.

    Running it again at the same moment finds nothing due and writes nothing. A batch that
    fails rolls back whole; the next run picks its lots up again. Batches walk the due lots
    once, in id order: a lot behind the walk that becomes due again while it runs (a refund
    refilling an expired lot) waits for the next run.
    """
    now = rt.now()
    total_lots = total_points = total_entries = 0
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        after_id = 0  # batches walk the due lots in id order
        while True:
            with rt.db.write() as conn:
                due, last_seen = ledger.due_lots(conn, tenant_id, now, limit=batch_size,
                                                 after_id=after_id)
                if last_seen is None:
                    break
                by_account: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
                for lot_id, account_id, member_id, remaining in due:
                    by_account[(account_id, member_id)].append((lot_id, remaining))
                if by_account:
                    system = ledger.system_account_id(conn, tenant_id, SystemAccount.EXPIRED)
                    total_entries += ledger.write_expiries(conn, tenant_id, system, by_account,
                                                           now=now, code=EntryCode.EXPIRE)
            after_id = last_seen
            total_lots += len(due)
            total_points += sum(row[3] for row in due)
            if progress:
                progress(len(due))
    return ExpiryReport(lots=total_lots, points=total_points, entries=total_entries)


def check(rt: Runtime, tenant_id: int | None = None) -> list[dict[str, Any]]:
    """Every disagreement between cached balances, postings and open lots (empty: none)."""
    with rt.db.read() as conn:
        return ledger.reconcile(conn, tenant_id)


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
