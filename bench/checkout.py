"""Benchmark: POS checkout over HTTP against ``regulars serve --workers 2`` on PostgreSQL.

    uv run python bench/checkout.py [--database-url
    postgresql://postgres@127.0.0.1:5432/bench_checkout]
                                    [--seconds 10] [--client raw|httpx] [--json results.json]
                                    [--promotions N]   # quote with N promotions vs none
                                    [--promotions 1 --budgets [--rounds 6]]  # budgets vs none
                                    [--tenders]  # pairs paying part by certificate vs not

The issue's requirement: a 5-line basket (unit prices 10.00, 25.50, 40.00, 99.99, 5.25;
quantities 1, 2, 1, 1, 3) for 50 members, quote then commit, at 1, 8 and 32 concurrent
clients. Baselines in the same run: pgbench TPC-B at 8 clients
(``shared/scripts/pgbench-baseline``) and the trivial endpoint ``GET /v1/health`` of the same
server. Targets: commits/s ≥ 0.5× pgbench tps; quote ≥ 0.5× the trivial endpoint; commit
p99 ≤ 25 ms at half the maximum commit rate.

The script (re)creates its own database (never ``test``), sets up a tenant, a store, 32
tills and 50 members (each given points) through the services, measures pgbench, starts the
server as a subprocess, then runs each phase in a separate load-generator process (see
``_load.py``): health, ready (``GET /v1/ready``: one read of the schema revision, the
cheapest request that reaches the database — the floor under any quote), quote and
quote+commit pairs, closed loop, at each concurrency; then
quote+commit pairs open loop at half the best commit rate; then quote again, to show how the
receipts written meanwhile changed it. Receipt ids and Idempotency-Keys are unique. The
server is stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _common import (
    REPO,
    SHARED_SCRIPTS,
    CpuMeter,
    analyze,
    code_version,
    descendants,
    libpq_url,
    machine,
    make_console,
    recreate_database,
    run_queue_wait,
    server_version,
    wait_for_quiet,
)
from _load import (
    CHECKOUT,
    HEALTH,
    OPEN_LOOP,
    QUOTE,
    READY,
    Phase,
    Result,
    Target,
    percentile,
    run_phase,
)
from regulars.config import Settings
from regulars.services.audit import audit
from regulars.services.ledger import member_ledger
from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import tenants

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_checkout"
CONCURRENCY = (1, 8, 32)
TILLS = 32
MEMBERS = 50
OPENING_POINTS = 100_000
# The basket: unit prices in minor units (EUR cents) and whole quantities.
BASKET = [
    {"sku": "SKU-1", "name": "Coffee beans", "category": "grocery", "quantity": 1,
     "unit_price_minor": 1000},
    {"sku": "SKU-2", "name": "Tea tin", "category": "grocery", "quantity": 2,
     "unit_price_minor": 2550},
    {"sku": "SKU-3", "name": "Grinder brush", "category": "kitchen", "quantity": 1,
     "unit_price_minor": 4000},
    {"sku": "SKU-4", "name": "Kettle", "category": "kitchen", "quantity": 1,
     "unit_price_minor": 9999},
    {"sku": "SKU-5", "name": "Biscuits", "category": "grocery", "quantity": 3,
     "unit_price_minor": 525},
]
TARGET_COMMIT_VS_PGBENCH = 0.5
TARGET_QUOTE_VS_HEALTH = 0.5
TARGET_COMMIT_P99_MS = 25.0
CPU_GROUPS = ("all", "server", "postgres", "bench", "other")

console = make_console()


# Setup ----------------------------------------------------------------------------------------

def setup(url: str) -> tuple[list[str], list[str]]:
    """A fresh database with a tenant, a store, the tills and members with points; returns
    (till keys, phones)."""
    recreate_database(url)
    return add_tenant(url, name="Bench Checkout Ltd", migrate=True)


def add_tenant(url: str, *, name: str, migrate: bool = False) -> tuple[list[str], list[str]]:
    """A tenant called ``name`` in the database at ``url``: a store, :data:`TILLS` tills and
    :data:`MEMBERS` members with :data:`OPENING_POINTS` each (the same phone numbers in every
    tenant: members are per tenant); returns (till keys, phones)."""
    rt = open_runtime(Settings(database_url=url), migrate=migrate)
    try:
        created = tenants.create_tenant(rt, name=name, currency="EUR",
                                        locale="en_GB", timezone="Europe/London",
                                        phone_region="GB")
        tenant_id = created.tenant_id
        store = tenants.create_store(rt, tenant_id, code="main", name="Main street",
                                     actor=audit.SYSTEM)
        keys = [tenants.create_terminal(rt, tenant_id, store_id=store.id,
                                        code=f"till-{n:02d}", name=f"Till {n}",
                                        actor=audit.SYSTEM).key
                for n in range(1, TILLS + 1)]
        phones = []
        for n in range(MEMBERS):
            phone = f"+44207946{n:04d}"  # Ofcom's range for drama: never a real subscriber
            view, _ = member_registration.register(rt, tenant_id, Registration(phone=phone),
                                                   store_id=store.id)
            member_ledger.adjust(rt, tenant_id, view.id, points=OPENING_POINTS,
                                 reason="benchmark opening balance", key=f"bench-open-{n}")
            phones.append(phone)
    finally:
        rt.close()
    return keys, phones


def pgbench(url: str, clients: int, seconds: int) -> dict[str, float] | None:
    script = SHARED_SCRIPTS / "pgbench-baseline"
    if not script.exists():
        console.print(f"[yellow]skipping the pgbench baseline: {script} is absent[/yellow]")
        return None
    done = subprocess.run([str(script), libpq_url(url), str(clients), str(seconds)],
                          capture_output=True, text=True, check=False, timeout=seconds + 300)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not line.startswith("pgbench_tpcb"):
        console.print(f"[red]pgbench-baseline failed[/red] ({done.returncode}): "
                      f"{done.stderr.strip()[-300:]}")
        return None
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    return {k: float(v) for k, v in fields.items()}


# The server ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``uv run regulars serve`` in its own process group, stopped by :meth:`stop`."""

    def __init__(self, url: str, port: int, workers: int, log: Path,
                 env: dict[str, str] | None = None, cwd: Path = REPO) -> None:
        self.port = port
        self.url = url
        self.log = log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            ["uv", "run", "regulars", "serve", "--workers", str(workers), "--port", str(port),
             "--database-url", url],
            cwd=cwd, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
            # The bench's own codes may go to the log; scheduled jobs would run in the
            # measured server (they run in a worker of their own in production set-ups); its
            # made-up members' numbers may be sealed under the development key.
            env={**os.environ, "REGULARS_SMS_LOG_ALLOWED": "true", "REGULARS_SCHEDULER": "false",
                 "REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED": "true", **(env or {})})

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}): "
                                   f"{self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/v1/health",
                             timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (children spawned by multiprocessing)."""
        found = []
        for pid in sorted(descendants(self.proc.pid)):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(pid)
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self._log_file.close()


# Running phases --------------------------------------------------------------------------------

def run(executor: ProcessPoolExecutor, target: Target, phase: Phase, server: Server,
        bar: Progress) -> dict[str, Any]:
    task = bar.add_task(phase.label, total=phase.warmup + phase.seconds)
    started = time.monotonic()
    sessions0 = pg_sessions(server.url)
    waits = WaitSampler(server.url)
    roots = {f"worker {n}": pid for n, pid in enumerate(server.worker_pids(), 1)}
    roots["server"] = server.proc.pid  # uv and uvicorn's supervisor: the rest of the tree
    server_pids = set(server.worker_pids())
    backend_pids = set(pg_backends(server.url))
    queued0 = run_queue_wait(server_pids | backend_pids)
    with CpuMeter(roots) as meter, waits:
        future = executor.submit(run_phase, target, phase)
        while not future.done():
            bar.update(task, completed=min(time.monotonic() - started,
                                           phase.warmup + phase.seconds))
            time.sleep(0.25)
    result: Result = future.result()
    bar.update(task, completed=phase.warmup + phase.seconds)
    new_sessions = pg_sessions(server.url) - sessions0
    queued1 = run_queue_wait(server_pids | set(pg_backends(server.url)))
    # Threads alive at the end: one started meanwhile counts from zero, one that ended is
    # lost (so this is a lower bound; the pools keep their connections through a phase).
    queued = {task: queued1[task] - queued0.get(task, 0.0) for task in queued1}
    cpu = meter.percent()
    workers = {name: cpu.pop(name) for name in list(cpu) if name.startswith("worker ")}
    cpu["server"] += sum(workers.values())
    return {"result": result, "cpu_pct": cpu, "worker_cpu_pct": workers,
            "pg_sessions_per_s": new_sessions / (time.monotonic() - started),
            "pg_waits": waits.top(),
            "run_queue_s": {"server": sum(v for (pid, _), v in queued.items()
                                          if pid in server_pids),
                            "postgres": sum(v for (pid, _), v in queued.items()
                                            if pid not in server_pids)}}


def pg_backends(url: str) -> list[int]:
    """Process ids of the client backends connected to the bench database."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return [int(r[0]) for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")]


class WaitSampler:
    """What the bench database's backends are doing, sampled ten times a second from
    pg_stat_activity: 'CPU' for an active backend with no wait event, else the event
    (``Lock:transactionid`` is a row lock held by another transaction, ``IO:WALSync`` a
    commit's flush, ``Client:ClientRead`` a backend idle in a transaction waiting for the
    application). Shares of all samples of non-idle backends."""

    def __init__(self, url: str) -> None:
        self.url = libpq_url(url)
        self.counts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.1):
                for state, kind, event in conn.execute(
                        "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend' AND state <> 'idle'"):
                    key = "CPU" if kind is None else f"{kind}:{event}"
                    if state == "idle in transaction":
                        key = f"idle in transaction ({key})"
                    self.counts[key] = self.counts.get(key, 0) + 1

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def top(self, n: int = 5) -> dict[str, float]:
        total = sum(self.counts.values()) or 1
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])[:n]
        return {k: round(100 * v / total, 1) for k, v in ranked}


def pg_sessions(url: str) -> int:
    """Sessions ever opened on the bench database (PostgreSQL 14+): its delta over a phase
    shows whether the server's connection pools keep their connections or churn them."""
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT sessions FROM pg_stat_database "
                           "WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0


def start_py_spy(server: Server, out_dir: str, phase: Phase) -> subprocess.Popen[bytes]:
    """Sample every server process for the measured part of ``phase`` (py-spy via uvx;
    ptrace must be allowed). The samples are collapsed stacks, one file per phase."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        ["uvx", "py-spy", "record", "--pid", str(server.proc.pid), "--subprocesses",
         "--format", "raw", "--rate", "250", "--nonblocking",
         "--duration", str(int(phase.warmup + phase.seconds)),
         "-o", str(Path(out_dir) / f"{phase.label}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(measured: dict[str, Any]) -> dict[str, Any]:
    r: Result = measured["result"]
    out: dict[str, Any] = {
        "kind": r.kind, "label": r.label, "concurrency": r.concurrency, "client": r.client,
        "per_second": r.per_second, "completed": r.completed, "errors": r.errors,
        "error_samples": r.error_samples, "window_s": r.window, "rate": r.rate,
        "scheduled": r.scheduled,
        "cpu_pct": measured["cpu_pct"],
        "pg_sessions_per_s": measured["pg_sessions_per_s"],
        "pg_waits": measured["pg_waits"],
        "worker_cpu_pct": measured["worker_cpu_pct"],
        # Time the server's threads and the database's backends spent runnable but waiting
        # for a CPU (the kernel's run queue), per completed request or pair, in ms.
        "run_queue_ms_per_request": {
            name: 1000 * seconds / r.completed if r.completed else None
            for name, seconds in measured["run_queue_s"].items()},
    }
    for name, values in r.latencies_ms.items():
        out[f"{name}_p50_ms"] = percentile(values, 0.50)
        out[f"{name}_p99_ms"] = percentile(values, 0.99)
    if r.late_start_ms:
        out["late_start_p99_ms"] = percentile(r.late_start_ms, 0.99)
    return out


def receipts_in(url: str) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT count(*) FROM receipts").fetchone()
    return int(row[0]) if row else 0


# Report -------------------------------------------------------------------------------------

def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "[yellow]n/a[/yellow]"
    return "[green]PASS[/green]" if ok else "[red]FAIL[/red]"


def report(results: dict[str, dict[str, Any]], tpcb: dict[str, float] | None,
           half_rate: dict[str, Any] | None, quote_after: dict[str, Any] | None) -> bool:
    table = Table(title="Checkout over HTTP (regulars serve --workers 2, PostgreSQL)")
    for name in ("clients", "health req/s", "ready req/s", "ready/health", "quote req/s",
                 "quote/health",
                 "commits/s (pairs)", "commits/pgbench", "quote p50/p99 ms",
                 "commit p50/p99 ms", "errors", "new PG sessions/s (checkout)",
                 "CPU % (checkout phase): all / server / postgres / generator / other"):
        table.add_column(name, justify="right")
    for c in CONCURRENCY:
        h, r, q, k = (results[f"{kind}-c{c}"] for kind in (HEALTH, READY, QUOTE, CHECKOUT))
        table.add_row(
            str(c), fmt(h["per_second"], 0), fmt(r["per_second"], 0),
            fmt(r["per_second"] / h["per_second"] if h["per_second"] else None, 2),
            fmt(q["per_second"], 0),
            fmt(q["per_second"] / h["per_second"] if h["per_second"] else None, 2),
            fmt(k["per_second"], 0),
            fmt(k["per_second"] / tpcb["tps"] if tpcb else None, 2),
            f"{fmt(q.get('quote_p50_ms'))} / {fmt(q.get('quote_p99_ms'))}",
            f"{fmt(k.get('commit_p50_ms'))} / {fmt(k.get('commit_p99_ms'))}",
            str(h["errors"] + r["errors"] + q["errors"] + k["errors"]),
            fmt(k["pg_sessions_per_s"], 0),
            " / ".join(fmt(k["cpu_pct"][g], 0) for g in CPU_GROUPS))
    console.print(table)
    for c in CONCURRENCY:
        k = results[f"{CHECKOUT}-c{c}"]
        console.print(f"PostgreSQL backends during checkout at {c} clients (share of samples): "
                      + ", ".join(f"{name} {pct:.0f} %" for name, pct in k["pg_waits"].items())
                      + "; server workers' CPU %: "
                      + " / ".join(f"{pct:.0f}" for pct in k["worker_cpu_pct"].values()))
    for kind in (HEALTH, READY, QUOTE):
        console.print(f"server workers' CPU % during {kind} at 1 / 8 / 32 clients: " + ", ".join(
            " / ".join(f"{pct:.0f}" for pct in results[f"{kind}-c{c}"]["worker_cpu_pct"]
                       .values()) for c in CONCURRENCY))
    if tpcb:
        console.print(f"pgbench TPC-B, 8 clients, same run: {tpcb['tps']:,.0f} tps, "
                      f"latency avg {tpcb['latency_avg_ms']:.2f} ms")
    if half_rate:
        console.print(
            f"open loop at {half_rate['rate']:,.0f} pairs/s (half of the best commit rate): "
            f"{half_rate['per_second']:,.0f} commits/s achieved, commit p50/p99 "
            f"{fmt(half_rate.get('commit_p50_ms'))} / {fmt(half_rate.get('commit_p99_ms'))} ms, "
            f"pair p99 from its due time {fmt(half_rate.get('pair_from_due_p99_ms'))} ms, "
            f"{half_rate['errors']} errors")
    for label, phase in ((f"checkout at {c} clients", results[f"{CHECKOUT}-c{c}"])
                         for c in CONCURRENCY):
        queued = phase.get("run_queue_ms_per_request") or {}
        console.print(f"waiting for a CPU (run queue) per pair, {label}: server threads "
                      f"{fmt(queued.get('server'))} ms, PostgreSQL backends "
                      f"{fmt(queued.get('postgres'))} ms")
    if half_rate:
        queued = half_rate.get("run_queue_ms_per_request") or {}
        console.print(f"waiting for a CPU (run queue) per pair, open loop: server threads "
                      f"{fmt(queued.get('server'))} ms, PostgreSQL backends "
                      f"{fmt(queued.get('postgres'))} ms")
    if quote_after:
        before = results[f"{QUOTE}-c8"]
        console.print(f"quote at 8 clients after the checkout phases: "
                      f"{quote_after['per_second']:,.0f} req/s "
                      f"(p99 {fmt(quote_after.get('quote_p99_ms'))} ms) vs "
                      f"{before['per_second']:,.0f} req/s before")

    targets = Table(title="Targets")
    for name in ("target", "measured", "baseline", "ratio", "required", "verdict"):
        targets.add_column(name, justify="right" if name != "target" else "left")
    ok_all = True
    best_commit = max(results[f"{CHECKOUT}-c{c}"]["per_second"] for c in CONCURRENCY)
    for c in CONCURRENCY:
        commits = results[f"{CHECKOUT}-c{c}"]["per_second"]
        ratio = commits / tpcb["tps"] if tpcb else None
        ok = None if ratio is None else ratio >= TARGET_COMMIT_VS_PGBENCH
        ok_all &= ok is not False
        targets.add_row(f"commits/s ≥ 0.5× pgbench TPC-B (c={c})", fmt(commits, 0),
                        fmt(tpcb["tps"], 0) if tpcb else "–", fmt(ratio, 2), "≥ 0.50",
                        verdict(ok))
    for c in CONCURRENCY:
        quote = results[f"{QUOTE}-c{c}"]["per_second"]
        health = results[f"{HEALTH}-c{c}"]["per_second"]
        ratio = quote / health if health else None
        ok = None if ratio is None else ratio >= TARGET_QUOTE_VS_HEALTH
        ok_all &= ok is not False
        targets.add_row(f"quote ≥ 0.5× trivial endpoint (c={c})", fmt(quote, 0),
                        fmt(health, 0), fmt(ratio, 2), "≥ 0.50", verdict(ok))
    if half_rate:
        p99 = half_rate.get("commit_p99_ms", float("nan"))
        ok = bool(p99 <= TARGET_COMMIT_P99_MS) and half_rate["errors"] == 0
        ok_all &= ok
        targets.add_row(f"commit p99 ≤ 25 ms at half max rate ({half_rate['rate']:,.0f}/s)",
                        f"{fmt(p99)} ms", f"max {best_commit:,.0f}/s",
                        fmt(p99 / TARGET_COMMIT_P99_MS, 2), "≤ 1.00", verdict(ok))
    console.print(targets)
    return ok_all


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds a phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds a phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--spend-points", type=int, default=10,
                        help="points each receipt redeems (0: earn only)")
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--open-loop-connections", type=int, default=64)
    parser.add_argument("--wait-idle", type=float, default=300.0,
                        help="wait up to this many seconds for other work on the machine "
                             "to fall below half a core before measuring")
    parser.add_argument("--py-spy", metavar="DIR",
                        help="sample the server with py-spy (uvx) during the 8-client quote "
                             "and checkout phases; collapsed stacks go to DIR")
    parser.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    parser.add_argument("--promotions", type=int, choices=range(1, 5), metavar="N",
                        help="only compare quote throughput with N (1-4) active promotions "
                             "to none (see checkout_promotions.py)")
    parser.add_argument("--budgets", action="store_true",
                        help="with --promotions 1: quote+commit pairs with one promotion "
                             "without a cap, with one, and with one that runs out, to none "
                             "(see checkout_budgets.py)")
    parser.add_argument("--rounds", type=int, default=6,
                        help="with --budgets: rounds of every side, in rotating order")
    parser.add_argument("--tenders", action="store_true",
                        help="only compare pairs paying 10.00 by certificate to pairs without, "
                             "and quotes of members without stored value (see "
                             "checkout_tenders.py)")
    parser.add_argument("--port", type=int, default=0,
                        help="the server's port with --tenders or --budgets (0: any free port)")
    args = parser.parse_args()
    if args.tenders:
        from checkout_tenders import run_mode as run_tenders
        return run_tenders(args)
    if args.budgets:
        from checkout_budgets import run_mode as run_budgets
        return run_budgets(args)
    if args.promotions:
        from checkout_promotions import run_mode
        return run_mode(args)
    url = libpq_url(args.database_url)

    console.rule("regulars checkout benchmark")
    wait_for_quiet(console, args.wait_idle)
    with console.status("creating the database, tenant, 32 tills and 50 members"):
        till_keys, phones = setup(url)
        analyze(url)
    console.print(f"machine: {machine()}; {server_version(url)}; code {code_version()}")
    console.print(f"database {url}; {args.workers} workers; client {args.client}; "
                  f"{args.seconds:g} s a phase after {args.warmup:g} s warm-up; basket of "
                  f"{len(BASKET)} lines spending {args.spend_points} points")
    with console.status(f"pgbench TPC-B, 8 clients, {args.pgbench_seconds} s"):
        tpcb = pgbench(url, 8, args.pgbench_seconds)
    if tpcb:
        console.print(f"pgbench TPC-B 8 clients: {tpcb['tps']:,.0f} tps")

    port = free_port()
    log = Path(tempfile.gettempdir()) / f"regulars-bench-server-{port}.log"
    target = Target(host="127.0.0.1", port=port, till_keys=till_keys, phones=phones,
                    lines=BASKET, spend_points=args.spend_points,
                    run_tag=uuid.uuid4().hex[:8])
    results: dict[str, dict[str, Any]] = {}
    half_rate = quote_after = None
    server = Server(url, port, args.workers, log)
    try:
        with console.status(f"starting the server on port {port}"):
            server.wait_ready()
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool, \
                Progress(TextColumn("{task.description:<28}"), BarColumn(),
                         TimeElapsedColumn(), console=console) as bar:
            w = args.warmup
            run(pool, target, Phase(CHECKOUT, 8, 3.0, 0.0, args.client, label="warm-up"),
                server, bar)
            for kind in (HEALTH, READY, QUOTE, CHECKOUT):
                for c in CONCURRENCY:
                    phase = Phase(kind, c, args.seconds, w, args.client, label=f"{kind}-c{c}")
                    spy = (start_py_spy(server, args.py_spy, phase)
                           if args.py_spy and kind in (QUOTE, CHECKOUT) and c == 8 else None)
                    results[phase.label] = summarise(run(pool, target, phase, server, bar))
                    if spy:
                        spy.wait(timeout=60)
            best = max(results[f"{CHECKOUT}-c{c}"]["per_second"] for c in CONCURRENCY)
            phase = Phase(OPEN_LOOP, args.open_loop_connections, args.seconds, w, args.client,
                          rate=best / 2, label="open-loop-half-rate")
            half_rate = summarise(run(pool, target, phase, server, bar))
            phase = Phase(QUOTE, 8, args.seconds, w, args.client, label="quote-c8-after")
            quote_after = summarise(run(pool, target, phase, server, bar))
    finally:
        server.stop()
    written = receipts_in(url)
    ok = report(results, tpcb, half_rate, quote_after)
    console.print(f"receipts in the database: {written:,}; server log {log}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
            "postgres": server_version(url), "code": code_version(), "args": vars(args),
            "pgbench": tpcb,
            "phases": results, "open_loop": half_rate, "quote_after": quote_after,
            "receipts": written, "targets_pass": ok}, indent=2, default=_jsonable))
    return 0 if ok else 1


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
