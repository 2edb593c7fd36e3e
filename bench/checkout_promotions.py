"""The ``--promotions N`` mode of ``bench/checkout.py``: quote throughput with N active
promotions against the same server and data without them, in one run.

    uv run python bench/checkout.py --promotions 4 [--database-url ...] [--wait-idle 30]

Setup and server as in the checkout benchmark (a tenant, 32 tills, 50 members with points;
``regulars serve --workers 2``), plus a second tenant set up the same way that gets the
promotions (created through the services). Quote phases alternate between the two tenants —
none, promotions, four rounds of them — at 1, 8 and 32 clients, so that load from elsewhere on
the machine falls on both alike; each side's rate is the sum of its four phases' requests over
their time. Then one quote+commit phase at 8 clients checks that commits with promotions
succeed. The target: quote req/s with promotions ≥ 0.8× without, at every concurrency.

The promotions, chosen as a shop would run them (up to four, in this order):

1. 10 % off a receipt of at least 100.00 (``basket.total_minor >= 10000``, stackable);
2. double points when the basket holds groceries (a CEL ``exists`` over the lines);
3. the cheapest of every 3 groceries free;
4. a targeted win-back bonus of 100 points for members who have not bought in the last day
   (a segment with a ``recency`` rule: one SQL statement per quote for a member).

On the benchmark basket (216.74 in 5 lines, 6 groceries) all four apply.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _common import analyze, code_version, libpq_url, machine, server_version, wait_for_quiet
from _load import CHECKOUT, QUOTE, Phase, Target
from checkout import (
    BASKET,
    CONCURRENCY,
    Server,
    add_tenant,
    console,
    fmt,
    free_port,
    run,
    setup,
    summarise,
    verdict,
)
from regulars.config import Settings
from regulars.domain.promotions.promotions import (
    BonusPoints,
    CheapestFree,
    Effect,
    PercentDiscount,
    PointsMultiplier,
)
from regulars.domain.promotions.segments import Compare, Recency
from regulars.services.audit import audit
from regulars.services.promotions import promotions, segments
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import open_runtime

TARGET_WITH_VS_WITHOUT = 0.8
# Alternating rounds (none, then promotions) at each concurrency: at one client a quote is a
# round trip of about a millisecond, which a burst elsewhere on a shared machine moves by as
# much as the promotions add; more rounds spread such bursts over both sides.
ROUNDS = 4
PROMOTIONS_TENANT = "Bench Promotions Ltd"


def create_promotions(url: str, count: int, tenant_id: int | None = None) -> list[str]:
    """Create the first ``count`` promotions of the module docstring for ``tenant_id`` (the
    last tenant by default); returns their names."""
    rt = open_runtime(Settings(database_url=url))
    try:
        if tenant_id is None:
            with rt.db.read() as conn:
                tenant_id = int(conn.exec_driver_sql("SELECT max(id) FROM tenants")
                                .scalar_one())
        segment = segments.create(rt, tenant_id, segments.Draft(
            name="Not bought today", rules=(Recency(compare=Compare.GE, days=1),)))
        grocery = frozenset({"grocery"})
        drafts: list[tuple[str, str, tuple[Effect, ...], int | None]] = [
            ("10 % off from 100.00", "basket.total_minor >= 10000",
             (PercentDiscount(rate_bp=1000),), None),
            ("Double points on groceries",
             "basket.lines.exists(l, l.category == 'grocery')",
             (PointsMultiplier(factor_percent=200),), None),
            ("3 groceries, the cheapest free", "true",
             (CheapestFree(every_n=3, categories=grocery),), None),
            ("Win-back bonus", "true", (BonusPoints(points=100),), int(segment.id)),
        ]
        made = []
        for name, condition, effects, segment_id in drafts[:count]:
            promotions.create(rt, tenant_id, Draft(name=name, condition=condition,
                                                   effects=effects, segment_id=segment_id),
                              actor=audit.SYSTEM)
            made.append(name)
        return made
    finally:
        rt.close()


def _sum(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Phases' figures as one: requests over time, the worse p50/p99, errors added."""
    done = sum(p["per_second"] * p["window_s"] for p in phases)
    window = sum(p["window_s"] for p in phases)
    # CPU seconds the server's processes used over the phases, per request: what the rest of
    # the machine moves far less than the rates. (PostgreSQL's share cannot be told apart
    # from other databases' on a shared server; bench/promotions_overhead.py counts it.)
    cpu = sum(p["cpu_pct"]["server"] / 100 * p["window_s"] for p in phases)
    return {"per_second": done / window if window else 0.0,
            "server_cpu_ms": 1000 * cpu / done if done else math.nan,
            "errors": sum(p["errors"] for p in phases),
            "quote_p50_ms": max(p.get("quote_p50_ms", 0.0) for p in phases),
            "quote_p99_ms": max(p.get("quote_p99_ms", 0.0) for p in phases),
            "rates": [p["per_second"] for p in phases]}


def run_mode(args: argparse.Namespace) -> int:
    url = libpq_url(args.database_url)
    console.rule(f"regulars checkout benchmark: quote with {args.promotions} promotions")
    wait_for_quiet(console, args.wait_idle)
    with console.status("creating the database, two tenants, 32 tills and 50 members each"):
        plain_keys, plain_phones = setup(url)
        promo_keys, promo_phones = add_tenant(url, name=PROMOTIONS_TENANT)
        names = create_promotions(url, args.promotions)
        analyze(url)
    console.print(f"machine: {machine()}; {server_version(url)}; code {code_version()}")
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"regulars-bench-server-{port}.log"
    tag = uuid.uuid4().hex[:8]
    plain = Target(host="127.0.0.1", port=port, till_keys=plain_keys, phones=plain_phones,
                   lines=BASKET, spend_points=args.spend_points, run_tag=tag)
    promo = Target(host="127.0.0.1", port=port, till_keys=promo_keys, phones=promo_phones,
                   lines=BASKET, spend_points=args.spend_points, run_tag=tag)
    phases: dict[tuple[str, int], list[dict[str, Any]]] = {}
    server = Server(url, port, args.workers, log)
    try:
        with console.status(f"starting the server on port {port}"):
            server.wait_ready()
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool, \
                Progress(TextColumn("{task.description:<28}"), BarColumn(),
                         TimeElapsedColumn(), console=console) as bar:
            w = args.warmup
            for target in (plain, promo):
                run(pool, target, Phase(QUOTE, 8, 3.0, 0.0, args.client, label="warm-up"),
                    server, bar)
            for c in CONCURRENCY:
                for round_ in range(1, ROUNDS + 1):
                    for side, target in (("none", plain), ("promotions", promo)):
                        phase = Phase(QUOTE, c, args.seconds, w, args.client,
                                      label=f"quote-c{c}-{side}-{round_}")
                        phases.setdefault((side, c), []).append(
                            summarise(run(pool, target, phase, server, bar)))
            phase = Phase(CHECKOUT, 8, args.seconds, w, args.client,
                          label="checkout-c8-promotions")
            checkout = summarise(run(pool, promo, phase, server, bar))
    finally:
        server.stop()
    without = {c: _sum(phases[("none", c)]) for c in CONCURRENCY}
    with_ = {c: _sum(phases[("promotions", c)]) for c in CONCURRENCY}
    console.print("promotions: " + "; ".join(names))
    table = Table(title=f"Quote with {len(names)} promotions vs none (same server, same run, "
                        "alternating phases)")
    for name in ("clients", "quote req/s, none", "quote req/s, promotions", "ratio",
                 "required", "p50/p99 ms none", "p50/p99 ms promotions", "errors",
                 "verdict"):
        table.add_column(name, justify="right")
    ok_all = True
    for c in CONCURRENCY:
        a, b = without[c], with_[c]
        ratio = b["per_second"] / a["per_second"] if a["per_second"] else None
        ok = ratio is not None and ratio >= TARGET_WITH_VS_WITHOUT and not b["errors"]
        ok_all &= ok
        table.add_row(str(c),
                      f"{fmt(a['per_second'], 0)} ({' / '.join(fmt(r, 0) for r in a['rates'])})",
                      f"{fmt(b['per_second'], 0)} ({' / '.join(fmt(r, 0) for r in b['rates'])})",
                      fmt(ratio, 2), f"≥ {TARGET_WITH_VS_WITHOUT:.2f}",
                      f"{fmt(a.get('quote_p50_ms'))} / {fmt(a.get('quote_p99_ms'))}",
                      f"{fmt(b.get('quote_p50_ms'))} / {fmt(b.get('quote_p99_ms'))}",
                      str(a["errors"] + b["errors"]), verdict(ok))
    console.print(table)
    cpu_table = Table(title="Server CPU per quote, ms (both workers), and what the "
                            "promotions add")
    for name in ("clients", "none", "promotions", "added"):
        cpu_table.add_column(name, justify="right")
    for c in CONCURRENCY:
        a, b = without[c]["server_cpu_ms"], with_[c]["server_cpu_ms"]
        cpu_table.add_row(str(c), fmt(a, 2), fmt(b, 2), fmt(b - a, 2))
    console.print(cpu_table)
    console.print(f"quote+commit pairs with promotions at 8 clients: "
                  f"{checkout['per_second']:,.0f} commits/s, commit p50/p99 "
                  f"{fmt(checkout.get('commit_p50_ms'))} / "
                  f"{fmt(checkout.get('commit_p99_ms'))} ms, {checkout['errors']} errors "
                  + (f"({checkout['error_samples'][0]})" if checkout["errors"] else ""))
    console.print(f"server log {log}")
    return 0 if ok_all and not checkout["errors"] else 1
