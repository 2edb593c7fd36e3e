"""Benchmark: the fraud scan (``fraud.scan``) of a month of receipts, on PostgreSQL.

Target (from the issue): the scan of a month of 1M receipts ≤ 30 s. The baseline, timed in
the same run, is the read the scan cannot do without: the window's receipts with a member
and a cashier, fetched into Python.

    uv run python bench/fraud.py                            # 1M receipts in 30 days
    uv run python bench/fraud.py --receipts 100000 --members 10000 --repeat 1

The tenant is built as ``bench/analytics.py`` builds its own (in its own database,
``bench_fraud`` by default), with every receipt over the last ``--days`` days and made by one
of ``--cashiers`` cashiers in turn (one in 20 members typed in); ``--reuse`` times the
database a previous run left. Each scan runs ``--repeat`` times (the first opens the flags,
the next ones update them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import psycopg
from rich.table import Table

from _common import libpq_url, machine, make_console, server_version
from analytics import NOW, build
from regulars.config import Settings
from regulars.services.analytics import fraud
from regulars.services.runtime import open_runtime

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_fraud"
TARGET_S = 30.0
console = make_console()


def baseline(url: str, tenant_id: int, days: int) -> int:
    """The window's receipts with a member and a cashier, fetched (how many)."""
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT staff_id, member_id, store_id, occurred_at, identified_by FROM receipts "
            "WHERE tenant_id = %s AND status <> 'voided' AND member_id IS NOT NULL "
            "AND staff_id IS NOT NULL AND occurred_at > %s - make_interval(days => %s) "
            "AND occurred_at <= %s", (tenant_id, NOW, days, NOW)).fetchall()
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--cashiers", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true",
                        help="time the database a previous run built (its first tenant)")
    args = parser.parse_args()
    server = args.url.rsplit("/", 1)[0] + "/postgres"
    console.print(f"{machine()}; {server_version(server)}")
    tenant_id = (1 if args.reuse else
                 build(args.url, members=args.members, receipts=args.receipts,
                       span_days=args.days, cashiers=args.cashiers))
    rt = open_runtime(Settings(database_url=args.url), migrate=False)
    rt.clock = lambda: NOW  # type: ignore[method-assign]
    table = Table(title=f"fraud scan of {args.days} days, {args.receipts:,} receipts, "
                        f"{args.cashiers} cashiers")
    for column in ("run", "scan s", "receipts", "pairs scored", "flagged", "baseline s",
                   "rows"):
        table.add_column(column, justify="right")
    spent = []
    try:
        for run in range(1, args.repeat + 1):
            started = time.perf_counter()
            result = fraud.scan(rt, tenant_id, days=args.days)
            spent.append(time.perf_counter() - started)
            started = time.perf_counter()
            rows = baseline(args.url, tenant_id, args.days)
            base = time.perf_counter() - started
            table.add_row(str(run), f"{spent[-1]:.1f}", f"{result.receipts:,}",
                          f"{result.pairs_scored:,}", f"{result.flagged:,}", f"{base:.1f}",
                          f"{rows:,}")
    finally:
        rt.close()
    console.print(table)
    worst = max(spent)
    console.print(f"scan p50 {statistics.median(spent):.1f} s, max {worst:.1f} s: "
                  f"{'within' if worst <= TARGET_S else 'over'} the {TARGET_S:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
