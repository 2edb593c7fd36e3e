"""The commit tail at a fixed rate: quote+commit pairs at Poisson arrivals over HTTP against
``regulars serve --workers 2`` on PostgreSQL, several rounds, optionally alternating between
two server configurations (environment variables) so that both meet the same machine.

    uv run python bench/checkout_tail.py --rate 120 --rounds 4
    uv run python bench/checkout_tail.py --rate 120 --rounds 4 --compare REGULARS_GC_FREEZE=false

The set-up is ``bench/checkout.py``'s (same database shape, basket, 32 tills, 50 members, 10
points spent a receipt) and so is the open-loop phase: pairs start at Poisson arrivals of
``--rate`` a second over ``--connections`` keep-alive connections, and each pair's latency is
also measured from its due time. ``checkout.py`` runs this phase once, at half its best closed-
loop commit rate, for the target "commit p99 ≤ 25 ms at half the maximum rate"; one 10-second
phase is its noisiest figure, which is what the rounds here are for. Prints each round's commit
p50 / p99 and the p99 over all rounds of each configuration.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _common import analyze, code_version, libpq_url, machine, make_console, wait_for_quiet
from _load import OPEN_LOOP, Phase, Target, percentile
from checkout import BASKET, DEFAULT_URL, Server, fmt, free_port, run, setup, summarise

console = make_console()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rate", type=float, required=True, help="pairs a second")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds a round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", metavar="NAME=VALUE", action="append", default=[],
                        help="a second configuration: the server's environment plus these "
                             "variables (repeatable); rounds alternate between the two")
    parser.add_argument("--wait-idle", type=float, default=300.0)
    args = parser.parse_args()
    url = libpq_url(args.database_url)
    # Short names: a receipt id carries its phase's label (64 characters at most).
    configs: dict[str, dict[str, str]] = {"A": {}}
    if args.compare:
        configs["B"] = dict(item.split("=", 1) for item in args.compare)

    console.rule("regulars checkout tail")
    with console.status("creating the database, tenant, 32 tills and 50 members"):
        till_keys, phones = setup(url)
        analyze(url)
    console.print(f"machine: {machine()}; code {code_version()}; {args.rate:g} pairs/s, "
                  f"{args.rounds} rounds of {args.seconds:g} s per configuration; A: the server "
                  f"as is" + (f", B: with {' '.join(args.compare)}" if args.compare else ""))
    target = Target(host="127.0.0.1", port=0, till_keys=till_keys, phones=phones,
                    lines=BASKET, spend_points=10, run_tag=uuid.uuid4().hex[:8])
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool, \
            Progress(TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(),
                     console=console) as bar:
        for n in range(args.rounds):
            for name, env in configs.items():
                port = free_port()
                log = Path(tempfile.gettempdir()) / f"regulars-bench-server-{port}.log"
                server = Server(url, port, args.workers, log, env=env)
                try:
                    server.wait_ready()
                    wait_for_quiet(console, args.wait_idle)
                    here = replace(target, port=port)  # receipt ids carry the label
                    run(pool, here, Phase("checkout", 8, 3.0, 0.0, "raw",
                                          label=f"warm-up {n + 1}, {name}"), server, bar)
                    phase = Phase(OPEN_LOOP, args.connections, args.seconds, args.warmup, "raw",
                                  rate=args.rate, label=f"round {n + 1}, {name}")
                    measured = run(pool, here, phase, server, bar)
                    summary = summarise(measured)
                    summary["commit_ms"] = measured["result"].latencies_ms.get("commit", [])
                    rounds[name].append(summary)
                finally:
                    server.stop()

    table = Table(title=f"commit latency, open loop at {args.rate:g} pairs/s")
    for column in ("configuration", "round", "commits/s", "commit p50 ms", "commit p99 ms",
                   "pair p99 from due ms", "errors", "CPU %: all / server / postgres / other"):
        table.add_column(column, justify="left" if column == "configuration" else "right")
    for name, done in rounds.items():
        for n, r in enumerate(done, 1):
            table.add_row(name, str(n), fmt(r["per_second"], 0), fmt(r.get("commit_p50_ms")),
                          fmt(r.get("commit_p99_ms")), fmt(r.get("pair_from_due_p99_ms")),
                          str(r["errors"]), " / ".join(fmt(r["cpu_pct"][g], 0)
                                                       for g in ("all", "server", "postgres",
                                                                 "other")))
        pooled = [ms for r in done for ms in r["commit_ms"]]
        table.add_row(name, "all", "", fmt(percentile(pooled, 0.50)),
                      fmt(percentile(pooled, 0.99)), "", "", "")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
