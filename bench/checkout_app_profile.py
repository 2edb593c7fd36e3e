"""A quote and a commit through the ASGI app in one thread, profiled: routing, dependencies,
body validation, the service and the answer's serialisation together, with every SQL
statement counted.

    uv run python bench/checkout_app_profile.py [--database-url .../bench_app_profile] [-n 300]
                                                [--promotion unlimited|capped]
    (cd /other/checkout && uv run python /this/checkout/bench/checkout_app_profile.py ...)

The second form profiles another checkout of the code (its own ``bench/checkout.py`` sets up
the database, its own ``regulars`` answers): run both on the same machine to compare builds.
The app is called through ``httpx.ASGITransport`` with the thread pool replaced by a direct
call, so that cProfile sees the route's work; the members are identified by phone, as the
HTTP benchmarks do; then quote+commit pairs, one after the other as the HTTP benchmarks send
them (what a commit leaves for the next quote shows there). ``--promotion`` gives the tenant
the budgets benchmark's promotion (10 % off a receipt of at least 100.00, which every sale
is), with no cap or with the cap it never reaches (``bench/checkout.py --promotions 1
--budgets``, sides "unlimited" and "capped"): run it beside a run without to see what a
promotion adds to a quote and a commit. Prints, per call: statements, Python function calls,
CPU in this process (and how much of it the garbage collector took), and the top functions
of each profile.
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

    def sale() -> dict[str, Any]:
        return {"member": {"phone": rng.choice(phones)}, "lines": BASKET, "points_to_spend": 10}

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

            for n in range(30):  # warm caches, the pool, the compiled statements
                await quote(n)
                await commit(10**6 + n)

            async def pair(n: int) -> None:  # as the HTTP benchmarks send them
                await quote(n)
                await commit(2 * 10**6 + n)

            for label, call, offset in (("quote", quote, 0), ("commit", commit, 0),
                                        ("pair", pair, 0)):
                await measure(label, call, offset, args, statements, counting, rt)

    asyncio.run(run())
    rt.close()
    del sqlalchemy
    return 0


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
                  statements: Counter[str], counting: list[bool], rt: Any) -> None:
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


if __name__ == "__main__":
    sys.exit(main())
