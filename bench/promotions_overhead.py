"""What four promotions add to a quote, in one process, in figures the rest of a shared machine
moves little: CPU time of this process and of the PostgreSQL backends per quote, Python
function calls and SQL statements per quote, each side measured in alternating batches.

    uv run python bench/promotions_overhead.py [--database-url .../bench_promotions_overhead]
                                               [--rounds 20] [--batch 50]

Sets up its own database (dropped first) like ``checkout.py --promotions 4``: a tenant
without promotions and one with the four, 50 members with points each. Quotes go through the
services (``authenticate`` + ``quote``, the benchmark basket, 10 points spent), alternating
between the tenants in batches, so that load from elsewhere falls on both sides alike. Python
function calls and statements are counted in a separate pass of each side: they do not depend
on the machine at all.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from typing import Any

from sqlalchemy import event

from _common import _cpu_and_comm, analyze, libpq_url, make_console
from checkout import BASKET, add_tenant, setup
from checkout_promotions import PROMOTIONS_TENANT, create_promotions
from regulars.config import Settings
from regulars.domain.checkout.quote import BasketLine
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.members.members import MemberRef
from regulars.services.runtime import open_runtime
from regulars.services.tenancy.api_keys import authenticate

console = make_console()


def backends_cpu(engine: Any) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to this database."""
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars().all()
    return sum(found[0] for pid in pids if (found := _cpu_and_comm(pid)) is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_promotions_overhead")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    url = libpq_url(args.database_url)
    with console.status("setting up two tenants, one with four promotions"):
        plain_keys, phones = setup(url)
        promo_keys, _ = add_tenant(url, name=PROMOTIONS_TENANT)
        create_promotions(url, 4)
        analyze(url)
    rt = open_runtime(Settings(database_url=url))
    statements = [0]
    event.listen(rt.db.engine, "before_cursor_execute",
                 lambda *_: statements.__setitem__(0, statements[0] + 1))
    lines = tuple(BasketLine(sku=ln["sku"], name=ln["name"], category=ln["category"],
                             quantity_milli=ln["quantity"] * 1000,
                             unit_price_minor=ln["unit_price_minor"]) for ln in BASKET)
    rng = random.Random(1)
    keys = {"none": plain_keys[0], "promotions": promo_keys[0]}

    def quote(side: str) -> None:
        checkout.quote(rt, authenticate(rt, keys[side]),
                       Sale(member=MemberRef(phone=rng.choice(phones)), lines=lines,
                            points_to_spend=10))

    try:
        for side in keys:  # warm caches and the pool
            for _ in range(50):
                quote(side)
        cpu = dict.fromkeys(keys, 0.0)
        pg = dict.fromkeys(keys, 0.0)
        done = dict.fromkeys(keys, 0)
        for _ in range(args.rounds):
            for side in keys:
                pg_before, started = backends_cpu(rt.db.engine), time.process_time()
                for _ in range(args.batch):
                    quote(side)
                cpu[side] += time.process_time() - started
                pg[side] += backends_cpu(rt.db.engine) - pg_before
                done[side] += args.batch
        calls, counted = {}, {}
        for side in keys:
            statements[0] = 0
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(100):
                quote(side)
            profiler.disable()
            calls[side] = pstats.Stats(profiler).total_calls / 100
            counted[side] = statements[0] / 100
    finally:
        rt.close()
    ms = {side: (1000 * cpu[side] / done[side], 1000 * pg[side] / done[side]) for side in keys}
    for side in keys:
        console.print(f"{side:>10}: {ms[side][0]:.3f} ms CPU in this process + "
                      f"{ms[side][1]:.3f} ms in PostgreSQL a quote; {calls[side]:,.0f} Python "
                      f"function calls, {counted[side]:.1f} statements")
    console.print(f"four promotions add {ms['promotions'][0] - ms['none'][0]:.3f} ms + "
                  f"{ms['promotions'][1] - ms['none'][1]:.3f} ms CPU, "
                  f"{calls['promotions'] - calls['none']:+,.0f} Python function calls and "
                  f"{counted['promotions'] - counted['none']:+.1f} statements a quote "
                  f"({done['none']} quotes a side; load from elsewhere: "
                  f"{os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
