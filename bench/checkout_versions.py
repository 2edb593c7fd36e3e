"""Benchmark: quote and quote+commit pairs over HTTP on PostgreSQL, this code against an earlier
revision, in one run with alternating phases.

    uv run python bench/checkout_versions.py [--against 632cbe0] [--rounds 3] [--seconds 10]
                                             [--clients 8] [--database-url ...]

The earlier revision is checked out into a temporary git worktree with its own environment
(``uv sync --locked``). Each side gets its own database, set up by its own code (the schema
differs between revisions) exactly as ``bench/checkout.py`` sets one up, and its own
``regulars serve --workers 2``; both servers run throughout, the idle one costing nothing.
Quote phases and quote+commit phases alternate between the sides, the order swapped every
round, so that load from elsewhere on the machine falls on both alike; each side's rate is the
sum of its phases' completions over their time, and every phase's rate is printed so the spread
between rounds of the same side — the noise — can be read beside the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _common import (
    REPO,
    analyze,
    code_version,
    libpq_url,
    machine,
    server_version,
    wait_for_quiet,
)
from _load import CHECKOUT, QUOTE, Phase, Target
from checkout import BASKET, Server, console, fmt, free_port, run, setup, summarise
from checkout_promotions import _sum

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_versions"
SIDES = ("before", "after")
_SETUP_BEFORE = ("import json, sys; sys.path.insert(0, 'bench'); from checkout import setup; "
                 "print(json.dumps(setup(sys.argv[1])))")


def _checkout_before(revision: str, where: Path) -> None:
    subprocess.run(["git", "worktree", "add", "--detach", str(where), revision], cwd=REPO,
                   check=True, capture_output=True)
    subprocess.run(["uv", "sync", "--locked", "--quiet"], cwd=where, check=True)


def _setup_before(where: Path, url: str) -> tuple[list[str], list[str]]:
    """The earlier revision's own benchmark set-up, run by its own code."""
    done = subprocess.run(["uv", "run", "python", "-c", _SETUP_BEFORE, url], cwd=where,
                          check=True, capture_output=True, text=True)
    keys, phones = json.loads(done.stdout.strip().splitlines()[-1])
    return list(keys), list(phones)


def _measure(args: argparse.Namespace, targets: dict[str, Target],
             servers: dict[str, Server]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    phases: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool, \
            Progress(TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn(),
                     console=console) as bar:
        for round_ in range(1, args.rounds + 1):
            order = SIDES if round_ % 2 else tuple(reversed(SIDES))
            for kind in (QUOTE, CHECKOUT):
                for side in order:
                    phase = Phase(kind, args.clients, args.seconds, args.warmup, args.client,
                                  label=f"{kind}-{side}-{round_}")
                    found = summarise(run(pool, targets[side], phase, servers[side], bar))
                    phases.setdefault((side, kind), []).append(found)
    return phases


def _report(phases: dict[tuple[str, str], list[dict[str, Any]]], args: argparse.Namespace,
            ) -> dict[str, Any]:
    table = Table(title=f"{args.clients} clients: this code ({code_version()}) against "
                        f"{args.against} (same run, alternating phases)")
    for name in ("kind", "before /s (each phase)", "after /s (each phase)", "after / before",
                 "spread before", "p99 ms before / after", "errors"):
        table.add_column(name, justify="right")
    figures: dict[str, Any] = {}
    for kind, p99 in ((QUOTE, "quote_p99_ms"), (CHECKOUT, "commit_p99_ms")):
        a, b = _sum(phases[("before", kind)]), _sum(phases[("after", kind)])
        ratio = b["per_second"] / a["per_second"] if a["per_second"] else float("nan")
        spread = (max(a["rates"]) - min(a["rates"])) / a["per_second"] if a["per_second"] else 0
        p99s = [max(p.get(p99, 0.0) for p in phases[(side, kind)]) for side in SIDES]
        table.add_row(kind,
                      f"{fmt(a['per_second'], 0)} ({' / '.join(fmt(r, 0) for r in a['rates'])})",
                      f"{fmt(b['per_second'], 0)} ({' / '.join(fmt(r, 0) for r in b['rates'])})",
                      fmt(ratio, 2), f"{spread:.0%}", f"{fmt(p99s[0])} / {fmt(p99s[1])}",
                      str(a["errors"] + b["errors"]))
        figures[kind] = {"before": a, "after": b, "ratio": ratio, "spread_before": spread}
    console.print(table)
    return figures


def _ports(text: str) -> tuple[int, int]:
    before, _, after = text.partition(",")
    return int(before), int(after)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="632cbe0", help="the earlier revision")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--spend-points", type=int, default=10)
    parser.add_argument("--wait-idle", type=float, default=300.0)
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--ports", metavar="BEFORE,AFTER", type=_ports,
                        help="the servers' ports (default: two free ones)")
    args = parser.parse_args()
    base = libpq_url(args.database_url)
    urls = {side: f"{base}_{side}" for side in SIDES}
    console.rule(f"regulars checkout benchmark: this code against {args.against}")
    wait_for_quiet(console, args.wait_idle)
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp) / "before"
        try:
            with console.status(f"checking out {args.against} and its environment"):
                _checkout_before(args.against, where)
            with console.status("setting up both databases, each by its own code"):
                made = {"before": _setup_before(where, urls["before"]),
                        "after": setup(urls["after"])}
                for url in urls.values():
                    analyze(url)
            console.print(f"machine: {machine()}; {server_version(urls['after'])}")
            ports = args.ports or (free_port(), free_port())
            targets = {side: Target(host="127.0.0.1", port=port, till_keys=made[side][0],
                                    phones=made[side][1], lines=BASKET,
                                    spend_points=args.spend_points, run_tag=tag)
                       for side, port in zip(SIDES, ports, strict=True)}
            servers = {side: Server(urls[side], targets[side].port, args.workers,
                                    Path(tmp) / f"server-{side}.log",
                                    cwd=where if side == "before" else REPO)
                       for side in SIDES}
            try:
                for server in servers.values():
                    server.wait_ready(timeout=900.0)
                phases = _measure(args, targets, servers)
            finally:
                for server in servers.values():
                    server.stop()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=REPO,
                           check=False, capture_output=True)
    figures = _report(phases, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"against": args.against, "figures": figures,
                                               "phases": {f"{s}/{k}": v for (s, k), v
                                                          in phases.items()}},
                                              indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
