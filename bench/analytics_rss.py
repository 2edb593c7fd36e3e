"""Benchmark: the memory of the API process while it serves the analytics reports.

Target (from the issue): the API process at most 300 MB of resident memory while serving
reports, on the tenant ``bench/analytics.py`` built (10M receipts, 1M members).

    uv run python bench/analytics_rss.py --url postgresql://.../bench_analytics --port 8103
    uv run python bench/analytics_rss.py --url ... --each      # one server per request

Makes an owner key with the ``analytics`` scope for the database's first tenant, starts
``regulars serve`` on ``--port`` against it, then asks for the overview of every preset, each
report table (CSV, and the ``clv`` table as XLSX too) and the CLV report's first page
``--rounds`` times, reading the server process's ``VmRSS`` (now) and ``VmHWM`` (its peak)
from ``/proc`` after each request; the server is stopped at the end.

A process's peak cannot be reset, so the peak after a request is the most any request so far
needed. ``--each`` starts a fresh server for every request instead and prints the peak it
reached above the server's own at start: which request makes the peak, and by how much.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from _common import make_console
from regulars.config import Settings
from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics.tables import TableName
from regulars.services.audit import audit
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import tenants

TARGET_MB = 300
console = make_console()

Request = tuple[str, list[tuple[str, dict[str, str]]]]
"""A label and the (path, query) pairs asked for under it."""


def requests() -> list[Request]:
    """Every request of a round, the cheap ones first."""
    overview = [("overview", {"range": p.value}) for p in Preset if p is not Preset.CUSTOM]
    year = {"range": "last_365_days"}
    return [("overview, every preset", overview),
            *((f"table {name}", [(f"tables/{name}", year)]) for name in TableName),
            ("table clv (xlsx)", [("tables/clv", {**year, "format": "xlsx"})]),
            ("clv report, first page", [("clv", {})])]


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS``, ``VmHWM`` and the resident memory's anonymous and file-backed parts
    (``RssAnon``, ``RssFile``: the heaps against the mapped libraries) of process ``pid``,
    in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            found[name] = int(value.split()[0]) / 1024
    return found


def reset_peak(pid: int) -> bool:
    """Set process ``pid``'s ``VmHWM`` back to its ``VmRSS`` (Linux 4.0 and later), so that
    the peak read next is that of what it did since; whether it could be done."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def start_server(url: str, port: int, client: httpx.Client) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("regulars")), "serve", "--port", str(port),
         "--database-url", url],
        env={**os.environ, "REGULARS_SCHEDULER": "false",
             "REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED": "true",
             "REGULARS_SMS_LOG_ALLOWED": "true"})
    while server.poll() is None:
        try:
            client.get(f"http://127.0.0.1:{port}/v1/health")
            return server
        except httpx.TransportError:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def ask(client: httpx.Client, base: str, asked: Request) -> float:
    """Every request under ``asked``, the bodies read whole and dropped; seconds taken."""
    started = time.perf_counter()
    for path, params in asked[1]:
        with client.stream("GET", f"{base}/{path}", params=params) as answer:
            answer.raise_for_status()
            for _ in answer.iter_bytes():
                pass
    return time.perf_counter() - started


def chosen(args: argparse.Namespace) -> list[Request]:
    """The requests whose label holds one of ``--only`` (all without it)."""
    return [r for r in requests() if not args.only or any(o in r[0] for o in args.only)]


def each(args: argparse.Namespace, client: httpx.Client, base: str) -> float:
    """A fresh server per request, a line printed as each is done; the highest peak."""
    table = Table("request", "s", "RSS at start MB", "peak after MB", "peak above start MB")
    top = 0.0
    for asked in chosen(args):
        server = start_server(args.url, args.port, client)
        try:
            at_start = memory_mb(server.pid)
            seconds = ask(client, base, asked)
            after = memory_mb(server.pid)
        finally:
            stop(server)
        top = max(top, after["VmHWM"])
        row = (asked[0], f"{seconds:.1f}", f"{at_start['VmRSS']:.0f}", f"{after['VmHWM']:.0f}",
               f"{after['VmHWM'] - at_start['VmHWM']:.0f}")
        console.print(" | ".join(row))
        table.add_row(*row)
    console.print(table)
    return top


def rounds(args: argparse.Namespace, client: httpx.Client, base: str) -> float:
    """One server for every round; the peak after each request, in order."""
    server = start_server(args.url, args.port, client)
    try:
        console.print(f"started: {memory_mb(server.pid)}")
        for number in range(args.rounds):
            table = Table("request", "s", "RSS MB", "peak so far MB")
            for asked in chosen(args):
                seconds = ask(client, base, asked)
                now = memory_mb(server.pid)
                table.add_row(asked[0], f"{seconds:.1f}", f"{now['VmRSS']:.0f}",
                              f"{now['VmHWM']:.0f}")
            console.print(f"round {number + 1}")
            console.print(table)
        return memory_mb(server.pid)["VmHWM"]
    finally:
        stop(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--each", action="store_true",
                        help="a fresh server for every request, one round")
    parser.add_argument("--only", nargs="*", default=[],
                        help="only the requests whose label holds one of these words")
    args = parser.parse_args()
    rt = open_runtime(Settings(database_url=args.url), migrate=False)
    try:
        key = tenants.create_owner_key(rt, 1, "bench rss", scopes=["analytics"],
                                       actor=audit.SYSTEM).key
    finally:
        rt.close()
    base = f"http://127.0.0.1:{args.port}/v1/admin/analytics"
    headers: dict[str, Any] = {"Authorization": f"Bearer {key}"}
    with httpx.Client(headers=headers, timeout=1800) as client:
        peak = each(args, client, base) if args.each else rounds(args, client, base)
    console.print(f"peak resident memory {peak:.0f} MB: "
                  f"{'within' if peak <= TARGET_MB else 'over'} the {TARGET_MB} MB target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
