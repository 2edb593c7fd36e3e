"""What a member's history costs the pricing read of a quote: the same statement for a member
with one receipt and for one with many receipts (on as many days) and as many open lots,
timed interleaved, and its EXPLAIN ANALYZE for both.

    uv run python bench/pricing_history.py [--database-url .../bench_history] [--receipts 100]

Uses its own database (``bench_history`` by default, dropped and created again). The members'
receipts are committed through the checkout service with the clock moved a day between them,
so each earns an open lot and falls on a local day of its own (``--per-day`` puts more on a
day): the worst case for the per-day spend totals. Prints the mean time of the pricing read (the
program, member, points and level spend as a quote loads them,
``regulars.services.checkout.pricing_inputs
.load``) per member, their ratio, and the plans.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from _common import libpq_url, make_console, recreate_database
from regulars.config import Settings
from regulars.db.engine import Database
from regulars.domain.checkout.quote import BasketLine
from regulars.services.audit import audit
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout import pricing_inputs as pricing_service
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.demo.history import SettableClock
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.program import programs
from regulars.services.runtime import Runtime, open_runtime
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.tenancy.tenants import get_tenant

console = make_console()
LINES = (BasketLine(sku="beans", name="Beans", category="coffee", quantity_milli=1000,
                    unit_price_minor=12_000),
         BasketLine(sku="mug", name="Mug", category="", quantity_milli=2000,
                    unit_price_minor=3_500))  # earns 5 points: one lot per receipt


def build(url: str, receipts: int, others: int, per_day: int
          ) -> tuple[Runtime, int, int, int]:
    """A tenant with two members: one with ``receipts`` receipts on as many days, one with a
    single receipt; and ``others`` members with three receipts each, so that the tables are
    not tiny. Returns (runtime, tenant id, the long history's id, the short one's)."""
    recreate_database(url)
    clock = SettableClock(datetime.now(UTC) - timedelta(days=receipts // per_day + 1))
    open_runtime(Settings(database_url=url), migrate=True).close()
    rt = Runtime(db=Database.from_url(url), clock=clock, settings=Settings(database_url=url))
    created = tenants.create_tenant(rt, name="Bench History Ltd", currency="EUR",
                                    locale="en_GB", timezone="Europe/London",
                                    phone_region="GB")
    tenant_id = created.tenant_id
    # Lots outlive the history: an expiry run would have taken expired ones anyway.
    programs.save(rt, tenant_id, programs.parse_rules({"expire_after_days": 3650}),
                  note="bench", actor=audit.SYSTEM)
    store = tenants.create_store(rt, tenant_id, code="main", name="Main street", actor=audit.SYSTEM)
    key = tenants.create_terminal(rt, tenant_id, store_id=store.id, code="till-01",
                                  name="Till 1", actor=audit.SYSTEM).key
    ids = []
    for n in range(2 + others):
        view, _ = member_registration.register(
            rt, tenant_id, Registration(phone=f"+44207946{n:04d}"), store_id=store.id)
        ids.append(view.id)
    long_id, short_id = ids[:2]
    till = authenticate(rt, key)
    for n in range(receipts):
        buyers = [long_id]
        if n == 0:
            buyers.append(short_id)
        if n < 3:
            buyers += ids[2:]
        for member_id in buyers:
            request = CommitRequest(sale=Sale(member=MemberRef(id=member_id), lines=LINES),
                                    receipt_id=f"R-{member_id}-{n}")
            checkout_commit.commit(rt, till, request, key=f"k-{member_id}-{n}",
                                   payload={"receipt_id": request.receipt_id})
        clock.now += timedelta(days=1) if (n + 1) % per_day == 0 else timedelta(minutes=1)
    clock.now = datetime.now(UTC)
    with rt.db.engine.connect() as conn:
        conn.exec_driver_sql("COMMIT")
        conn.exec_driver_sql("ANALYZE")
    return rt, tenant_id, long_id, short_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_history")
    parser.add_argument("--receipts", type=int, default=100)
    parser.add_argument("--per-day", type=int, default=1,
                        help="receipts of the long history per day (1: a day each)")
    parser.add_argument("--others", type=int, default=500)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    url = libpq_url(args.database_url)
    with console.status("setting up"):
        rt, tenant_id, long_id, short_id = build(url, args.receipts, args.others,
                                                 args.per_day)
    tenant = get_tenant(rt, tenant_id)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _many: bool) -> None:
        captured.append((statement, parameters))

    try:
        def load(member_id: int) -> float:
            now = rt.now()
            started = time.perf_counter()
            with rt.db.read() as conn:
                pricing_service.load(conn, tenant, MemberRef(id=member_id), at=now, now=now)
            return time.perf_counter() - started

        for _ in range(200):  # warm the pool, the caches and the plans
            load(long_id)
            load(short_id)
        times: dict[int, list[float]] = {long_id: [], short_id: []}
        for _ in range(args.calls):  # interleaved, so that load on the machine hits both
            times[long_id].append(load(long_id))
            times[short_id].append(load(short_id))
        means = {m: statistics.mean(t) * 1e6 for m, t in times.items()}
        medians = {m: statistics.median(t) * 1e6 for m, t in times.items()}
        console.print(f"pricing read, member with {args.receipts} receipts on "
                      f"{args.receipts // args.per_day} days and {args.receipts} open lots: "
                      f"mean {means[long_id]:.0f} µs, median {medians[long_id]:.0f} µs")
        console.print(f"pricing read, member with 1 receipt and 1 open lot: mean "
                      f"{means[short_id]:.0f} µs, median {medians[short_id]:.0f} µs")
        console.print(f"long history / short history (median): "
                      f"{medians[long_id] / medians[short_id]:.2f}")
        for label, member_id in (("long history", long_id), ("short history", short_id)):
            captured.clear()
            event.listen(rt.db.engine, "before_cursor_execute", capture)
            try:
                load(member_id)
            finally:
                event.remove(rt.db.engine, "before_cursor_execute", capture)
            statement, parameters = max(captured, key=lambda c: len(c[0]))
            raw = rt.db.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement,
                               parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            finally:
                raw.close()
            console.print(f"[bold]EXPLAIN ANALYZE, {label}[/bold]")
            console.print(plan, markup=False, highlight=False)
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
