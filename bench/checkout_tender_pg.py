"""PostgreSQL's share of what a certificate tender adds to a quote and a commit, statement by
statement, in one thread (as ``bench/checkout_app_profile.py --tender`` runs them).

    uv run python bench/checkout_tender_pg.py [--database-url .../bench_tender_pg] [-n 200]
                                              [--explained 40] [--rounds 2]

Quote+commit pairs go through the ASGI app one after the other, without a tender and with
every sale paying 10.00 by the member's certificate, alternating ``--rounds`` times. For
each side it prints, a pair: statements, the CPU the database's backends spent (utime +
stime from ``/proc/<pid>/stat`` of every backend connected to the database, so the server
must run on this machine), the WAL the cluster wrote (``pg_current_wal_insert_lsn()``
before and after: other databases' writes count too on a shared server), and the rows
inserted, updated (of them HOT) and the index entries that made, per table
(``pg_stat_user_tables``, this database only).

Then ``--explained`` pairs of each side run each statement first as ``EXPLAIN (ANALYZE,
BUFFERS, WAL, FORMAT JSON)`` inside a savepoint rolled back before the statement itself
runs, and print per statement: planning and execution ms, shared buffers hit and dirtied,
WAL records and bytes, and the rows each of its writes made; the WAL figures here are this
backend's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(os.getcwd()) / "bench"
sys.path.insert(0, str(HERE))

from _common import processes_cpu_s  # noqa: E402


def backend_cpu_seconds(conn: Any, database: str) -> float:
    """utime + stime of the database's backends but this one, from ``/proc``."""
    return processes_cpu_s(row[0] for row in conn.exec_driver_sql(
        "SELECT pid FROM pg_stat_activity WHERE datname = %(d)s AND pid <> pg_backend_pid()",
        {"d": database}))


def table_writes(conn: Any) -> dict[str, tuple[int, int, int, int]]:
    """(inserted, updated, of them HOT, indexes) per table of this database."""
    conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
    conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4]))
            for row in conn.exec_driver_sql(
                "SELECT s.relname, s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, "
                "(SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid) "
                "FROM pg_stat_user_tables s")}


def wal_lsn(conn: Any) -> int:
    return int(conn.exec_driver_sql(
        "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn").scalar_one())


class Side:
    """What one side's phases added up to."""

    def __init__(self) -> None:
        self.pairs = 0
        self.statements = 0
        self.cpu = 0.0
        self.wal = 0
        self.seconds = 0.0
        self.writes: Counter[tuple[str, str]] = Counter()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_tender_pg")
    parser.add_argument("-n", "--pairs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--explained", type=int, default=40)
    parser.add_argument("--dump", metavar="FILE",
                        help="also write every statement's last plan, as text, to FILE")
    args = parser.parse_args()

    from sqlalchemy import create_engine, event

    from _common import analyze
    from checkout import setup
    from checkout_app_profile import _direct_thread_pool
    from checkout_tenders import CERTIFICATE_MINOR, TENDER_MINOR, _certificates
    from regulars.api.app import create_app
    from regulars.config import Settings
    from regulars.services.runtime import open_runtime

    _direct_thread_pool()
    keys, phones = setup(args.database_url)
    codes = _certificates(args.database_url, len(phones), CERTIFICATE_MINOR)
    analyze(args.database_url)
    tenders = {phone: [{"kind": "certificate", "code": code, "amount": TENDER_MINOR}]
               for phone, code in zip(phones, codes, strict=True)}
    rt = open_runtime(Settings(database_url=args.database_url))
    database = args.database_url.rsplit("/", 1)[1]
    probe_engine = create_engine(args.database_url.replace("postgresql://",
                                                           "postgresql+psycopg://"))
    probe = probe_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    counted = [0]
    explaining: list[dict[str, list[dict[str, Any]]] | None] = [None]

    event.listen(rt.db.engine, "before_cursor_execute", explain_hook(counted, explaining))
    app = create_app(rt)
    asyncio.run(run_pairs(app, keys[0], phones, tenders, probe, database, counted,
                          explaining, args))
    probe.close()
    probe_engine.dispose()
    rt.close()
    return 0


async def run_pairs(app: Any, key: str, phones: list[str],
                    tenders: dict[str, list[dict[str, Any]]], probe: Any, database: str,
                    counted: list[int],
                    explaining: list[dict[str, list[dict[str, Any]]] | None],
                    args: argparse.Namespace) -> None:
    """Warm up, measure the sides, then explain their statements; prints each part."""
    import httpx

    from checkout import BASKET

    auth = {"Authorization": f"Bearer {key}"}
    rng = random.Random(1)
    tag = f"{time.time():.0f}"
    number = [0]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        async def pair(paying: bool) -> None:
            phone = rng.choice(phones)
            sale: dict[str, Any] = {"member": {"phone": phone}, "lines": BASKET,
                                    "points_to_spend": 10}
            if paying:
                sale["tenders"] = tenders[phone]
            answer = await client.post("/v1/pos/quote", headers=auth, json=sale)
            assert answer.status_code == 200, answer.text
            number[0] += 1
            answer = await client.post(
                "/v1/pos/commit", json={"receipt_id": f"{tag}-{number[0]}", **sale},
                headers={**auth, "Idempotency-Key": f"k-{tag}-{number[0]}"})
            assert answer.status_code == 200, answer.text

        for paying in (False, True):  # warm caches, the pool, the compiled statements
            for _ in range(30):
                await pair(paying)
        sides = await measure_sides(pair, probe, database, counted, args)
        report(sides)
        plans: dict[bool, dict[str, list[dict[str, Any]]]] = {}
        for paying in (False, True):
            plans[paying] = defaultdict(list)
            explaining[0] = plans[paying]
            for _ in range(args.explained):
                await pair(paying)
            explaining[0] = None
        report_plans(plans, args.explained)
        if args.dump:
            dump(plans, args.dump)


def explain_hook(counted: list[int],
                 explaining: list[dict[str, list[dict[str, Any]]] | None]) -> Any:
    """A ``before_cursor_execute`` listener: counts statements, and while ``explaining[0]``
    is a dict runs each one first as ``EXPLAIN (ANALYZE, BUFFERS, WAL)`` in a savepoint
    rolled back before the statement runs (a write outside a transaction is not explained),
    keeping its plan under the statement's first 90 characters."""
    def before(_conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        counted[0] += 1
        found = explaining[0]
        if found is None or not statement.lstrip().upper().startswith(("SELECT", "WITH",
                                                                        "INSERT", "UPDATE",
                                                                        "DELETE")):
            return
        from psycopg.pq import TransactionStatus

        outside = cursor.connection.info.transaction_status == TransactionStatus.IDLE
        if outside and not statement.lstrip().upper().startswith("SELECT"):
            return  # a write in autocommit: not run twice
        if not outside:
            cursor.execute("SAVEPOINT explained")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) " + statement,
                       parameters)
        plan = cursor.fetchone()[0][0]
        if not outside:
            cursor.execute("ROLLBACK TO SAVEPOINT explained")
            cursor.execute("RELEASE SAVEPOINT explained")
        found[" ".join(statement.split())[:90]].append(plan)

    return before


async def measure_sides(pair: Any, probe: Any, database: str, counted: list[int],
                        args: argparse.Namespace) -> dict[bool, Side]:
    """``args.rounds`` rounds of ``args.pairs`` pairs a side, none and tender alternating."""
    sides = {False: Side(), True: Side()}
    for _ in range(args.rounds):
        for paying in (False, True):
            side = sides[paying]
            writes = table_writes(probe)
            cpu, wal, began = (backend_cpu_seconds(probe, database), wal_lsn(probe),
                               time.perf_counter())
            counted[0] = 0
            for _ in range(args.pairs):
                await pair(paying)
            side.seconds += time.perf_counter() - began
            side.wal += wal_lsn(probe) - wal
            side.cpu += backend_cpu_seconds(probe, database) - cpu
            side.statements += counted[0]
            side.pairs += args.pairs
            for table, (ins, upd, hot, indexes) in table_writes(probe).items():
                old = writes.get(table, (0, 0, 0, indexes))
                d_ins, d_upd, d_hot = ins - old[0], upd - old[1], hot - old[2]
                side.writes[(table, "inserted")] += d_ins
                side.writes[(table, "updated")] += d_upd
                side.writes[(table, "HOT")] += d_hot
                side.writes[(table, "index entries")] += (d_ins + d_upd - d_hot) * indexes
    return sides


def dump(plans: dict[bool, dict[str, list[dict[str, Any]]]], path: str) -> None:
    """Every statement's last plan, as JSON under a line naming it."""
    with open(path, "w") as out:
        for paying, found in plans.items():
            for statement, runs in found.items():
                print(f"-- {paying} {statement}", file=out)
                json.dump(runs[-1], out, indent=1)
                print(file=out)


def report(sides: dict[bool, Side]) -> None:
    none, tender = sides[False], sides[True]
    for label, side in (("none", none), ("tender", tender)):
        print(f"== pairs {label}: {side.pairs}, {side.statements / side.pairs:.2f} statements, "
              f"backend CPU {1000 * side.cpu / side.pairs:.2f} ms, WAL "
              f"{side.wal / side.pairs:,.0f} bytes, wall {1000 * side.seconds / side.pairs:.2f}"
              " ms a pair")
    print(f"== tender / none: backend CPU {tender.cpu / none.cpu:.3f}×, WAL "
          f"{tender.wal / none.wal:.3f}×, statements "
          f"{tender.statements / none.statements:.3f}×")
    print(f"  {'table':24} {'what':14} {'none':>8} {'tender':>8}   a pair")
    for key in sorted(set(none.writes) | set(tender.writes)):
        a, b = none.writes[key] / none.pairs, tender.writes[key] / tender.pairs
        if a or b:
            print(f"  {key[0]:24} {key[1]:14} {a:8.2f} {b:8.2f}")


def _writes(plan: dict[str, Any], found: Counter[str]) -> None:
    if plan.get("Node Type") == "ModifyTable":
        found[f"{plan['Operation'].lower()} {plan['Relation Name']}"] += plan["Actual Rows"]
    for child in plan.get("Plans", ()):
        _writes(child, found)


def report_plans(plans: dict[bool, dict[str, list[dict[str, Any]]]], pairs: int) -> None:
    for paying, found in plans.items():
        print(f"== statements of a pair, {'paying by certificate' if paying else 'no tender'}"
              f" (EXPLAIN ANALYZE, {pairs} pairs): a pair")
        print(f"  {'calls':>5} {'plan ms':>7} {'exec ms':>7} {'hit':>6} {'dirtied':>7} "
              f"{'WAL rec':>7} {'WAL B':>7} {'FPI':>5}  writes / statement")
        total = Counter[str]()
        for statement, runs in found.items():
            n = len(runs) / pairs
            sums = Counter[str]()
            writes = Counter[str]()
            for run_ in runs:
                top = run_["Plan"]
                sums["plan"] += run_["Planning Time"]
                sums["exec"] += run_["Execution Time"]
                sums["hit"] += top.get("Shared Hit Blocks", 0)
                sums["dirtied"] += top.get("Shared Dirtied Blocks", 0)
                sums["wal_records"] += top.get("WAL Records", 0)
                sums["wal_bytes"] += top.get("WAL Bytes", 0)
                sums["wal_fpi"] += top.get("WAL FPI", 0)
                _writes(top, writes)
            total.update({k: v / pairs for k, v in sums.items()})
            wrote = ", ".join(f"{k} {v / len(runs):.2g}" for k, v in sorted(writes.items()))
            print(f"  {n:5.2f} {sums['plan'] / pairs:7.3f} {sums['exec'] / pairs:7.3f} "
                  f"{sums['hit'] / pairs:6.1f} {sums['dirtied'] / pairs:7.2f} "
                  f"{sums['wal_records'] / pairs:7.1f} {sums['wal_bytes'] / pairs:7.0f} "
                  f"{sums['wal_fpi'] / pairs:5.2f}  "
                  f"{wrote or '-'} / {statement}")
        print(f"  total {total['plan']:7.3f} {total['exec']:7.3f} {total['hit']:6.1f} "
              f"{total['dirtied']:7.2f} {total['wal_records']:7.1f} {total['wal_bytes']:7.0f} "
              f"{total['wal_fpi']:5.2f}")


if __name__ == "__main__":
    sys.exit(main())
