"""Benchmark: ``regulars expire`` over 1M members holding 3M lots, on PostgreSQL.

Target (from the issue): the whole command finishes in 60 s or less.

    uv run python bench/expire.py                      # 1M members, 3M lots (a few minutes)
    uv run python bench/expire.py --members 100000     # a quick run

The script (re)creates its own database (``bench_expire`` by default, never ``test``), builds
the schema and a tenant through the services, then bulk-loads members, accounts, earn entries
with balanced postings, lots and lot moves with ``INSERT ... SELECT generate_series`` (the
services would take hours). Cached balances equal each member's lot sum, so ``regulars ledger
check`` passes before and after. Lots are numbered in the order they were earned and members
are interleaved (``--layout interleaved``, the realistic case: a batch of lots in id order
touches thousands of members), or each member's lots are adjacent (``--layout grouped``).
By default 80 % of the lots are due, the oldest ones.

It then times, each as its own ``uv run regulars ...`` process: ``expire``, ``expire`` again
(must find nothing), and ``ledger check``; and prints the figures and the ratio to the target.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _common import (
    REPO,
    CpuMeter,
    code_version,
    copy_database,
    libpq_url,
    machine,
    make_console,
    recreate_database,
    server_version,
    wait_for_quiet,
)
from regulars.config import Settings
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import tenants

TARGET_SECONDS = 60.0
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_expire"

console = make_console()


@dataclass(frozen=True)
class Shape:
    members: int
    lots_per_member: int
    due_fraction: float
    layout: str

    @property
    def lots(self) -> int:
        return self.members * self.lots_per_member

    @property
    def due(self) -> int:
        return int(self.lots * self.due_fraction)

    def stride(self) -> int:
        """A multiplier coprime with ``members`` that scatters consecutive lots over members."""
        for candidate in (7919, 104_729, 15_485_863, 1):
            if math.gcd(candidate, self.members) == 1:
                return candidate % max(self.members, 1) or 1
        return 1


def member_expr(shape: Shape) -> str:
    """SQL for the member number (1..M) of lot ``i`` (1..L)."""
    if shape.layout == "grouped":
        return f"((i - 1) / {shape.lots_per_member} + 1)"
    return (f"(mod(mod(i - 1, {shape.members}) * {shape.stride()}::bigint, {shape.members})"
            " + 1)")


def load_steps(shape: Shape, *, tenant_id: int, issued_id: int, acct_base: int,
               now: datetime) -> list[tuple[str, str, dict[str, object]]]:
    """(label, SQL, params) that fill the ledger for ``shape``; run in order, one transaction.

    Lot ``i`` earns ``10 + i*7 % 90`` points. Lots ``1..due`` expired between one day and a
    few weeks ago (earned a year before that); the rest expire in 30+ days.
    """
    m = member_expr(shape)
    pts = "(10 + mod(i * 7, 90))"
    expires = (f"(CASE WHEN i <= {shape.due} "
               f"THEN %(now)s - interval '1 day' - ({shape.due} - i) * interval '1 second' "
               f"ELSE %(now)s + interval '30 days' + (i - {shape.due}) * interval '1 second' "
               "END)")
    earned = f"({expires} - interval '365 days')"
    lots_series = f"generate_series(1, {shape.lots}) AS i"
    p: dict[str, object] = {"t": tenant_id, "now": now, "issued": issued_id,
                            "base": acct_base}
    return [
        ("members", f"""
            INSERT INTO members (id, tenant_id, phone_index, consent, profile, status,
                                 qr_sealed, created_at)
            SELECT n, %(t)s, 'bench' || n, 'full', '{{}}', 'active',
                   'Qbench' || n, %(now)s - interval '2 years'
            FROM generate_series(1, {shape.members}) AS n""", p),
        ("accounts", f"""
            INSERT INTO accounts (id, tenant_id, member_id, asset, balance, held, debt)
            SELECT %(base)s + mm, %(t)s, mm, 'points', total, 0, 0
            FROM (SELECT {m} AS mm, sum({pts}) AS total FROM {lots_series} GROUP BY 1) s""",
         p),
        ("earn entries", f"""
            INSERT INTO entries (id, tenant_id, code, idempotency_key, member_id,
                                 program_version, points, memo, occurred_at, recorded_at)
            SELECT i, %(t)s, 'earn', 'bench:earn:' || i, {m}, 1, {pts},
                   '{{"why": [{{"code": "bench", "params": {{}}}}]}}', {earned}, {earned}
            FROM {lots_series}""", p),
        ("postings", f"""
            INSERT INTO postings (id, tenant_id, entry_id, account_id, amount)
            SELECT 2 * i - 1 + side, %(t)s, i,
                   CASE WHEN side = 0 THEN %(issued)s ELSE %(base)s + {m} END,
                   CASE WHEN side = 0 THEN -{pts} ELSE {pts} END
            FROM {lots_series}, (VALUES (0), (1)) AS sides(side)""", p),
        ("lots", f"""
            INSERT INTO lots (id, tenant_id, account_id, entry_id, amount, remaining,
                              available_at, expires_at)
            SELECT i, %(t)s, %(base)s + {m}, i, {pts}, {pts}, {earned}, {expires}
            FROM {lots_series}""", p),
        ("lot moves", f"""
            INSERT INTO lot_moves (id, tenant_id, entry_id, lot_id, amount)
            SELECT i, %(t)s, i, i, {pts} FROM {lots_series}""", p),
    ]


def build(url: str, shape: Shape) -> float:
    """Create the database and load ``shape``; return the seconds the load took."""
    started = time.perf_counter()
    recreate_database(url)
    rt = open_runtime(Settings(database_url=url), migrate=True)
    try:
        created = tenants.create_tenant(rt, name="Bench Expire Ltd", currency="EUR",
                                        locale="en_GB", timezone="UTC", phone_region="GB")
    finally:
        rt.close()
    now = datetime.now(UTC)
    with psycopg.connect(libpq_url(url)) as conn:
        issued_id = conn.execute(
            "SELECT id FROM accounts WHERE tenant_id = %s AND system_code = 'issued' "
            "AND asset = 'points'",
            (created.tenant_id,)).fetchone()
        acct_base = conn.execute("SELECT coalesce(max(id), 0) FROM accounts").fetchone()
        assert issued_id and acct_base
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET work_mem = '256MB'")
        try:  # skip foreign-key triggers while loading rows that are consistent by design
            conn.execute("SET session_replication_role = replica")
        except psycopg.Error:
            conn.rollback()
        steps = load_steps(shape, tenant_id=created.tenant_id, issued_id=issued_id[0],
                           acct_base=acct_base[0], now=now)
        with _progress() as bar:
            task = bar.add_task("loading", total=len(steps) + 2)
            for label, statement, params in steps:
                bar.update(task, description=f"loading {label}")
                t0 = time.perf_counter()
                conn.execute(statement, params)  # type: ignore[arg-type]
                bar.console.log(f"loaded {label} in {time.perf_counter() - t0:.1f} s")
                bar.advance(task)
            bar.update(task, description="setting sequences")
            for table in ("members", "accounts", "entries", "postings", "lots", "lot_moves"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))")
            conn.commit()
            bar.advance(task)
            # autovacuum may be off on this server: what a live database would have done.
            bar.update(task, description="VACUUM ANALYZE")
            conn.autocommit = True
            t0 = time.perf_counter()
            conn.execute("VACUUM ANALYZE")
            bar.console.log(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")
            bar.advance(task)
    return time.perf_counter() - started


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
        "{task.completed}/{task.total}"), TimeElapsedColumn(), console=console)


@dataclass(frozen=True)
class Run:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def regulars(args: list[str], *, timeout: float, profile: str | None = None,
             reference: bool = False) -> Run:
    """Run ``uv run regulars ARGS`` (or under cProfile into ``profile``, or, for ``expire``
    with ``reference``, the implementation it replaced) and time it all."""
    if reference:
        command = ["uv", "run", "python", str(REPO / "bench" / "expire_reference.py"),
                   *args[1:]]
    elif profile:
        command = ["uv", "run", "python", "-m", "cProfile", "-o", profile, "-m",
                   "regulars.cli.main", *args]
    else:
        command = ["uv", "run", "regulars", *args]
    started = time.perf_counter()
    # A session of its own, so a timeout stops uv *and* the Python process under it.
    # The bench's members hold no phone: the development key only lets the CLI start.
    env = {**os.environ, "REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED": "true"}
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        return Run(time.perf_counter() - started, -1, _text(out), _text(err), timed_out=True)
    return Run(time.perf_counter() - started, proc.returncode, out, err)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def state(url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("""
            SELECT (SELECT count(*) FROM lots WHERE remaining > 0 AND expires_at <= now()),
                   (SELECT count(DISTINCT account_id) FROM lots
                    WHERE remaining > 0 AND expires_at <= now()),
                   (SELECT count(*) FROM lots WHERE remaining > 0),
                   (SELECT count(*) FROM entries WHERE code = 'expire'),
                   (SELECT coalesce(-sum(points), 0) FROM entries WHERE code = 'expire'),
                   (SELECT count(*) FROM members),
                   (SELECT count(*) FROM lots)""").fetchone()
    assert row
    keys = ("due_lots", "due_accounts", "open_lots", "expire_entries", "expired_points",
            "members", "lots")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def wal_stats(url: str) -> dict[str, float]:
    """Server-wide WAL and checkpoint counters (PostgreSQL 14+)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("""
            SELECT w.wal_bytes, w.wal_fpi, b.checkpoints_req, b.checkpoints_timed,
                   b.buffers_backend
            FROM pg_stat_wal w, pg_stat_bgwriter b""").fetchone()
    assert row
    keys = ("wal_bytes", "wal_fpi", "checkpoints_req", "checkpoints_timed", "buffers_backend")
    return dict(zip(keys, (float(v) for v in row), strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lots-per-member", type=int, default=3)
    parser.add_argument("--due-fraction", type=float, default=0.8)
    parser.add_argument("--layout", choices=("interleaved", "grouped"), default="interleaved")
    parser.add_argument("--workers", type=int, default=None,
                        help="passed to `regulars expire` (its default when not given)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="passed to `regulars expire` (its default when not given)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="stop `regulars expire` after this many seconds")
    parser.add_argument("--profile", metavar="PATH",
                        help="run the first expire under cProfile, writing stats to PATH")
    parser.add_argument("--wait-idle", type=float, default=300.0,
                        help="wait up to this many seconds for other work on the machine "
                             "to fall below half a core before timing the expire")
    parser.add_argument("--reference", action="store_true",
                        help="time the implementation before the set-based rewrite instead "
                             "(bench/expire_reference.py); the rest of the run is the same")
    parser.add_argument("--load-only", action="store_true",
                        help="build and load the database, then stop (for profiling)")
    parser.add_argument("--copy-of", metavar="DATABASE",
                        help="instead of loading, copy this database, loaded earlier with "
                             "--load-only --database-url (the shape options must match it)")
    parser.add_argument("--skip-check", action="store_true",
                        help="do not run `regulars ledger check` afterwards")
    args = parser.parse_args()
    url = libpq_url(args.database_url)
    shape = Shape(args.members, args.lots_per_member, args.due_fraction, args.layout)

    console.rule("regulars expire benchmark")
    console.print(f"shape: {shape.members:,} members, {shape.lots:,} lots, {shape.due:,} due "
                  f"({shape.layout}); database {url}")
    if args.copy_of:
        started = time.perf_counter()
        copy_database(url, args.copy_of)
        load_seconds = time.perf_counter() - started
    else:
        load_seconds = build(url, shape)
    console.print(f"machine: {machine()}; {server_version(url)}; code {code_version()}")
    before = state(url)
    console.print(f"{'copied' if args.copy_of else 'loaded'} in {load_seconds:.1f} s: {before}")
    if args.load_only:
        return 0

    expire_args = ["expire", "--database-url", url]
    if args.batch_size:
        expire_args += ["--batch-size", str(args.batch_size)]
    if args.workers:
        expire_args += ["--workers", str(args.workers)]
    console.print(("running the reference implementation with: " if args.reference else
                   "running: uv run regulars ") + " ".join(expire_args))
    wait_for_quiet(console, args.wait_idle)
    wal0 = wal_stats(url)
    with CpuMeter() as meter:
        first = regulars(expire_args, timeout=args.timeout, profile=args.profile,
                         reference=args.reference)
    cpu = meter.percent()
    wal = {k: wal_stats(url)[k] - v for k, v in wal0.items()}
    after = state(url)
    _report_run("expire", first)
    second = regulars(expire_args, timeout=args.timeout)
    _report_run("expire again", second)
    check = None if args.skip_check else regulars(
        ["ledger", "check", "--database-url", url], timeout=args.timeout)
    if check:
        _report_run("ledger check", check)

    table = Table(title=f"regulars expire: {shape.members:,} members, {shape.lots:,} lots "
                        f"({shape.layout})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("verdict")
    expected_entries = None if args.reference else before["due_accounts"]
    finished = not first.timed_out and first.returncode == 0 and after["due_lots"] == 0
    ratio = first.seconds / TARGET_SECONDS
    scaled = _scaled_to_target(shape, first.seconds)
    which = "reference (before) expire" if args.reference else "expire"
    table.add_row(f"{which}, whole command (s)", f"{first.seconds:.1f}", f"≤ {TARGET_SECONDS:.0f}",
                  f"{ratio:.2f}×", _verdict(finished and first.seconds <= TARGET_SECONDS,
                                            scaled))
    table.add_row("lots expired", f"{before['due_lots'] - after['due_lots']:,}",
                  f"{before['due_lots']:,}", "", _verdict(after["due_lots"] == 0))
    table.add_row("expire entries written (one per member)", f"{after['expire_entries']:,}",
                  f"{expected_entries:,}" if expected_entries else "", "",
                  _verdict(expected_entries is None
                           or after["expire_entries"] == expected_entries))
    table.add_row("CPU % during expire: all / expire CLI / postgres / other",
                  " / ".join(f"{cpu[g]:.0f}" for g in ("all", "bench", "postgres", "other")),
                  "", "", "")
    table.add_row("WAL during expire: GB / full-page images / checkpoints requested",
                  f"{wal['wal_bytes'] / 1e9:.1f} / {wal['wal_fpi']:,.0f} / "
                  f"{wal['checkpoints_req']:.0f}", "", "", "")
    table.add_row("lots/s", f"{before['due_lots'] / first.seconds:,.0f}", "", "", "")
    table.add_row("expire again (s), writes nothing", f"{second.seconds:.1f}", "", "",
                  _verdict("expired 0 points in 0 lots" in second.stdout))
    if check:
        table.add_row("ledger check (s)", f"{check.seconds:.1f}", "", "",
                      _verdict(check.returncode == 0))
    table.add_row("copy of a loaded database (s)" if args.copy_of else
                  "bulk load incl. VACUUM (s)", f"{load_seconds:.1f}", "", "", "")
    console.print(table)
    if scaled:
        console.print(f"[yellow]scaled-down run: verdict on the 60 s target applies to 1M "
                      f"members; linear extrapolation gives ≈ {scaled:.0f} s[/yellow]")
    # A scaled-down run cannot miss the 1M target; it fails only when it did not finish.
    return 0 if finished and (scaled is not None or first.seconds <= TARGET_SECONDS) else 1


def _scaled_to_target(shape: Shape, seconds: float) -> float | None:
    if shape.members >= 1_000_000:
        return None
    return seconds * 1_000_000 / shape.members


def _verdict(ok: bool, scaled: float | None = None) -> str:
    if scaled is not None:
        return "(scaled run)"
    return "[green]PASS[/green]" if ok else "[red]FAIL[/red]"


def _report_run(label: str, run: Run) -> None:
    tail = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()][-3:]
    status = "timed out" if run.timed_out else f"exit {run.returncode}"
    console.print(f"{label}: {run.seconds:.2f} s, {status}")
    for line in tail:
        console.print("   " + re.sub(r"\s+", " ", line)[:160], markup=False, highlight=False)


if __name__ == "__main__":
    sys.exit(main())
