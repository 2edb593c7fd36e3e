"""A quote and a commit through the ASGI app in one thread, profiled: routing, dependencies,
body validation, the service and the answer's serialisation together, with every SQL
statement counted.

    uv run python bench/checkout_app_profile.py [--database-url .../bench_app_profile] [-n 300]
                                                [--tender] [--promotion unlimited|capped]
    (cd /other/checkout && uv run python /this/checkout/bench/checkout_app_profile.py ...)

The second form profiles another checkout of the code (its own ``bench/checkout.py`` sets up
the database, its own ``regulars`` answers): run both on the same machine to compare builds.
The app is called through ``httpx.ASGITransport`` with the thread pool replaced by a direct
call, so that cProfile sees the route's work; the members are identified by phone, as the
HTTP benchmarks do. Prints, per call: statements, Python function calls, CPU in this process
and in PostgreSQL, and the top functions of each profile.

Then quote+commit pairs, one after the other as the HTTP benchmarks send them (what a commit
leaves for the next quote shows there). ``--promotion`` gives the tenant the budgets
benchmark's promotion (10 % off a receipt of at least 100.00, which every sale is), with no cap
or with the cap it never reaches (``bench/checkout.py --promotions 1 --budgets``, sides
"unlimited" and "capped"): run it beside a run without to see what a promotion adds to a quote
and a commit. The CPU figure says how much of it the garbage collector took.

``--tender`` gives each member a gift certificate and measures, in one run, the quote and the
commit without a tender and then with every sale paying 10.00 by the member's certificate (as
``checkout.py --tenders`` does), and prints what the tender adds: statements, Python calls
and CPU a call, and the functions whose calls grow most with it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(os.getcwd()) / "bench"  # the checkout measured: its own set-up and code
sys.path.insert(0, str(HERE))


def _direct_thread_pool() -> None:
    """Sync routes and dependencies run in the calling thread, where cProfile sees them."""
    import anyio.to_thread

    async def run_sync(func: Any, *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_app_profile")
    parser.add_argument("-n", "--calls", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--full-sql", action="store_true",
                        help="print each statement whole, not its first 100 characters")
    parser.add_argument("--tender", action="store_true",
                        help="also the quote and commit paying 10.00 by certificate")
    parser.add_argument("--dump", metavar="PREFIX",
                        help="also write each profile to PREFIX-quote.prof, PREFIX-commit.prof")
    parser.add_argument("--promotion", choices=("unlimited", "capped"),
                        help="the tenant runs the budgets benchmark's promotion, uncapped or "
                             "with a cap it never reaches")
    args = parser.parse_args()

    import httpx
    import sqlalchemy
    from sqlalchemy import event

    from checkout import BASKET, setup  # the measured checkout's own
    from regulars.api.app import create_app
    from regulars.config import Settings
    from regulars.services.runtime import open_runtime

    _direct_thread_pool()
    keys, phones = setup(args.database_url)
    if args.promotion:
        from checkout_budgets import CAPPED_MINOR, last_tenant, ten_percent_off

        ten_percent_off(args.database_url, last_tenant(args.database_url),
                        CAPPED_MINOR if args.promotion == "capped" else None)
    tenders: dict[str, list[dict[str, Any]]] = {}
    if args.tender:
        from checkout_tenders import CERTIFICATE_MINOR, TENDER_MINOR, _certificates
        codes = _certificates(args.database_url, len(phones), CERTIFICATE_MINOR)
        tenders = {phone: [{"kind": "certificate", "code": code, "amount": TENDER_MINOR}]
                   for phone, code in zip(phones, codes, strict=True)}
    rt = open_runtime(Settings(database_url=args.database_url))
    statements: Counter[str] = Counter()
    counting = [False]
    width = None if args.full_sql else 100

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if counting[0]:
            statements[" ".join(statement.split())[:width]] += 1

    event.listen(rt.db.engine, "after_cursor_execute", count)
    app = create_app(rt)
    auth = {"Authorization": f"Bearer {keys[0]}"}
    rng = random.Random(1)
    tag = f"{time.time():.0f}"

    paying = [False]

    def sale() -> dict[str, Any]:
        phone = rng.choice(phones)
        found = {"member": {"phone": phone}, "lines": BASKET, "points_to_spend": 10}
        return {**found, "tenders": tenders[phone]} if paying[0] else found

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            async def quote(_: int) -> None:
                answer = await client.post("/v1/pos/quote", headers=auth,
                                           json=sale())
                assert answer.status_code == 200, answer.text

            async def commit(n: int) -> None:
                body = {"receipt_id": f"{tag}-{n}", **sale()}
                answer = await client.post("/v1/pos/commit",
                                           headers={**auth, "Idempotency-Key": f"k-{tag}-{n}"},
                                           json=body)
                assert answer.status_code == 200, answer.text

            for paid in (False, True) if args.tender else (False,):
                paying[0] = paid
                for n in range(30):  # warm caches, the pool, the compiled statements
                    await quote(n)
                    await commit(10**6 + 100 * paid + n)
            found: dict[str, Measured] = {}
            for paid in (False, True) if args.tender else (False,):
                paying[0] = paid
                for kind, call in (("quote", quote), ("commit", commit)):
                    label = kind + (" paying by certificate" if paid else "")
                    found[label] = await measure(label, call, 10**5 * paid, args,
                                                 statements, counting, rt)
            if args.tender:
                tender_added(found)
            paying[0] = False

            async def pair(n: int) -> None:  # as the HTTP benchmarks send them
                await quote(n)
                await commit(2 * 10**6 + n)

            await measure("pair", pair, 0, args, statements, counting, rt)

    asyncio.run(run())
    rt.close()
    del sqlalchemy
    return 0


@dataclass(frozen=True)
class Measured:
    """One call's figures: statements, Python calls, CPU ms (unprofiled), its profile."""

    statements: float
    calls: float
    cpu_ms: float
    stats: pstats.Stats


def tender_added(found: dict[str, Measured]) -> None:
    """What paying by certificate adds to a quote and a commit, and to the pair."""
    for label in ("quote", "commit"):
        a, b = found[label], found[f"{label} paying by certificate"]
        print(f"== {label}, by certificate against none: statements {a.statements:.2f} → "
              f"{b.statements:.2f}, Python calls {a.calls:,.0f} → {b.calls:,.0f} "
              f"({b.calls / a.calls:.3f}×), CPU {a.cpu_ms:.2f} → {b.cpu_ms:.2f} ms "
              f"({b.cpu_ms / a.cpu_ms:.2f}×)")
        grown = _calls_by_function(b.stats) - _calls_by_function(a.stats)
        for (path, line, name), more in grown.most_common(25):
            print(f"  +{more:9.1f}  {name}  {path.split('/src/')[-1]}:{line}")
    pair_a = found["quote"].calls + found["commit"].calls
    pair_b = found["quote paying by certificate"].calls + \
        found["commit paying by certificate"].calls
    cpu_a = found["quote"].cpu_ms + found["commit"].cpu_ms
    cpu_b = found["quote paying by certificate"].cpu_ms + \
        found["commit paying by certificate"].cpu_ms
    print(f"== pair (quote + commit): Python calls {pair_a:,.0f} → {pair_b:,.0f} "
          f"({pair_b / pair_a:.3f}×), CPU {cpu_a:.2f} → {cpu_b:.2f} ms ({cpu_b / cpu_a:.2f}×)")


def _calls_by_function(stats: pstats.Stats) -> Counter[tuple[str, int, str]]:
    """Calls a call of each function in the profile (``-n`` calls measured)."""
    calls = stats.calls_per_call  # type: ignore[attr-defined]
    return Counter({key: value[1] / calls  # (primitive calls, total calls, ...)
                    for key, value in stats.stats.items()})  # type: ignore[attr-defined]


class GcTime:
    """A ``gc.callbacks`` entry: CPU time in the garbage collector, and collections by
    generation (cProfile leaves both out)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.runs[info["generation"]] += 1


async def measure(label: str, call: Any, offset: int, args: argparse.Namespace,
                  statements: Counter[str], counting: list[bool], rt: Any) -> Measured:
    statements.clear()
    counting[0] = True
    collected = GcTime()
    gc.callbacks.append(collected)
    cpu = time.process_time()
    for n in range(args.calls):
        await call(offset + n)
    cpu = time.process_time() - cpu
    gc.callbacks.remove(collected)
    counting[0] = False
    per_call_statements = sum(statements.values()) / args.calls
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for n in range(args.calls):
        await call(offset + args.calls + n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.calls_per_call = args.calls  # type: ignore[attr-defined]
    if args.dump:
        stats.dump_stats(f"{args.dump}-{label}.prof")
    print(f"== {label}: {per_call_statements:.2f} statements a call, "
          f"{stats.total_calls / args.calls:,.0f} Python calls a call, "  # type: ignore[attr-defined]
          f"{1000 * cpu / args.calls:.2f} ms CPU a call (unprofiled), of which the garbage "
          f"collector {1000 * collected.seconds / args.calls:.2f} ms "
          f"({collected.runs[2] / args.calls:.2f} full collections a call)")
    for statement, seen in statements.most_common():
        print(f"  {seen / args.calls:5.2f}  {statement}")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(key).print_stats(r"regulars/" if key == "cumulative" else "",
                                          args.top)
        text = out.getvalue()
        print(text[text.find("   ncalls"):])
    del rt
    return Measured(statements=per_call_statements,
                    calls=stats.total_calls / args.calls,  # type: ignore[attr-defined]
                    cpu_ms=1000 * cpu / args.calls, stats=stats)


if __name__ == "__main__":
    sys.exit(main())
