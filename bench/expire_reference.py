"""``regulars expire`` as it was before the set-based rewrite (row by row, one entry per member
and batch of lots, rescanning from the first lot each batch), as a command, so
``bench/expire.py --reference`` can time the old implementation on the same data.

    uv run python bench/expire_reference.py --database-url URL [--batch-size 5000]

(It was kept in ``bench/expire_equivalence.py``, which proved the set-based rewrite wrote the
same rows; that check ended when expiry changed to one entry per member and run, whose
contract ``tests/integration/test_expiry.py`` now checks on both databases.)
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from regulars.config import Settings
from regulars.db.ledger.ledger import system_account_id
from regulars.db.ledger.tables import accounts, entries, lots, postings
from regulars.db.tenancy import tenancy
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime, open_runtime


def _ref_due_lots(conn: Connection, tenant_id: int, now: datetime,
                  limit: int) -> list[tuple[int, int, int, int]]:
    rows = conn.execute(
        select(lots.c.id, lots.c.account_id, accounts.c.member_id, lots.c.remaining)
        .join(accounts, accounts.c.id == lots.c.account_id)
        .where(lots.c.tenant_id == tenant_id, lots.c.remaining > 0,
               lots.c.expires_at <= now)
        .order_by(lots.c.id).limit(limit).with_for_update(of=lots)
    ).all()
    return [(r.id, r.account_id, r.member_id, r.remaining) for r in rows]


def _ref_write_expiries(conn: Connection, tenant_id: int, system_id: int,
                        by_account: dict[tuple[int, int], list[tuple[int, int]]], *,
                        now: datetime, code: EntryCode) -> int:
    items = list(by_account.items())
    entry_rows = []
    for (_, member_id), lot_list in items:
        points = sum(r for _, r in lot_list)
        entry_rows.append({
            "tenant_id": tenant_id, "code": code.value,
            "idempotency_key": f"expire:lot:{min(i for i, _ in lot_list)}",
            "member_id": member_id, "points": -points, "occurred_at": now,
            "recorded_at": now,
            "memo": {"lots": [[i, r] for i, r in lot_list],
                     "why": [{"code": "expire", "params": {"points": points}}]},
        })
    ids = conn.execute(insert(entries).returning(entries.c.id, sort_by_parameter_order=True),
                       entry_rows).scalars().all()
    posting_rows = []
    for entry_id, ((account_id, _), lot_list) in zip(ids, items, strict=True):
        points = sum(r for _, r in lot_list)
        posting_rows.append({"tenant_id": tenant_id, "entry_id": entry_id,
                             "account_id": account_id, "amount": -points})
        posting_rows.append({"tenant_id": tenant_id, "entry_id": entry_id,
                             "account_id": system_id, "amount": points})
    conn.execute(insert(postings), posting_rows)
    lot_ids = [lot_id for _, lot_list in items for lot_id, _ in lot_list]
    conn.execute(update(lots).where(lots.c.id.in_(lot_ids)).values(remaining=0))
    conn.execute(
        update(accounts).where(accounts.c.id == bindparam("acct"))
        .values(balance=accounts.c.balance - bindparam("pts")),
        [{"acct": account_id, "pts": sum(r for _, r in lot_list)}
         for (account_id, _), lot_list in items])
    return len(ids)


def reference_expire(rt: Runtime, *, batch_size: int) -> tuple[int, int, int]:
    now = rt.now()
    total_lots = total_points = total_entries = 0
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        while True:
            with rt.db.write() as conn:
                due = _ref_due_lots(conn, tenant_id, now, limit=batch_size)
                if not due:
                    break
                by_account: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
                for lot_id, account_id, member_id, remaining in due:
                    by_account[(account_id, member_id)].append((lot_id, remaining))
                system = system_account_id(conn, tenant_id, SystemAccount.EXPIRED)
                total_entries += _ref_write_expiries(conn, tenant_id, system, by_account,
                                                     now=now, code=EntryCode.EXPIRE)
            total_lots += len(due)
            total_points += sum(row[3] for row in due)
    return total_lots, total_points, total_entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    rt = open_runtime(Settings(database_url=args.database_url), migrate=True)
    try:
        ledger_admin.count_due(rt)  # as the command does, for its progress bar
        lots_, points, entries_ = reference_expire(rt, batch_size=args.batch_size)
    finally:
        rt.close()
    print(f"expired {points} points in {lots_} lots ({entries_} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
