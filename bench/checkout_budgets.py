"""The ``--budgets`` mode of ``bench/checkout.py --promotions 1``: quote+commit pairs with one
promotion (10 % off a receipt of at least 100.00, on every benchmark basket) with no cap, with a
cap it never reaches, and with a cap that runs out, against the same server and data without
the promotion, in one run.

    uv run python bench/checkout.py --promotions 1 --budgets [--rounds 6] [--seconds 4]
                                    [--warmup 1] [--database-url ...] [--wait-idle 30]

Setup and server as in the checkout benchmark, with five tenants set up alike: none (no
promotion), unlimited, capped (a budget of 10**12), runs-out (a budget of
:data:`RUNS_OUT_RECEIPTS` receipts' discount and a bit, so that it runs out during the run-out
phase) and coupon (below). After the setup the database is analysed and a ``CHECKPOINT``
writes out what the setup left. At 8 and then 32 clients, every side first runs once,
discarded (the server's pools, caches and the pages' first full-page images after the
checkpoint), then ``--rounds`` rounds of every side, short phases in rotating order (each
side first in a round as often as the others), each round after a ``VACUUM (ANALYZE)``
standing in for autovacuum (off on this server), so that every round starts from the same
table state: no dead rows of the rounds before, statistics that know the receipts written.
A side's figure is the median of its rounds' pairs/s and its ratio the ratio of the medians
to none's; the spread is the lowest and highest of the rounds' own ratios (a side's phase
over none's phase of the same round). Then one phase runs the runs-out budget out, the
receipts that got the promotion and the budget's spend are counted (overshoot must be 0:
exactly ``cap // discount`` receipts), and rounds alternate none / runs-out again to compare
the pairs after it ran out.

Last, at 8 clients, every side runs once more apart from the others, with quiet seconds
before and after (:class:`Counters`), for what a receipt costs the database: rows, buffers,
slot statements and WAL, counted rather than timed.

Targets (the issue): unlimited ≥ 0.9× none and capped ≥ 0.8× none at 8 and 32 clients; runs
out with 0 overshoot; after it ran out about as fast as none (reported, ≥ 0.9× checked).

A fifth tenant, "coupon", has no promotion but one multi-use coupon code (5 % off, a million
uses) that every sale presents: the other row many commits touch, each commit counting a use
on it. Its pairs alternate with the others and are held to the unlimited promotion's 0.9×.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import psycopg
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _common import analyze, code_version, libpq_url, machine, server_version, wait_for_quiet
from _load import CHECKOUT, Phase, Target
from checkout import (
    BASKET,
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
from regulars.domain.promotions.budgets import Limits
from regulars.domain.promotions.promotions import PercentDiscount
from regulars.services.audit import audit
from regulars.services.promotions import budgets, coupons, promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import open_runtime

CLIENTS = (8, 32)
DISCOUNT_MINOR = 2167  # 10 % of the benchmark basket's 216.74, rounded
RUNS_OUT_RECEIPTS = 150
RUNS_OUT_CAP_MINOR = RUNS_OUT_RECEIPTS * DISCOUNT_MINOR + 1000  # the 10.00 never fits
TARGETS = {"unlimited": 0.9, "capped": 0.8, "after": 0.9, "coupon": 0.9}
SIDES = ("none", "unlimited", "capped", "coupon")
SHARED_CODE_USES = 1_000_000
CAPPED_MINOR = 10**12  # the capped side's budget, never reached
COUNTED = ("inserted", "updated", "deleted", "buffers", "slot_scans", "slot_updates",
           "wal_records", "wal_bytes", "wal_fpi_bytes")
STATS_LAG_S = 11.0  # a backend idle with statistics not sent sends them after 10 s


def ten_percent_off(url: str, tenant_id: int, budget_minor: int | None) -> int:
    """The benchmark's promotion (10 % off a receipt of at least 100.00), capped or not."""
    rt = open_runtime(Settings(database_url=url))
    try:
        made = promotions.create(rt, tenant_id, Draft(
            name="10 % off from 100.00", condition="basket.total_minor >= 10000",
            effects=(PercentDiscount(rate_bp=1000),), limits=Limits(budget_minor=budget_minor)),
                                 actor=audit.SYSTEM)
        return int(made.id)
    finally:
        rt.close()


def _shared_code(url: str, tenant_id: int) -> str:
    """One code of a 5 % off series that a million sales may use."""
    rt = open_runtime(Settings(database_url=url))
    try:
        series = coupons.create_series(rt, tenant_id, coupons.SeriesDraft(
            name="5 % off, shared", effect=PercentDiscount(rate_bp=500),
            max_uses=SHARED_CODE_USES), actor=audit.SYSTEM)
        issued = coupons.generate_codes(rt, tenant_id, series.id, count=1, actor=audit.SYSTEM)
        return str(issued.codes[0])
    finally:
        rt.close()


def _burn(url: str, tenant_id: int, promotion_id: int) -> dict[str, Any]:
    rt = open_runtime(Settings(database_url=url))
    try:
        view = budgets.promotion_burn(rt, tenant_id, promotion_id)
        return {"receipts": view.this_month.receipts, **dataclasses.asdict(view.budget)}
    finally:
        rt.close()


def last_tenant(url: str) -> int:
    rt = open_runtime(Settings(database_url=url))
    try:
        with rt.db.read() as conn:
            return int(conn.exec_driver_sql("SELECT max(id) FROM tenants").scalar_one())
    finally:
        rt.close()


def _tenants(url: str, tag: str, args: argparse.Namespace) -> dict[str, tuple[Target, int, int]]:
    """Target, tenant id and promotion id (0 for none) of every side."""
    found = {}
    keys, phones = setup(url)
    found["none"] = (keys, phones, last_tenant(url), 0)
    for side, cap in (("unlimited", None), ("capped", CAPPED_MINOR),
                      ("runs-out", RUNS_OUT_CAP_MINOR)):
        keys, phones = add_tenant(url, name=f"Bench {side}")
        tenant_id = last_tenant(url)
        found[side] = (keys, phones, tenant_id, ten_percent_off(url, tenant_id, cap))
    keys, phones = add_tenant(url, name="Bench coupon")
    tenant_id = last_tenant(url)
    found["coupon"] = (keys, phones, tenant_id, 0)
    codes = {"coupon": (_shared_code(url, tenant_id),)}
    return {side: (Target(host="127.0.0.1", port=args.port, till_keys=keys, phones=phones,
                          lines=BASKET, spend_points=args.spend_points, run_tag=tag,
                          coupons=codes.get(side, ())),
                   tenant_id, promotion_id)
            for side, (keys, phones, tenant_id, promotion_id) in found.items()}


class Counters:
    """What the bench database did over a counted phase, read from PostgreSQL's statistics
    (counted, not timed, so the machine's load does not move them): rows inserted, updated and
    deleted, buffers touched, the capped budgets' slot statements (scans and rows updated on
    ``promotion_budget_slots``), and the WAL the database's own pages took (``pg_walinspect``,
    records touching a relation of this database; commit records name none). Per receipt the
    phase's tenant got.

    A backend sends its statistics at most once a second and the rest only after ten idle
    seconds, so :meth:`snap` first waits :data:`STATS_LAG_S`: the counted phases run apart
    from the timed rounds, which would otherwise get each other's figures."""

    def __init__(self, url: str) -> None:
        self.url = url
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")

    def snap(self, tenant_id: int, *, before: bool) -> dict[str, Any]:
        """The counters and the tenant's receipts; the receipts are counted outside the
        interval the counters span (first before a phase, last after it), so that the count's
        own reads are not in it."""
        time.sleep(STATS_LAG_S)
        found = self._receipts(tenant_id) if before else {}
        with psycopg.connect(self.url, autocommit=True) as conn:
            db = conn.execute(
                "SELECT tup_inserted, tup_updated, tup_deleted, blks_hit + blks_read, "
                "pg_current_wal_lsn()::text "
                "FROM pg_stat_database WHERE datname = current_database()").fetchone()
            slots = conn.execute(
                "SELECT coalesce(sum(idx_scan + seq_scan), 0), coalesce(sum(n_tup_upd), 0) "
                "FROM pg_stat_user_tables WHERE relname = 'promotion_budget_slots'").fetchone()
            tables = dict(conn.execute(
                "SELECT relname, coalesce(heap_blks_hit + heap_blks_read, 0) "
                "+ coalesce(idx_blks_hit + idx_blks_read, 0) "
                "+ coalesce(toast_blks_hit + toast_blks_read, 0) "
                "FROM pg_statio_all_tables").fetchall())
        assert db and slots
        names = ("inserted", "updated", "deleted", "buffers")
        return {**dict(zip(names, map(int, db[:4]), strict=True)), "lsn": db[4],
                "slot_scans": int(slots[0]), "slot_updates": int(slots[1]), "tables": tables,
                **(found or self._receipts(tenant_id))}

    def _receipts(self, tenant_id: int) -> dict[str, int]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM receipts WHERE tenant_id = %s",
                               (tenant_id,)).fetchone()
        time.sleep(0.5)  # the backend sends its statistics as it exits
        return {"receipts": int(row[0]) if row else 0}

    def delta(self, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {k: after[k] - before[k] for k in COUNTED[:-3]}
        with psycopg.connect(self.url, autocommit=True) as conn:
            wal = conn.execute(
                "SELECT count(*), coalesce(sum(record_length), 0), "
                "coalesce(sum(fpi_length), 0) FROM pg_get_wal_records_info(%s, %s) "
                "WHERE block_ref LIKE '%% rel %%/' || (SELECT oid FROM pg_database "
                "WHERE datname = current_database()) || '/%%'",
                (before["lsn"], after["lsn"])).fetchone()
        assert wal
        out["wal_records"], out["wal_bytes"], out["wal_fpi_bytes"] = map(int, wal)
        out["receipts"] = after["receipts"] - before["receipts"]
        tables = {name: int(n - before["tables"].get(name, 0))
                  for name, n in after["tables"].items()}
        out["top_tables"] = sorted(tables.items(), key=lambda kv: -kv[1])[:3]
        return out


def _checkpoints(url: str) -> int:
    """Checkpoints the server (every database) has made: one during a phase costs it the
    writes and the full-page images after it."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT checkpoints_timed + checkpoints_req "
                           "FROM pg_stat_bgwriter").fetchone()
    return int(row[0]) if row else 0


def tidy(url: str) -> float:
    """``VACUUM (ANALYZE)`` the bench database before a round, as autovacuum would (it is off
    on this server): every round starts with the dead rows of the ones before removed and
    statistics that know the receipts written. Returns the seconds it took."""
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.monotonic() - started


def checkpoint(url: str) -> None:
    """Write out what the setup left in the buffers before the warm-up, so that neither its
    writes nor a checkpoint it would bring fall on the measured rounds (the full-page images
    after the checkpoint fall on the warm-up, which is discarded)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def rotated(sides: tuple[str, ...], round_: int) -> tuple[str, ...]:
    """``sides`` in the order of round ``round_`` (0-based): each side is first once in
    every ``len(sides)`` rounds, so none gains from a place in the round."""
    k = round_ % len(sides)
    return sides[k:] + sides[:k]


class Bench:
    """The phases of one run: the sides' targets, the server, the load generator."""

    def __init__(self, args: argparse.Namespace, url: str,
                 sides: dict[str, tuple[Target, int, int]], server: Server) -> None:
        self.args, self.url, self.sides, self.server = args, url, sides, server
        self.counters = Counters(url)
        # (group, side, clients): the phases in round order; group "" for the sides,
        # "after" for none against the budget that ran out.
        self.phases: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
        self.tidy_s: list[float] = []
        self.per_receipt: dict[tuple[str, int, int], dict[str, float]] = {}
        self.top_tables: dict[tuple[str, int, int], list[tuple[str, float]]] = {}
        self.pool: ProcessPoolExecutor
        self.bar: Progress

    def measure(self, side: str, clients: int, label: str, *, group: str,
                seconds: float | None = None, keep: bool = True) -> dict[str, Any]:
        target = self.sides[side][0]
        phase = Phase(CHECKOUT, clients, seconds or self.args.seconds, self.args.warmup,
                      self.args.client, label=label)
        checkpoints = _checkpoints(self.url)
        found = summarise(run(self.pool, target, phase, self.server, self.bar))
        found["checkpoints"] = _checkpoints(self.url) - checkpoints
        if keep:
            self.phases.setdefault((group, side, clients), []).append(found)
        return found

    def counted(self, clients: int) -> None:
        """Every side once more, apart (see :class:`Counters`), twice, the second time in
        the reverse order, for what it costs the database a receipt; kept in
        :attr:`per_receipt` by (side, clients, pass)."""
        order = (*SIDES, "runs-out")
        for pass_, sides in enumerate((order, order[::-1]), start=1):
            for side in sides:
                tenant_id = self.sides[side][1]
                before = self.counters.snap(tenant_id, before=True)
                self.measure(side, clients, f"c{clients}-counted-{side}-{pass_}", group="",
                             keep=False)
                found = self.counters.delta(before, self.counters.snap(tenant_id,
                                                                       before=False))
                receipts = found["receipts"] or math.nan
                key = (side, clients, pass_)
                self.per_receipt[key] = {k: found[k] / receipts for k in COUNTED}
                self.top_tables[key] = [(name, n / receipts) for name, n in found["top_tables"]]

    def rounds(self, sides: tuple[str, ...], clients: int, group: str) -> None:
        """Every side once, discarded; then :attr:`args.rounds` rounds of every side, in
        rotating order, each round after a :func:`tidy`."""
        for side in sides:
            self.measure(side, clients, f"c{clients}-{group}-warm-up-{side}", group=group,
                         seconds=max(1.0, self.args.seconds / 2), keep=False)
        for round_ in range(self.args.rounds):
            self.tidy_s.append(tidy(self.url))
            for side in rotated(sides, round_):
                self.measure(side, clients, f"c{clients}-{group}-{side}-{round_ + 1}",
                             group=group)


def run_mode(args: argparse.Namespace) -> int:
    url = libpq_url(args.database_url)
    console.rule("regulars checkout benchmark: one promotion with and without a budget")
    wait_for_quiet(console, args.wait_idle)
    args.port = args.port or free_port()
    tag = uuid.uuid4().hex[:8]
    with console.status("creating the database, five tenants, 32 tills and 50 members each"):
        sides = _tenants(url, tag, args)
        analyze(url)
        checkpoint(url)
    console.print(f"machine: {machine()}; {server_version(url)}; code {code_version()}; "
                  f"{args.rounds} rounds of {args.seconds:g} s after {args.warmup:g} s")
    log = Path(tempfile.gettempdir()) / f"regulars-bench-server-{args.port}.log"
    server = Server(url, args.port, args.workers, log)
    bench = Bench(args, url, sides, server)
    try:
        with console.status(f"starting the server on port {args.port}"):
            server.wait_ready(timeout=900.0)  # a machine shared by several runs starts slowly
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool, \
                Progress(TextColumn("{task.description:<28}"), BarColumn(),
                         TimeElapsedColumn(), console=console) as bar:
            bench.pool, bench.bar = pool, bar
            for c in CLIENTS:
                bench.rounds(SIDES, c, "")
            running_out = bench.measure("runs-out", 8, "c8-runs-out", group="", keep=False)
            for c in CLIENTS:
                bench.rounds(("none", "runs-out"), c, "after")
            bench.counted(8)
    finally:
        server.stop()
    _, tenant_id, promotion_id = sides["runs-out"]
    burn = _burn(url, tenant_id, promotion_id)
    return _report(bench, running_out, burn)


def _side(phases: list[dict[str, Any]], none: list[dict[str, Any]]) -> dict[str, Any]:
    """A side's figures against none's of the same rounds: the medians of the rounds' pairs/s,
    their ratio, and the lowest and highest of the rounds' own ratios (side / none phase of
    the same round)."""
    rates = [p["per_second"] for p in phases]
    base = [p["per_second"] for p in none]
    rounds = [a / b for a, b in zip(rates, base, strict=True) if b]
    locks = statistics.fmean(sum(v for k, v in p["pg_waits"].items() if k.startswith("Lock:"))
                             for p in phases)
    return {"median": statistics.median(rates), "rates": rates, "none": statistics.median(base),
            "ratio": statistics.median(rates) / statistics.median(base)
            if statistics.median(base) else math.nan,
            "spread": (min(rounds), max(rounds)) if rounds else (math.nan, math.nan),
            "lock_wait_pct": locks,
            "errors": sum(p["errors"] for p in phases),
            "checkpoints": sum(p["checkpoints"] for p in phases),
            "commit_p99_ms": max(p.get("commit_p99_ms", 0.0) for p in phases)}


def _figures(bench: Bench) -> list[tuple[int, str, dict[str, Any]]]:
    rows = []
    for c in CLIENTS:
        for group, side in [("", s) for s in SIDES] + [("after", "none"), ("after", "runs-out")]:
            found = _side(bench.phases[(group, side, c)], bench.phases[(group, "none", c)])
            rows.append((c, f"{group} {side}".strip(), found))
    return rows


def _report(bench: Bench, running_out: dict[str, Any], burn: dict[str, Any]) -> int:
    table = Table(title=f"Quote+commit pairs/s with one promotion vs none (same server, same "
                        f"run, {bench.args.rounds} rounds in rotating order; medians)")
    for name in ("clients", "side", "pairs/s (rounds)", "ratio of medians", "rounds' ratios",
                 "required", "lock waits %", "checkpoints", "commit p99 ms", "errors"):
        table.add_column(name, justify="right")
    ok_all = True
    for c, side, f in _figures(bench):
        required = TARGETS.get("after" if side == "after runs-out" else side)
        ok = required is None or (f["ratio"] >= required and not f["errors"])
        ok_all &= ok
        table.add_row(
            str(c), side,
            f"{fmt(f['median'], 0)} ({' / '.join(fmt(r, 0) for r in f['rates'])})",
            fmt(f["ratio"], 2) if required else "",
            f"{fmt(f['spread'][0], 2)}–{fmt(f['spread'][1], 2)}" if required else "",
            f"≥ {required:.2f} {verdict(ok)}" if required else "",
            fmt(f["lock_wait_pct"], 1), str(f["checkpoints"]), fmt(f["commit_p99_ms"]),
            str(f["errors"]))
    console.print(table)
    console.print(f"VACUUM (ANALYZE) before each round: {fmt(statistics.median(bench.tidy_s), 2)}"
                  f" s (median); checkpoints: the server's (any database) during the phases")
    _counted(bench)
    ok_all &= _runs_out(running_out, burn)
    return 0 if ok_all else 1


def _counted(bench: Bench) -> None:
    table = Table(title="What a receipt costs the database (counted phases, apart)")
    for name in ("clients", "side", "pass", "rows ins / upd / del", "buffers",
                 "slot scans / updates", "WAL records / bytes (of which full pages)",
                 "most buffers (table: a receipt)"):
        table.add_column(name, justify="right")
    for (side, c, pass_), per in sorted(bench.per_receipt.items(),
                                        key=lambda kv: (kv[0][0] != "none", kv[0])):
        table.add_row(str(c), side, str(pass_),
                      " / ".join(fmt(per[k], 2) for k in ("inserted", "updated", "deleted")),
                      fmt(per["buffers"], 0),
                      f"{fmt(per['slot_scans'], 2)} / {fmt(per['slot_updates'], 2)}",
                      f"{fmt(per['wal_records'], 1)} / {fmt(per['wal_bytes'], 0)} "
                      f"({fmt(per['wal_fpi_bytes'], 0)})",
                      ", ".join(f"{name} {fmt(n, 0)}"
                                for name, n in bench.top_tables[(side, c, pass_)]))
    console.print(table)


def _runs_out(running_out: dict[str, Any], burn: dict[str, Any]) -> bool:
    cap, spent, got = burn["budget_minor"] or 0, burn["spent_minor"], burn["receipts"]
    each = spent // got if got else 0
    overshoot = spent - cap
    # Every receipt got the same discount, and the cap left less than one more.
    exact = got > 0 and spent == got * each and 0 <= cap - spent < each
    console.print(f"exact: {verdict(exact)}")
    console.print(f"runs out: cap {burn['budget_minor']}, {burn['receipts']} receipts got the "
                  f"promotion ({each} each; {RUNS_OUT_RECEIPTS} of {DISCOUNT_MINOR} fit), "
                  f"spent {burn['spent_minor']}, "
                  f"overshoot {max(0, overshoot)}; the phase it ran out in: "
                  f"{fmt(running_out['per_second'], 0)} pairs/s, {running_out['errors']} errors")
    return overshoot <= 0 and exact and not running_out["errors"]
