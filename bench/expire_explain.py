"""Where one expiry batch spends its time on PostgreSQL: EXPLAIN (ANALYZE, BUFFERS, WAL) of
the batch statement, summarised per step (lock, lots, entries, postings, balances) and per
foreign-key trigger.

    uv run python bench/expire.py --members 1000000 --load-only    # load, do not expire
    uv run python bench/expire_explain.py [--warm-batches 40]

Runs ``--warm-batches`` ordinary batches of accounts first (committed, as ``regulars expire``
would), then explains the next batch inside a transaction it rolls back, so the figures describe a
batch in the middle of a run rather than the first, cold one.
"""

from __future__ import annotations

import argparse
import sys
import time

from rich.table import Table
from sqlalchemy import text

from _common import libpq_url, make_console
from regulars.config import Settings
from regulars.db.ledger import expiry, ledger
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.services.runtime import open_runtime

console = make_console()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_expire")
    parser.add_argument("--warm-batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    rt = open_runtime(Settings(database_url=libpq_url(args.database_url)))
    now = rt.now()
    tenant_id = 1
    started = time.perf_counter()
    with rt.db.read() as conn:
        system_id = ledger.system_account_id(conn, tenant_id, SystemAccount.EXPIRED)
        t0 = time.perf_counter()
        bounds = expiry.batch_bounds(conn, tenant_id, now, args.batch_size)
        bounds_ms = 1000 * (time.perf_counter() - t0)
    console.print(f"{len(bounds) + 1} batches found in {bounds_ms:.0f} ms")
    after = 0
    for upto in bounds[:args.warm_batches]:
        with rt.db.write() as conn:
            expiry.expire_range(conn, tenant_id, system_id, after, upto, now=now,
                                code=EntryCode.EXPIRE)
        after = upto
    warm = time.perf_counter() - started - bounds_ms / 1000
    console.print(f"{args.warm_batches} warm batches in {warm:.1f} s "
                  f"({1000 * warm / max(args.warm_batches, 1):.0f} ms a batch)")
    explain = text("EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) "
                   + expiry._EXPIRE_PG.text).bindparams(
        *expiry._EXPIRE_PG._bindparams.values())
    upto = bounds[args.warm_batches] if len(bounds) > args.warm_batches else expiry.LAST
    with rt.db.engine.connect() as conn:
        with conn.begin() as txn:
            t0 = time.perf_counter()
            plan = conn.execute(explain, {
                "after": after, "upto": upto, "tenant_id": tenant_id,
                "code": EntryCode.EXPIRE.value, "system_id": system_id,
                "now": now, "asset": "points"}).scalar_one()[0]
            write_ms = 1000 * (time.perf_counter() - t0)
            txn.rollback()
    rt.close()
    console.print(f"one batch (accounts {after} < id <= {upto}): statement {write_ms:.0f} ms "
                  f"round trip, {plan['Execution Time']:.0f} ms executing")
    steps = Table(title="write statement, by step (foreign-key checks run after it, below)")
    for name in ("step", "ms", "rows", "WAL records", "WAL full pages", "WAL MB",
                 "buffers dirtied"):
        steps.add_column(name, justify="right" if name != "step" else "left")
    for sub in plan["Plan"].get("Plans", []):
        name = sub.get("Subplan Name", "")
        if not name.startswith("CTE"):
            continue
        steps.add_row(name, f"{sub['Actual Total Time']:.0f}", str(sub["Actual Rows"]),
                      str(sub.get("WAL Records", 0)), str(sub.get("WAL FPI", 0)),
                      f"{sub.get('WAL Bytes', 0) / 1e6:.1f}",
                      str(sub.get("Shared Dirtied Blocks", 0)))
    console.print(steps)
    triggers = Table(title="foreign-key triggers")
    triggers.add_column("trigger")
    triggers.add_column("calls", justify="right")
    triggers.add_column("ms", justify="right")
    total = 0.0
    for trig in sorted(plan.get("Triggers", []), key=lambda t: -t["Time"]):
        total += trig["Time"]
        name = trig.get("Constraint Name") or trig["Trigger Name"]
        triggers.add_row(f"{name} on {trig.get('Relation', '?')}", str(trig["Calls"]),
                         f"{trig['Time']:.0f}")
    triggers.add_row("all", "", f"{total:.0f}")
    console.print(triggers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
