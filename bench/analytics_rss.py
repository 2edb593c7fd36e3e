"""Benchmark: the memory of the API process while it serves the analytics reports.

Target (from the issue): the API process at most 300 MB of resident memory while serving
reports, on the tenant ``bench/analytics.py`` built (10M receipts, 1M members).

    uv run python bench/analytics_rss.py --url postgresql://.../bench_analytics --port 8103

Makes an owner key with the ``analytics`` scope for the database's first tenant, starts
``regulars serve`` on ``--port`` against it, then asks for the overview of every preset and
each report table (CSV) ``--rounds`` times, reading the server process's ``VmRSS`` (now)
and ``VmHWM`` (its peak) from ``/proc`` after each round; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from _common import make_console
from regulars.config import Settings
from regulars.domain.analytics.ranges import Preset
from regulars.services.analytics.tables import TableName
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import tenants

TARGET_MB = 300
console = make_console()


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` of process ``pid``, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rt = open_runtime(Settings(database_url=args.url), migrate=False)
    try:
        key = tenants.create_owner_key(rt, 1, "bench rss", scopes=["analytics"]).key
    finally:
        rt.close()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("regulars")), "serve", "--port", str(args.port),
         "--database-url", args.url],
        env={**os.environ, "REGULARS_SCHEDULER": "false",
             "REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED": "true",
             "REGULARS_SMS_LOG_ALLOWED": "true"})
    base = f"http://127.0.0.1:{args.port}/v1/admin/analytics"
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=600) as client:
            while server.poll() is None:
                try:
                    client.get(f"http://127.0.0.1:{args.port}/v1/health")
                    break
                except httpx.TransportError:
                    time.sleep(1)
            if server.poll() is not None:
                raise SystemExit("the server did not start")
            console.print(f"started: {memory_mb(server.pid)}")
            for number in range(args.rounds):
                started = time.perf_counter()
                for preset in Preset:
                    if preset is not Preset.CUSTOM:
                        client.get(f"{base}/overview", params={"range": preset.value}
                                   ).raise_for_status()
                for name in TableName:
                    client.get(f"{base}/tables/{name}",
                               params={"range": "last_365_days"}).raise_for_status()
                console.print(f"round {number + 1}: {time.perf_counter() - started:.1f} s, "
                              f"{memory_mb(server.pid)}")
        peak = memory_mb(server.pid)["VmHWM"]
        console.print(f"peak resident memory {peak:.0f} MB: "
                      f"{'within' if peak <= TARGET_MB else 'over'} the {TARGET_MB} MB target")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
