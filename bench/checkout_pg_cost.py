"""What a promotion costs PostgreSQL a quote+commit pair: the rows and index entries written,
the WAL bytes, and the backends' CPU, against the same pairs without it, in one run.

    uv run python bench/checkout_pg_cost.py [--database-url .../bench_pg_cost] [-n 300]
                                            [--rounds 3] [--sides none,unlimited,capped]

One database, a tenant a side set up as ``bench/checkout.py`` does (the same tills, members
and basket): "none" without a promotion, "unlimited" and "capped" with the budgets
benchmark's promotion (10 % off a receipt of at least 100.00, which every sale is) without a
cap and with the cap it never reaches. Blocks of ``-n`` pairs (a quote, then its commit, as the
HTTP benchmarks send them) go through the ASGI app in one thread, the sides taking turns for
``--rounds`` rounds. Around each block:

- WAL: the records between the block's first and last LSN (``pg_walinspect``) that name a
  relation of this database, and the commit records of their transactions; per relation and
  record type, so that a table's heap rows (``Heap/INSERT``, ``UPDATE``, ``HOT_UPDATE``) and an
  index's entries (``Btree/INSERT_LEAF``) are counted exactly. Full-page images, which depend
  on when the last checkpoint was, are shown apart.
- CPU: user plus system time of this database's client backends from ``/proc/<pid>/stat``.

Counts and bytes do not depend on the machine's load; the CPU does, so its sides are
alternated and each side's lowest block is shown beside the median.

``--clients 8 --seconds 10`` then runs each side's pairs from that many concurrent clients
(the app's own thread pool) and samples the backends ten times a second: the lock waits
(``Lock:transactionid``, ``Lock:tuple``) with the statement that waits, and the relations of
the tuple locks held, so that a row many tills touch shows by name.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).parent))

from _common import libpq_url, processes_cpu_s  # noqa: E402
from checkout import BASKET, add_tenant, setup  # noqa: E402
from checkout_budgets import CAPPED_MINOR, last_tenant, ten_percent_off  # noqa: E402

BLOCK_REF = re.compile(r"rel \d+/(\d+)/(\d+)")
CAPS: dict[str, int | None] = {"unlimited": None, "capped": CAPPED_MINOR}


@dataclass
class Side:
    """A tenant's keys and phones, and what its blocks measured."""

    name: str
    keys: list[str]
    phones: list[str]
    pairs: int = 0
    wal: Counter[tuple[str, str]] = field(default_factory=Counter)  # records
    wal_bytes: Counter[tuple[str, str]] = field(default_factory=Counter)
    fpi_bytes: int = 0
    cpu_ms_a_pair: list[float] = field(default_factory=list)
    waits: Counter[str] = field(default_factory=Counter)
    samples: int = 0
    concurrent_pairs: int = 0


def backends_cpu_s(conn: psycopg.Connection[Any]) -> float:
    """User plus system CPU of this database's other client backends."""
    return processes_cpu_s(pid for (pid,) in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"))


def wal_records(conn: psycopg.Connection[Any], start: str, end: str,
                names: dict[str, str], db_oid: str, side: Side) -> None:
    """Count the records of this database between ``start`` and ``end`` into ``side``."""
    xids: set[int] = set()
    commits: list[tuple[int, int]] = []
    for xid, rmgr, kind, length, fpi, refs in conn.execute(
            "SELECT xid::text::bigint, resource_manager, record_type, record_length, "
            "fpi_length, block_ref FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn)",
            (start, end)):
        if rmgr == "Transaction":
            commits.append((xid, length))
            continue
        found = BLOCK_REF.search(refs or "")
        if found is None or found.group(1) != db_oid:
            continue
        xids.add(xid)
        key = (names.get(found.group(2), f"relfilenode {found.group(2)}"), f"{rmgr}/{kind}")
        side.wal[key] += 1
        side.wal_bytes[key] += length - fpi
        side.fpi_bytes += fpi
    for xid, length in commits:
        if xid in xids:
            side.wal[("(commit)", "Transaction/COMMIT")] += 1
            side.wal_bytes[("(commit)", "Transaction/COMMIT")] += length


def relation_names(conn: psycopg.Connection[Any]) -> dict[str, str]:
    return {str(node): name for node, name in conn.execute(
        "SELECT pg_relation_filenode(oid), relname FROM pg_class "
        "WHERE pg_relation_filenode(oid) IS NOT NULL")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_pg_cost")
    parser.add_argument("-n", "--pairs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sides", default="none,unlimited")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--clients", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    url = args.database_url
    names = args.sides.split(",")
    keys, phones = setup(url)
    sides = [Side(names[0], keys, phones)]
    for name in names[1:]:
        keys, phones = add_tenant(url, name=f"Bench {name}")
        ten_percent_off(url, last_tenant(url), CAPS[name])
        sides.append(Side(name, keys, phones))
    watch = psycopg.connect(libpq_url(url), autocommit=True)
    watch.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    # Keeps the blocks' WAL until it is read, whatever checkpoints other work causes meanwhile;
    # temporary: gone with this session.
    watch.execute("SELECT pg_create_physical_replication_slot(%s, true, true)",
                  (f"bench_pg_cost_{os.getpid()}",))
    db_oid = str(watch.execute("SELECT oid FROM pg_database "
                               "WHERE datname = current_database()").fetchone()[0])  # type: ignore[index]
    asyncio.run(_measure(url, sides, args, watch, db_oid))
    report(sides, args.top)
    return 0


async def _measure(url: str, sides: list[Side], args: argparse.Namespace,
                   watch: psycopg.Connection[Any], db_oid: str) -> None:
    import httpx

    from regulars.api.app import create_app
    from regulars.config import Settings
    from regulars.services.runtime import open_runtime

    rt = open_runtime(Settings(database_url=url))
    app = create_app(rt)
    rng = random.Random(1)
    tag = f"{time.time():.0f}"
    counter = [0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        async def pair(side: Side, till: int | None = None) -> None:
            counter[0] += 1
            key = side.keys[counter[0] % 8 if till is None else till]
            auth = {"Authorization": f"Bearer {key}"}
            sale = {"member": {"phone": rng.choice(side.phones)}, "lines": BASKET,
                    "points_to_spend": 10}
            answer = await client.post("/v1/pos/quote", headers=auth, json=sale)
            assert answer.status_code == 200, answer.text
            n = f"{tag}-{counter[0]}"
            answer = await client.post("/v1/pos/commit",
                                       headers={**auth, "Idempotency-Key": f"k-{n}"},
                                       json={"receipt_id": n, **sale})
            assert answer.status_code == 200, answer.text

        for side in sides:  # warm the pool, the caches and the prepared statements
            for _ in range(30):
                await pair(side)
        for _ in range(args.rounds):
            for side in sides:
                relations = relation_names(watch)
                start = watch.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
                cpu = backends_cpu_s(watch)
                for _ in range(args.pairs):
                    await pair(side)
                cpu = backends_cpu_s(watch) - cpu
                end = watch.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
                wal_records(watch, start, end, relations, db_oid, side)
                side.pairs += args.pairs
                side.cpu_ms_a_pair.append(1000 * cpu / args.pairs)
        for side in sides if args.clients else ():
            await _concurrently(pair, side, url, args)
    rt.close()


async def _concurrently(pair: Any, side: Side, url: str, args: argparse.Namespace) -> None:
    """``args.clients`` clients sending ``side``'s pairs for ``args.seconds``, the backends'
    lock waits sampled meanwhile into ``side.waits``."""
    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            while not stop.wait(0.1):
                side.samples += 1
                for event, query in conn.execute(
                        "SELECT wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 70)"
                        " FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"):
                    side.waits[f"waits {event}: {query}"] += 1
                for (name,) in conn.execute(
                        "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                        " WHERE l.locktype = 'tuple' AND l.database = (SELECT oid FROM "
                        "pg_database WHERE datname = current_database())"):
                    side.waits[f"tuple lock on {name}"] += 1

    sampler = threading.Thread(target=sample)
    sampler.start()
    until = time.monotonic() + args.seconds

    async def client(till: int) -> None:  # each client its own till, as at the HTTP bench
        while time.monotonic() < until:
            await pair(side, till)
            side.concurrent_pairs += 1

    await asyncio.gather(*(client(n) for n in range(args.clients)))
    stop.set()
    sampler.join()


def report(sides: list[Side], top: int) -> None:
    base = sides[0]

    def added(k: tuple[str, str]) -> float:
        return max(abs(s.wal_bytes[k] / s.pairs - base.wal_bytes[k] / base.pairs)
                   + 100 * abs(s.wal[k] / s.pairs - base.wal[k] / base.pairs) for s in sides)

    keys = sorted({k for s in sides for k in s.wal}, key=lambda k: -added(k))
    print("records a pair (bytes a pair, without full-page images), relation, record type;"
          f" the {top} that differ most from the first side's")
    print(" | ".join(f"{s.name:>20}" for s in sides) + " | relation / record")
    for key in keys[:top]:
        cells = [f"{s.wal[key] / s.pairs:7.2f} ({s.wal_bytes[key] / s.pairs:8.1f})"
                 for s in sides]
        print(" | ".join(f"{c:>20}" for c in cells) + f" | {key[0]} {key[1]}")
    for s in sides:
        heap = sum(v for (_, kind), v in s.wal.items()
                   if kind in ("Heap/INSERT", "Heap/INSERT+INIT", "Heap/UPDATE",
                               "Heap/HOT_UPDATE", "Heap/UPDATE+INIT"))
        index = sum(v for (_, kind), v in s.wal.items() if kind.startswith("Btree/INSERT"))
        wal = sum(s.wal_bytes.values())
        print(f"{s.name}: {s.pairs} pairs; heap rows written {heap / s.pairs:.2f} a pair, "
              f"index entries {index / s.pairs:.2f}, WAL {wal / s.pairs:,.0f} bytes a pair "
              f"(+ full-page images {s.fpi_bytes / s.pairs:,.0f}; against {base.name}: "
              f"{wal / s.pairs - sum(base.wal_bytes.values()) / base.pairs:+,.0f}); "
              f"backends' CPU ms a pair: lowest {min(s.cpu_ms_a_pair):.2f}, median "
              f"{statistics.median(s.cpu_ms_a_pair):.2f} "
              f"({', '.join(f'{x:.2f}' for x in s.cpu_ms_a_pair)})")
    for s in sides:
        if s.samples:
            print(f"{s.name}, concurrently: {s.concurrent_pairs} pairs, {s.samples} samples; "
                  "lock waits a sample:")
            for what, n in s.waits.most_common(8):
                print(f"   {n / s.samples:6.3f}  {what}")


if __name__ == "__main__":
    raise SystemExit(main())
