"""Where a quote and a commit spend their time, without HTTP: the services called directly,
every SQL statement counted and timed, and a cProfile of the commits.

    uv run python bench/checkout_profile.py [--database-url .../bench_checkout_profile] [-n 500]
                                            [--promotions N | --budget] [--tender]
                                            [--cashback] [--coupon]

Uses its own database (``bench_checkout_profile`` by default) set up like
``bench/checkout.py``: the same basket, 50 members with points, a spend of 10 points each.
Prints, per call: wall time, the number of statements and transactions, time inside the
driver (round trips included), and the statements ranked by total time; then the top
functions of the profile. A second block repeats the quote after the commits, to show what a
member's receipt history does to it.

With ``PSYCOPG_IMPL=python`` (psycopg's pure-Python libpq wrapper) it also counts the round
trips to the server per call: statements, ``BEGIN``/``COMMIT``, pool pings and prepares
(slower, so use that run for the counts, not the times).

``--tender`` gives each member a gift certificate and has every quote and commit present it,
paying 10.00 of the receipt with it (as ``checkout.py --tenders`` does over HTTP): run it
beside a run without to see what a certificate tender adds to a quote and a commit.
``--budget``: instead of the promotions, the budgets benchmark's one promotion with the cap it
never reaches (``bench/checkout.py --budgets``, side "capped"), to profile what a capped
budget adds (compare with ``--promotions 1``, the same promotion without a cap).
``--cashback``: the program returns 5 % of what is paid into the member's wallet, so every
commit credits cashback (and counts it in its day's reward cost).
``--coupon``: every quote and commit presents one shared multi-use code (the budgets
benchmark's side "coupon": 5 % off, a million uses), to profile what a coupon adds.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy
from rich.table import Table
from sqlalchemy import event

from _common import REPO, _cpu_and_comm, analyze, libpq_url, make_console
from checkout import BASKET, setup
from regulars.config import Settings
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.members.members import MemberRef
from regulars.services.program import programs
from regulars.services.runtime import open_runtime
from regulars.services.tenancy.api_keys import authenticate

console = make_console()
SITE = str(Path(sqlalchemy.__file__).parents[1]) + "/"
# The libpq calls that each send one request and wait for its answer (outside pipeline mode,
# which nothing here uses): one round trip each.
_ROUND_TRIP_CALLS = ("exec_", "send_query", "exec_params", "send_query_params", "send_prepare",
                     "send_query_prepared", "prepare", "exec_prepared", "describe_prepared",
                     "send_describe_prepared", "describe_portal", "send_describe_portal",
                     "close_prepared", "send_close_prepared", "close_portal",
                     "send_close_portal")


class RoundTrips:
    """Counts the requests psycopg sends to the server (statements, BEGIN, COMMIT, ROLLBACK,
    pool pings, prepares). Only with the pure-Python libpq wrapper
    (``PSYCOPG_IMPL=python``), whose methods can be wrapped; not available otherwise."""

    def __init__(self) -> None:
        self.count = 0
        self.available = False

    def attach(self) -> None:
        import psycopg

        if psycopg.pq.__impl__ != "python":
            return
        from psycopg.pq import pq_ctypes

        for name in _ROUND_TRIP_CALLS:
            original = getattr(pq_ctypes.PGconn, name)

            def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                self.count += 1
                return _original(*args, **kwargs)

            setattr(pq_ctypes.PGconn, name, counted)
        self.available = True


ROUND_TRIPS = RoundTrips()


class StatementLog:
    """Counts and times every statement the engine sends (``before``/``after`` cursor
    execute), keyed by a short, literal-free form of the SQL."""

    def __init__(self) -> None:
        self.enabled = False
        self.count: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        self._started: list[float] = []

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        if self.enabled:
            key = _shorten(statement)
            self.count[key] += 1
            self.seconds[key] += elapsed

    def reset(self) -> None:
        self.count.clear()
        self.seconds.clear()


@functools.lru_cache(maxsize=1024)
def _shorten(statement: str) -> str:
    # Remembered: the same statements recur on every call, and the placeholder pattern below
    # backtracks for ~20 ms over a long statement such as the receipt-and-lines CTE, which
    # counted as the commit's own time before.
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", text, count=1)
    text = re.sub(r"\(%\(.*?\)s(, %\(.*?\)s)*\)", "(…)", text)
    return text[:110]


def backend_cpu(engine: Any) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to this database (read
    from /proc: the server runs on this host)."""
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars().all()  # this connection too: in one thread it is the one that did the work
    return sum(found[0] for pid in pids if (found := _cpu_and_comm(pid)) is not None)


def measure(label: str, calls: int, fn: Callable[[int], None], log: StatementLog,
            engine: Any) -> None:
    """Wall time is at the mercy of whatever else the machine runs; the CPU figures (this
    process, and the database backends) and the statement counts are what compare runs."""
    log.reset()
    pg_before = backend_cpu(engine)
    trips_before = ROUND_TRIPS.count
    log.enabled = True
    started = time.perf_counter()
    cpu_started = time.process_time()
    walls: list[float] = []
    for n in range(calls):
        began = time.perf_counter()
        fn(n)
        walls.append(time.perf_counter() - began)
    cpu = time.process_time() - cpu_started
    wall = time.perf_counter() - started
    log.enabled = False
    trips = ROUND_TRIPS.count - trips_before
    pg_cpu = backend_cpu(engine) - pg_before
    statements = sum(log.count.values())
    in_driver = sum(log.seconds.values())
    console.print(f"[bold]{label}[/bold]: {calls} calls, {1000 * wall / calls:.2f} ms a call "
                  f"({calls / wall:,.0f}/s in one thread), {statements / calls:.1f} statements "
                  f"a call, {1000 * in_driver / calls:.2f} ms a call in the driver "
                  f"({100 * in_driver / wall:.0f} %), the rest Python; CPU a call: "
                  f"{1000 * cpu / calls:.2f} ms in this process, "
                  f"{1000 * pg_cpu / calls:.2f} ms in PostgreSQL")
    walls.sort()
    console.print(f"wall time a call p50 / p99 / max: {1000 * walls[len(walls) // 2]:.2f} / "
                  f"{1000 * walls[min(len(walls) - 1, int(len(walls) * 0.99))]:.2f} / "
                  f"{1000 * walls[-1]:.2f} ms (one thread, no queue: what the machine's "
                  f"scheduling alone does to the tail)")
    if ROUND_TRIPS.available:
        console.print(f"round trips a call (statements, BEGIN/COMMIT, pings): "
                      f"{trips / calls:.1f}")
    table = Table(show_header=True, header_style="bold")
    table.add_column("statement")
    table.add_column("per call", justify="right")
    table.add_column("ms per call", justify="right")
    for key in sorted(log.seconds, key=log.seconds.__getitem__, reverse=True)[:30]:
        table.add_row(key, f"{log.count[key] / calls:.1f}",
                      f"{1000 * log.seconds[key] / calls:.3f}")
    console.print(table)


def profiled(calls: int, fn: Callable[[int], None]) -> pstats.Stats:
    profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
    profiler.enable()
    for n in range(calls):
        fn(n)
    profiler.disable()
    return pstats.Stats(profiler)


def show(title: str, stats: pstats.Stats, key: str, pattern: str | None, limit: int) -> None:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(key)
    if pattern:
        stats.print_stats(pattern, limit)
    else:
        stats.print_stats(limit)
    text = out.getvalue()
    body = text[text.find("   ncalls"):]
    console.print(f"[bold]{title}[/bold]")
    console.print(body.replace(str(REPO) + "/", "").replace(SITE, ""), markup=False,
                  highlight=False)


def _tenders(url: str, phones: list[str]) -> dict[str, tuple[Tender, ...]]:
    """A certificate for each member's phone, presented for 10.00 of every sale."""
    from checkout_tenders import CERTIFICATE_MINOR, TENDER_MINOR, _certificates
    codes = _certificates(url, len(phones), CERTIFICATE_MINOR)
    return {phone: (Tender(kind=TenderKind.CERTIFICATE, code=code, amount_minor=TENDER_MINOR),)
            for phone, code in zip(phones, codes, strict=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_checkout_profile")
    parser.add_argument("-n", "--calls", type=int, default=500)
    parser.add_argument("--spend-points", type=int, default=10)
    parser.add_argument("--no-profile", action="store_true",
                        help="the timed passes only, without the cProfile passes")
    parser.add_argument("--promotions", type=int, default=0, choices=range(5), metavar="N",
                        help="with N (0-4) active promotions, as checkout.py --promotions")
    parser.add_argument("--tender", action="store_true",
                        help="every sale pays 10.00 by the member's own gift certificate")
    parser.add_argument("--budget", action="store_true",
                        help="one promotion capped at 10**12 minor units (never reached)")
    parser.add_argument("--cashback", action="store_true",
                        help="the program returns 5 %% of what is paid into the wallet")
    parser.add_argument("--coupon", action="store_true",
                        help="every sale presents one shared multi-use coupon code")
    args = parser.parse_args()
    url = libpq_url(args.database_url)
    with console.status("setting up"):
        keys, phones = setup(url)
        if args.budget:
            from checkout_budgets import CAPPED_MINOR, last_tenant, ten_percent_off
            ten_percent_off(url, last_tenant(url), CAPPED_MINOR)
        elif args.promotions:
            from checkout_promotions import create_promotions
            create_promotions(url, args.promotions)
        tenders = _tenders(url, phones) if args.tender else {}
        shared: tuple[str, ...] = ()
        if args.coupon:
            from checkout_budgets import _shared_code, last_tenant
            shared = (_shared_code(url, last_tenant(url)),)
        analyze(url)
    ROUND_TRIPS.attach()
    rt = open_runtime(Settings(database_url=url))
    if args.cashback:
        programs.save_edit(rt, authenticate(rt, keys[0]).tenant_id, {"cashback_rate_bp": 500},
                           note="cashback for the profile", actor=audit.SYSTEM)
    log = StatementLog()
    log.attach(rt.db.engine)
    lines = tuple(BasketLine(sku=ln["sku"], name=ln["name"], category=ln["category"],
                             quantity_milli=ln["quantity"] * 1000,
                             unit_price_minor=ln["unit_price_minor"]) for ln in BASKET)
    rng = random.Random(1)
    tag = f"{time.time():.0f}"

    def sale() -> Sale:
        phone = rng.choice(phones)
        return Sale(member=MemberRef(phone=phone), lines=lines,
                    points_to_spend=args.spend_points, tenders=tenders.get(phone, ()),
                    coupons=shared)

    def auth(_: int) -> None:
        authenticate(rt, keys[0])

    def quote(_: int) -> None:
        checkout.quote(rt, authenticate(rt, keys[0]), sale())

    def commit(n: int) -> None:
        request = CommitRequest(sale=sale(), receipt_id=f"{tag}-{n}")
        checkout_commit.commit(rt, authenticate(rt, keys[0]), request, key=f"k-{tag}-{n}",
                               payload={"receipt_id": request.receipt_id, "n": n})

    try:
        for n in range(50):  # warm caches and the pool
            quote(n)
        # Timed passes run without the profiler; the profiled passes after them are for the
        # shape of the time, not its size.
        measure("authenticate (per request)", args.calls, auth, log, rt.db.engine)
        measure("quote (authenticate + quote)", args.calls, quote, log, rt.db.engine)
        measure("commit (authenticate + commit)", args.calls, commit, log, rt.db.engine)
        measure(f"quote again, after {args.calls} more receipts", args.calls, quote, log,
                rt.db.engine)
        if args.no_profile:
            return 0
        quote_stats = profiled(args.calls, quote)
        commit_stats = profiled(args.calls, lambda n: commit(args.calls + n))
        for label, stats in (("quote", quote_stats), ("commit", commit_stats)):
            # Python function calls: a measure of the interpreter's work that the rest of the
            # machine cannot disturb (the CPU and wall times above can be, on a shared host).
            console.print(f"[bold]{label}[/bold]: "
                          f"{stats.total_calls / args.calls:,.0f} Python function calls a call"
                          f" (authenticate included)")
            show(f"{label} profile: regulars functions by cumulative time", stats,
                 "cumulative", r"regulars/", 22)
            show(f"{label} profile: top functions by own time", stats, "tottime", None, 22)
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
