"""How fast the simulator replays past receipts: ``--receipts`` receipts (1,000,000 by
default) of 1–4 lines for ``--members`` members (a tenth anonymous) over a year, written
straight into a scratch SQLite database, then timed:

- the baseline: the plain read of the same receipts with their lines, in the replay's
  pages, in one process (what one process cannot go below);
- the replay: every receipt priced by the till's engine under a draft and under the current
  program (levels tracked per member), the redemption model fitted and the payback worked
  out, as ``regulars simulate --workers N`` does (``--workers`` processes, 2 by default,
  each replaying a share of the members).

    uv run python bench/simulator.py [--receipts 1000000] [--members 50000] [--seed 7]
                                     [--workers 2] [--keep PATH] [--promotions 0-3]
                                     [--window lifetime|rolling|calendar] [--json PATH]

``--keep PATH`` keeps the generated database at PATH and, when it exists already, times
it again without generating (a kept database holds one scenario per ``--promotions`` and
``--window``, made the first time they are asked for). ``--promotions N`` gives the draft
the first N of three draft promotions (a morning coffee discount read from the time, a big
basket one read from the basket, a gold members' points multiplier read from the member,
on weekdays); ``--window`` the level window of both programs (lifetime by default).
``--json PATH`` writes the run's whole result there (to compare two versions of the code).

Prints receipts/s of both, their ratio, and the time 1M receipts would take at the measured
rate. Target: 1M receipts in <= 30 s on the two-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from _common import code_version, machine, make_console
from regulars.config import Settings
from regulars.db.analytics import scenarios as store
from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.engine import Database
from regulars.db.members.tables import members
from regulars.db.migrate import upgrade
from regulars.domain.analytics.payback import Assumptions
from regulars.domain.promotions.effects import PercentDiscount, PointsMultiplier
from regulars.domain.promotions.promotions import Schedule
from regulars.services.analytics import scenarios, simulator
from regulars.services.analytics.scenarios import ScenarioDraft
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants

console = make_console()
START = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
MENU = [("espresso", "coffee", 250), ("cappuccino", "coffee", 350), ("croissant", "food", 290),
        ("sandwich", "food", 690), ("beans", "goods", 2400), ("water", "drinks", 150)]
LEVELS = [{"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 300},
          {"code": "silver", "name": "Silver", "threshold_minor": 30_000, "rate_bp": 500},
          {"code": "gold", "name": "Gold", "threshold_minor": 100_000, "rate_bp": 700}]
WINDOWS = {"lifetime": "lifetime", "rolling": "rolling_12_months",
           "calendar": "calendar_year"}
PROMOTIONS = (
    Draft(name="Coffee morning", condition="time.hour < 10",
          effects=(PercentDiscount(rate_bp=1000, categories=frozenset({"coffee"})),)),
    Draft(name="Big basket", condition="basket.total_minor >= 2500",
          effects=(PercentDiscount(rate_bp=500),)),
    Draft(name="Gold weekdays", condition='member.level == "gold"',
          schedule=Schedule(weekdays=frozenset({1, 2, 3, 4, 5})),
          effects=(PointsMultiplier(factor_percent=200),)))


def generate(rt: Runtime, tenant_id: int, store_id: int, terminal_id: int, *, count: int,
             member_count: int, seed: int) -> None:
    rng = random.Random(seed)
    with rt.db.write() as conn:
        conn.execute(insert(members), [
            {"tenant_id": tenant_id, "status": "active", "consent": "full", "profile": {},
             "qr_sealed": f"q{n}", "created_at": START} for n in range(member_count)])
    receipt_rows, line_rows = [], []
    for n in range(1, count + 1):
        chosen = [MENU[rng.randrange(len(MENU))] for _ in range(rng.randint(1, 4))]
        paid = sum(p for _, _, p in chosen)
        at = START + timedelta(seconds=n * 365 * 86_400 // count)
        member_id = None if rng.random() < 0.1 else rng.randint(1, member_count)
        receipt_rows.append({
            "id": n, "tenant_id": tenant_id, "terminal_id": terminal_id, "store_id": store_id,
            "receipt_no": f"b-{n}", "member_id": member_id, "status": "committed",
            "program_version": 1, "gross_minor": paid, "discount_minor": 0,
            "points_spent": 0, "points_discount_minor": 0, "paid_minor": paid,
            "points_earned": paid * 3 // 10_000, "request_hash": "-", "response": {},
            "occurred_at": at, "recorded_at": at})
        line_rows += [{"tenant_id": tenant_id, "receipt_id": n, "line_no": i + 1, "sku": sku,
                       "name": sku, "category": category, "quantity_milli": 1000,
                       "unit_price_minor": price, "gross_minor": price, "discount_minor": 0,
                       "points_spent": 0, "paid_minor": price, "points_earned": 0}
                      for i, (sku, category, price) in enumerate(chosen)]
        if n % 50_000 == 0 or n == count:
            with rt.db.write() as conn:
                conn.execute(insert(receipts), receipt_rows)
                conn.execute(insert(receipt_lines), line_rows)
            receipt_rows, line_rows = [], []


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    mine, theirs = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + theirs.ru_utime + theirs.ru_stime


def setup_data(rt: Runtime, args: argparse.Namespace) -> None:
    """The bench tenant (the first), its program and its receipts."""
    created = tenants.create_tenant(rt, name="Bench Café", currency="EUR",
                                    locale="en_GB", timezone="UTC", phone_region="GB")
    tenant_id = created.tenant_id
    shop = tenants.create_store(rt, tenant_id, code="main", name="Main", actor=audit.SYSTEM)
    till = tenants.create_terminal(rt, tenant_id, store_id=shop.id, code="t", name="T",
                                   actor=audit.SYSTEM)
    programs.save(rt, tenant_id, programs.parse_rules({"levels": LEVELS}), actor=audit.SYSTEM)
    began = time.perf_counter()
    generate(rt, tenant_id, shop.id, till.id, count=args.receipts,
             member_count=args.members, seed=args.seed)
    console.print(f"generated {args.receipts:,} receipts in "
                  f"{time.perf_counter() - began:.1f} s")


def scenario_for(rt: Runtime, args: argparse.Namespace) -> int:
    """The scenario of ``--promotions`` and ``--window`` (made if new; its id): the current
    program takes the window too, the draft gives 2 % more at each level."""
    name = f"Bench {args.window} {args.promotions}"
    window = WINDOWS[args.window]
    programs.save(rt, 1, programs.parse_rules({"levels": LEVELS, "level_window": window}),
                  actor=audit.SYSTEM)
    found = [s for s in scenarios.list_all(rt, 1) if s.name == name]
    if found:
        return found[0].id
    return scenarios.create(rt, 1, ScenarioDraft(
        name=name, program=programs.parse_rules(
            {"levels": [{**lv, "rate_bp": lv["rate_bp"] + 200} for lv in LEVELS],
             "level_window": window}),
        promotions=PROMOTIONS[:args.promotions],
        first_day=date(2025, 1, 1), last_day=date(2025, 12, 31),
        assumptions=Assumptions(average_check_change_bp=200)), actor=audit.SYSTEM).id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--promotions", type=int, choices=range(4), default=0)
    parser.add_argument("--window", choices=sorted(WINDOWS), default="lifetime")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    console.print(f"{machine()}; code {code_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        fresh = not path.exists()
        url = f"sqlite:///{path}"
        rt = Runtime(db=Database.from_url(url), clock=lambda: datetime(2026, 1, 15, tzinfo=UTC),
                     settings=Settings(database_url=url))
        upgrade(rt.db.engine)
        if fresh:
            setup_data(rt, args)
        scenario_id = scenario_for(rt, args)
        setup = simulator.prepare(rt, 1, scenario_id)
        began = time.perf_counter()
        read = 0
        with rt.db.snapshot() as conn:
            for page in store.receipt_rows(conn, 1, setup.part, size=simulator.PAGE_ROWS):
                read += len({row[0] for row in page})
        baseline = time.perf_counter() - began
        began, cpu = time.perf_counter(), _cpu()
        result = simulator.replay(rt, 1, setup, workers=args.workers)
        replay, cpu = time.perf_counter() - began, _cpu() - cpu
        rt.close()
    assert result.draft.receipts == result.current.receipts == setup.total
    if args.json is not None:
        args.json.write_text(json.dumps(simulator.result_json(result), indent=1,
                                        sort_keys=True))
    total = setup.total
    rate, base_rate = total / replay, total / baseline
    console.print(f"draft: {args.promotions} promotion(s), {args.window} level window")
    console.print(f"plain read (one process): {base_rate:,.0f} receipts/s ({baseline:.1f} s)")
    console.print(f"replay ({args.workers} workers): {rate:,.0f} receipts/s ({replay:.1f} s), "
                  f"{replay / baseline:.2f}× the plain read; {cpu:.1f} CPU s in all "
                  f"({total / cpu:,.0f} receipts per CPU second); load average "
                  f"{os.getloadavg()[0]:.1f}")
    at_million = 1_000_000 / rate
    verdict = "PASS" if at_million <= 30 else "FAIL"
    console.print(f"1M receipts at this rate: {at_million:.0f} s (target <= 30 s): {verdict}")


if __name__ == "__main__":
    main()
