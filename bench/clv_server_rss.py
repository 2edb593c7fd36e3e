"""Memory of the API process while it serves the CLV report for a large tenant with a fit:
the server's peak resident memory (``VmHWM``), measured through ``regulars serve``, against
the in-process figure of ``bench/clv_memory.py`` measured in the same run.

    uv run python bench/clv_server_rss.py --url postgresql://.../bench_clvrss --port 8119
    uv run python bench/clv_server_rss.py --url ... --reuse      # the database built before

Builds (without ``--reuse``) a database with one tenant whose ``--members`` members made the
purchases ``bench/clv_memory.py`` draws (seeded, from the BG/NBD and Gamma-Gamma processes of
``bench/clv.py``): one committed receipt per purchase, copied in, the 39 weeks of draws ending
on ``END``. Then makes an owner key and an owner's console session, starts ``regulars serve``
on ``--port`` against the database, reads the server's ``VmRSS`` (with its anonymous and
file-backed parts) and ``VmHWM`` from ``/proc``, asks for the CLV report's first page
(``/v1/admin/analytics/clv``) and then the console's CLV page, reading them after each (the
peak set back to the RSS before each request through ``/proc/PID/clear_refs``, so that each
reading is that request's own peak); the server is stopped at the end. Last, ``bench/clv_memory.py
--way grouped`` runs in a process of its own on the same draws, and the server's peak above
its start is set against that in-process peak above its start (numpy and scipy imported).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from _common import analyze, code_version, libpq_url, machine, make_console
from analytics import new_tenant
from analytics_rss import memory_mb, reset_peak, start_server, stop
from clv import CALIBRATION_WEEKS, START
from clv_memory import purchases
from regulars.config import Settings
from regulars.services.audit import audit
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import settings, tenants
from regulars.services.web_sessions import sessions

END = date(2026, 12, 6)
"""The calibration end the report is asked for: the draws' last day."""
NOW = datetime(2026, 12, 7, tzinfo=UTC)
TARGET_MB = 300
EMAIL = "owner@bench.example"
PASSWORD = "bench-owner-password"  # noqa: S105  (a scratch database's own owner)
console = make_console()


def build(url: str, *, members: int, seed: int) -> int:
    """The tenant, its members and one receipt per drawn purchase; the receipts' count."""
    tenant_id, store_id, till_id, _ = new_tenant(url, "Bench CLV Ltd")
    shift = (END - timedelta(weeks=CALIBRATION_WEEKS)).toordinal() - START.toordinal()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("""INSERT INTO members (id, tenant_id, phone_index, consent, profile,
                            status, qr_sealed, store_id, created_at)
            SELECT n, %(t)s, 'bench' || n, 'full', '{}', 'active', 'Qbench' || n, %(s)s,
                   %(now)s - interval '400 days'
            FROM generate_series(1, %(m)s) AS n""",
                     {"t": tenant_id, "s": store_id, "now": NOW, "m": members})
        console.print(f"  members: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        count = _copy_receipts(conn, (tenant_id, till_id, store_id),
                               purchases(members, seed), shift)
        console.print(f"  receipts: {count:,} in {time.perf_counter() - started:.1f} s")
    analyze(url)
    return count


def _copy_receipts(conn: psycopg.Connection[Any], where: tuple[int, int, int],
                   drawn: Any, shift: int) -> int:
    tenant_id, till_id, store_id = where
    count = 0
    with conn.cursor().copy(
            """COPY receipts (id, tenant_id, terminal_id, store_id, receipt_no, member_id,
                   status, program_version, gross_minor, discount_minor, points_spent,
                   points_discount_minor, paid_minor, points_earned, refunded_paid_minor,
                   request_hash, response, occurred_at, recorded_at) FROM STDIN""") as copy:
        for member_id, day, amount in drawn:
            count += 1
            at = datetime.combine(date.fromordinal(day + shift), datetime.min.time(),
                                  UTC) + timedelta(hours=12)
            copy.write_row((count, tenant_id, till_id, store_id, f"R{count}", member_id,
                            "committed", 1, amount, 0, 0, 0, amount, 0, 0, "", "{}", at, at))
    return count


def sign_in(url: str) -> tuple[str, str]:
    """An owner key with the ``analytics`` scope and an owner's console session token."""
    rt = open_runtime(Settings(database_url=url), migrate=False)
    try:
        key = tenants.create_owner_key(rt, 1, "bench clv rss", scopes=["analytics"],
                                       actor=audit.SYSTEM).key
        try:
            settings.add_staff(rt, 1, name="Owner", email=EMAIL, role="owner", store_id=None,
                               password=PASSWORD, actor=audit.SYSTEM)
        except Exception:  # noqa: BLE001  (made by an earlier run on --reuse)
            pass
        token = sessions.staff_sign_in(rt, email=EMAIL, password=PASSWORD).token
    finally:
        rt.close()
    return key, token


def serve(args: argparse.Namespace, key: str, token: str) -> list[tuple[str, dict[str, float]]]:
    """The server's memory at start and after each request."""
    base = f"http://127.0.0.1:{args.port}"
    day = {"calibration_end": END.isoformat()}
    api, cookies = {"Authorization": f"Bearer {key}"}, {"rg_console": token}
    asked = [("CLV report, first page", f"{base}/v1/admin/analytics/clv", api, {}),
             ("console CLV page", f"{base}/console/analytics/clv", {}, cookies)]
    if args.sequence:
        tables = f"{base}/v1/admin/analytics/tables"
        asked += [("table clv (CSV)", f"{tables}/clv", api, {}),
                  ("table clv (XLSX)", f"{tables}/clv", api, {}, {"format": "xlsx"}),
                  ("console CLV file (XLSX)", f"{base}/console/analytics/clv.xlsx", {}, cookies),
                  ("console CLV page, again", f"{base}/console/analytics/clv", {}, cookies),
                  ("CLV report, again", f"{base}/v1/admin/analytics/clv", api, {})]
    with httpx.Client(timeout=3600) as client:
        server = start_server(args.url, args.port, client)
        try:
            found = [("start", memory_mb(server.pid))]
            for label, path, headers, cookies, *more in asked:
                own = reset_peak(server.pid)
                started = time.perf_counter()
                answer = client.get(path, params={**day, **(more[0] if more else {})},
                                    headers=headers, cookies=cookies)
                answer.raise_for_status()
                seconds = time.perf_counter() - started
                found.append((f"{label} ({seconds:.0f} s, {len(answer.content):,} bytes)",
                              {**memory_mb(server.pid), "own": float(own)}))
                # as it comes: a long sequence may be stopped before its end
                print(f"{found[-1][0]}: {_line(found[-1][1])}", flush=True)
        finally:
            stop(server)
    return found


def _line(mb: dict[str, float]) -> str:
    """One reading: RSS (anonymous + file-backed) and the peak, the request's own when the
    peak was reset before it."""
    peak = "its own peak" if mb.get("own") else "peak"
    return (f"RSS {mb['VmRSS']:.0f} MB (anon {mb['RssAnon']:.0f}, file {mb['RssFile']:.0f}), "
            f"{peak} {mb['VmHWM']:.0f} MB")


IMPORTS = """
from pathlib import Path
def rss():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines()
                if l.startswith("VmRSS"))
    return int(line.split()[1]) / 1024
import uvicorn, regulars.api.app
before = rss()
import scipy.optimize, scipy.special
import regulars.analytics.bgnbd, regulars.analytics.gamma_gamma, regulars.analytics.clv
print(rss() - before)
"""


def imports_mb() -> float:
    """What the first CLV request imports (scipy and the models) adds to a process that has
    imported the API's modules, in MB: the part of the server's growth the in-process figure
    leaves out (its start has them imported)."""
    done = subprocess.run([sys.executable, "-c", IMPORTS], check=True, capture_output=True,
                          text=True)
    return float(done.stdout.strip())


def in_process(members: int, seed: int) -> tuple[float, str]:
    """``bench/clv_memory.py --way grouped``'s peak above its start, and its output."""
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("clv_memory.py")),
                           "--members", str(members), "--seed", str(seed), "--way", "grouped"],
                          check=True, capture_output=True, text=True)
    found = re.search(r"after the report\s+(\d+) MB", done.stdout)
    if found is None:
        raise SystemExit(f"no peak in bench/clv_memory.py's output:\n{done.stdout}")
    return float(found.group(1)), done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, default=8119)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="the database built before")
    parser.add_argument("--sequence", action="store_true",
                        help="after the two requests, the clv table as CSV and XLSX (API and "
                             "console) and both pages again, on the same server")
    parser.add_argument("--server-only", action="store_true",
                        help="leave out the in-process run and the import check")
    args = parser.parse_args()
    console.print(machine(), code_version())
    if not args.reuse:
        build(args.url, members=args.members, seed=args.seed)
    key, token = sign_in(args.url)
    found = serve(args, key, token)
    start = found[0][1]["VmRSS"]
    for label, mb in found:
        console.print(f"{label}: {_line(mb)}")
    peak = max(mb["VmHWM"] for _, mb in found)
    if args.server_only:
        console.print(f"server: peak {peak:.0f} MB, {peak - start:.0f} MB above its start")
        return 0
    inside, output = in_process(args.members, args.seed)
    console.print(output.rstrip())
    imported = imports_mb()
    projected = start + imported + inside
    console.print(f"server: RSS at start {start:.0f} MB, peak {peak:.0f} MB "
                  f"({'within' if peak <= TARGET_MB else 'over'} the {TARGET_MB} MB target), "
                  f"{peak - start:.0f} MB above its start")
    console.print(f"in process: {inside:.0f} MB above its start, the models' imports "
                  f"{imported:.0f} MB: projected peak {projected:.0f} MB; measured/projected "
                  f"{peak / projected:.2f}, growth measured/in process "
                  f"{(peak - start) / inside:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
