"""What PostgreSQL writes and spends for the checkout's calls: the statements, the rows and
index entries written (read back from the write-ahead log relation by relation, and from the
tables' statistics), the WAL bytes and the CPU of the database's backends. Counts read from
the log do not move with the machine's load, unlike times.

    uv run python bench/checkout_pg.py setup --database-url .../bench_pg --state S
    uv run python bench/checkout_pg.py measure --database-url .../bench_pg --state S \\
        -n 200 [--explain 20] [--json out.json]
    uv run python bench/checkout_pg.py compare OLD.json NEW.json
    uv run python bench/checkout_pg.py pairs --database-url .../bench_pg_pairs -n 200 \\
        [--rounds 2] [--sides none,tender,unlimited,capped] [--explain 40] [--clients 8]

Run it from the checkout measured (its own ``bench/checkout.py`` and the set-ups borrowed from
the other checkout benchmarks build the database, its own ``regulars`` answers), giving this
file's path from another checkout to read an older one the same way.

``setup`` builds the database as ``bench/checkout.py`` does; ``measure`` calls the ASGI app in
one thread (the route's thread pool replaced by a direct call; thirty quote+commit pairs to
warm it), then ``-n`` commits one after the other, each of a new receipt by a member picked by
phone spending 10 points, then ``-n`` quotes; ``compare`` shows two ``--json`` files side by
side.

``pairs`` sets up one database with a side per name of ``--sides``: "none" (the tenant as
``bench/checkout.py`` sets it up), "tender" (the same tenant, every sale paying 10.00 by the
member's certificate, as ``bench/checkout_tenders.py``), "unlimited" and "capped" (a tenant
each with the budgets benchmark's promotion, 10 % off a receipt of at least 100.00, which every
sale is, without a cap and with one it never reaches). Blocks of ``-n`` quote+commit pairs go
through the app in one thread, the sides taking turns for ``--rounds`` rounds; the first side
is the one the others are compared with. ``--clients C --seconds S`` then runs each side's
pairs from C concurrent clients (the app's own thread pool) and samples the backends ten times
a second: the lock waits with the statement that waits, and the relations of the tuple locks.

Around each phase or block:

- WAL: the records between its first and last position (``pg_walinspect``, created in the
  database) that name a relation of this database, and the records without a relation (the
  commits) of the transactions that wrote them: other databases on the server do not count.
  Full-page images (the first change to a page after a checkpoint) are shown apart, as where
  checkpoints fall depends on the whole server. A temporary replication slot keeps the log
  until it is read. The cluster's own figure (``pg_current_wal_insert_lsn()`` before and
  after, everyone's writes) is shown too.
- Rows inserted, updated (of them HOT) and the index entries those made (inserted plus
  non-HOT updated rows times the table's indexes), per table, from ``pg_stat_user_tables``,
  the app's pooled connections made to send their counts first; heap rows and index entries
  also from the log's records.
- The statements the app sent, by kind; the CPU of the database's client backends (utime +
  stime from ``/proc/<pid>/stat``: the server must run on this machine, readable by this user).

``--explain N`` then runs N commits (``measure``) or N pairs a side (``pairs``) with
``auto_explain`` (ANALYZE, BUFFERS, WAL, triggers, nested statements) sending each statement's
plan to this client as a notice, never to the server's log, and prints them summed by kind:
ms, triggers' ms and calls, WAL, buffers, and the rows each write made. ``--dump FILE`` writes
each kind's last plan.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

HERE = Path(os.getcwd()) / "bench"  # the checkout measured: its own set-up and code
sys.path.insert(0, str(HERE))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_checkout_pg"
WARM_PAIRS = 30
_REL = re.compile(r"rel \d+/(\d+)/(\d+)")
_HEAP_ROW = re.compile(r": Heap2? (INSERT|UPDATE|HOT_UPDATE|MULTI_INSERT)")
_INDEX_ENTRY = re.compile(r": Btree INSERT_(LEAF|POST)")
_AUTO_EXPLAIN = ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                 "SET auto_explain.log_analyze = on", "SET auto_explain.log_buffers = on",
                 "SET auto_explain.log_wal = on", "SET auto_explain.log_triggers = on",
                 "SET auto_explain.log_nested_statements = on",
                 "SET auto_explain.log_format = json", "SET auto_explain.log_level = notice",
                 "SET client_min_messages = notice")
Call = Callable[[int], Awaitable[None]]
Watch = psycopg.Connection[Any]


def _neighbour(name: str, *, module: str | None = None) -> Any:
    """A module beside this file, whatever the checkout measured holds under that name;
    ``module``: under that name instead, leaving the measured checkout its own."""
    spec = importlib.util.spec_from_file_location(module or name,
                                                  Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    found = importlib.util.module_from_spec(spec)
    sys.modules[module or name] = found
    spec.loader.exec_module(found)
    return found


if TYPE_CHECKING:
    from _common import analyze, libpq_url, processes_cpu_s
else:  # the readings of this file's checkout, whichever checkout is measured
    _readings = _neighbour("_common", module="checkout_pg_common")
    analyze, libpq_url, processes_cpu_s = (_readings.analyze, _readings.libpq_url,
                                           _readings.processes_cpu_s)


# Readings -------------------------------------------------------------------------------------

def open_watch(url: str) -> Watch:
    """A connection of its own to the measured database, reading the log through
    ``pg_walinspect`` and keeping it (a temporary slot, gone with the connection)."""
    watch = psycopg.connect(libpq_url(url), autocommit=True)
    watch.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    watch.execute("SELECT pg_create_physical_replication_slot(%s, true, true)",
                  (f"bench_checkout_pg_{os.getpid()}",))
    return watch


def _one(watch: Watch, query: str) -> Any:
    row = watch.execute(query).fetchone()
    assert row is not None
    return row[0]


def backends_cpu_s(watch: Watch) -> float:
    """User plus system CPU of this database's other client backends."""
    return processes_cpu_s(pid for (pid,) in watch.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"))


def table_writes(watch: Watch) -> dict[str, tuple[int, int, int, int]]:
    """(inserted, updated, of them HOT, indexes) per table of this database."""
    watch.execute("SELECT pg_stat_clear_snapshot()")
    return {name: (int(ins), int(upd), int(hot), int(indexes))
            for name, ins, upd, hot, indexes in watch.execute(
                "SELECT s.relname, s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, "
                "(SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid) "
                "FROM pg_stat_user_tables s")}


def statement_kind(statement: str) -> str:
    words = " ".join(statement.split())
    checked = re.search(r'FROM ONLY "public"\."(\w+)" x WHERE .* FOR KEY SHARE', words)
    if checked:
        return f"foreign key check on {checked.group(1)}"
    found = re.match(r"(INSERT INTO|UPDATE|DELETE FROM) (\w+)", words)
    if found:
        return f"{found.group(1).split()[0]} {found.group(2)}"
    found = re.match(r"(WITH|SELECT).*? FROM (\w+)", words)
    return f"SELECT {found.group(2)}" if found else words[:40]


@dataclass
class Wal:
    """This database's log records, by ``relation: manager KIND``."""

    records: Counter[str] = field(default_factory=Counter)
    bytes: Counter[str] = field(default_factory=Counter)  # without full-page images
    fpi_bytes: int = 0
    transactions: int = 0

    def read(self, watch: Watch, start: str, end: str) -> None:
        """Add the records between two positions."""
        dboid = str(_one(watch, "SELECT oid FROM pg_database WHERE datname = current_database()"))
        names = {str(node): name for node, name in watch.execute(
            "SELECT pg_relation_filenode(oid), relname FROM pg_class "
            "WHERE pg_relation_filenode(oid) IS NOT NULL")}
        ours: set[str] = set()
        for xid, manager, kind, length, fpi, refs in watch.execute(
                "SELECT xid::text, resource_manager, record_type, record_length, fpi_length, "
                "block_ref FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn)", (start, end)):
            rels = _REL.findall(refs or "")
            if rels and all(db == dboid for db, _ in rels):
                if xid != "0":
                    ours.add(xid)
                where = names.get(rels[0][1], f"filenode {rels[0][1]}")
            elif not rels and xid in ours:
                where = "(no relation)"
            else:
                continue
            key = f"{where}: {manager} {kind}"
            self.records[key] += 1
            self.bytes[key] += length - fpi
            self.fpi_bytes += fpi
        self.transactions += len(ours)

    def as_json(self) -> dict[str, Any]:
        return {"records": dict(self.records), "bytes": dict(self.bytes),
                "fpi_bytes": self.fpi_bytes, "transactions": self.transactions}


@dataclass(frozen=True)
class Mark:
    """The database at one moment: backends' CPU, log positions, tables' write counts."""

    cpu_s: float
    lsn: str
    cluster_lsn: int
    tables: dict[str, tuple[int, int, int, int]]
    at: float


def mark(watch: Watch) -> Mark:
    return Mark(cpu_s=backends_cpu_s(watch),
                lsn=str(_one(watch, "SELECT pg_current_wal_flush_lsn()::text")),
                cluster_lsn=int(_one(watch, "SELECT pg_current_wal_insert_lsn() - '0/0'")),
                tables=table_writes(watch), at=time.perf_counter())


def flush_stats(engine: Any) -> None:
    """Have the idle connections of ``engine``'s pool send their tables' counts now: a busy
    backend sends them at most once a second, and an idle one that sent some within the last
    second only ten seconds later (PostgreSQL 15)."""
    held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    for conn in held:
        conn.cursor().execute("SELECT pg_stat_force_next_flush()")
        conn.commit()  # the backend, idle again, sends its counts before it answers
    for conn in held:
        conn.close()


@dataclass
class Phase:
    """What the blocks of one kind of call (or of one side's pairs) added up to."""

    calls: int = 0
    wal: Wal = field(default_factory=Wal)
    statements: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    cluster_wal: int = 0
    cpu_ms: list[float] = field(default_factory=list)  # a call, each block
    seconds: float = 0.0

    def add(self, watch: Watch, before: Mark, calls: int, statements: Counter[str]) -> None:
        """Count a block of ``calls`` calls that began at ``before`` and just ended."""
        after = mark(watch)
        self.wal.read(watch, before.lsn, after.lsn)
        self.calls += calls
        self.statements.update(statements)
        self.cluster_wal += after.cluster_lsn - before.cluster_lsn
        self.cpu_ms.append(1e3 * (after.cpu_s - before.cpu_s) / calls)
        self.seconds += after.at - before.at
        for table, (ins, upd, hot, indexes) in after.tables.items():
            old = before.tables.get(table, (0, 0, 0, indexes))
            d_ins, d_upd, d_hot = ins - old[0], upd - old[1], hot - old[2]
            self.writes[f"{table} inserted"] += d_ins
            self.writes[f"{table} updated"] += d_upd
            self.writes[f"{table} HOT"] += d_hot
            self.writes[f"{table} index entries"] += (d_ins + d_upd - d_hot) * indexes

    def as_json(self) -> dict[str, Any]:
        return {"calls": self.calls, "backend_cpu_ms": statistics.median(self.cpu_ms),
                "backend_cpu_ms_blocks": self.cpu_ms, "wall_ms": 1e3 * self.seconds / self.calls,
                "statements": dict(self.statements), "wal": self.wal.as_json(),
                "cluster_wal_bytes": self.cluster_wal,
                "writes": {k: v for k, v in self.writes.items() if v}}


class Statements:
    """The statements the app's engine sends while counting, by kind."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.engine = engine
        self.counting = False
        self.seen: Counter[str] = Counter()
        event.listen(engine, "after_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.counting:
            self.seen[statement_kind(statement)] += 1

    async def block(self, watch: Watch, phase: Phase, calls: int, call: Call) -> None:
        """``call(0)`` … ``call(calls - 1)``, measured into ``phase``."""
        self.seen = Counter()
        flush_stats(self.engine)
        before = mark(watch)
        self.counting = True
        for n in range(calls):
            await call(n)
        self.counting = False
        flush_stats(self.engine)
        phase.add(watch, before, calls, self.seen)


class AutoExplain:
    """Within :meth:`on`, every statement of ``engine``'s new connections, with those its
    triggers and functions run, comes back as auto_explain's plan in a notice."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.plans: list[tuple[float, dict[str, Any]]] = []

    def _notice(self, diag: Any) -> None:
        head, _, body = (diag.message_primary or "").partition("plan:")
        if head.startswith("duration:") and body.strip():
            self.plans.append((float(head.split()[1]), json.loads(body)))

    def _connected(self, dbapi_conn: Any, _record: Any) -> None:
        for setting in _AUTO_EXPLAIN:
            dbapi_conn.execute(setting)
        dbapi_conn.commit()
        dbapi_conn.add_notice_handler(self._notice)

    @contextmanager
    def on(self) -> Iterator[None]:
        from sqlalchemy import event

        self.engine.dispose()
        event.listen(self.engine, "connect", self._connected)
        try:
            yield
        finally:
            self.engine.dispose()
            event.remove(self.engine, "connect", self._connected)

    def take(self) -> dict[str, Any]:
        """The plans seen since the last call, summed by statement kind."""
        kinds: dict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
        texts: dict[str, str] = {}
        last: dict[str, Any] = {}
        for ms, plan in self.plans:
            kind = statement_kind(plan["Query Text"])
            texts.setdefault(kind, plan["Query Text"])
            last[kind] = plan
            _add_plan(kinds[kind], ms, plan)
        self.plans = []
        return {"kinds": {name: dict(found) for name, found in kinds.items()}, "texts": texts,
                "last": last}


def _add_plan(found: defaultdict[str, float], ms: float, plan: dict[str, Any]) -> None:
    top = plan["Plan"]
    found["calls"] += 1
    found["ms"] += ms
    found["wal_records"] += top.get("WAL Records", 0)
    found["wal_bytes"] += top.get("WAL Bytes", 0)
    found["wal_fpi"] += top.get("WAL FPI", 0)
    found["buffers_hit"] += top.get("Shared Hit Blocks", 0)
    found["buffers_dirtied"] += top.get("Shared Dirtied Blocks", 0)
    for trigger in plan.get("Triggers", []):
        name = trigger.get("Constraint Name", trigger["Trigger Name"])
        found[f"{name} ms"] += trigger["Time"]
        found[f"{name} calls"] += trigger["Calls"]
    _rows_written(top, found)


def _rows_written(node: dict[str, Any], found: defaultdict[str, float]) -> None:
    if node.get("Node Type") == "ModifyTable":
        found[f"rows {node['Operation'].lower()} {node['Relation Name']}"] += node["Actual Rows"]
    for child in node.get("Plans", ()):
        _rows_written(child, found)


async def _in_thread(app: Any, step: Callable[[Any], Awaitable[None]]) -> None:
    """``step(client)`` with a client of the ASGI app in this thread."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await step(client)


# Output ---------------------------------------------------------------------------------------

def totals(part: Mapping[str, Any], calls: int) -> dict[str, float]:
    """The figures of a phase, a call (``part`` as :meth:`Phase.as_json` makes it, or as an
    older ``--json`` file holds it)."""
    records, writes = part["wal"]["records"], part.get("writes", {})
    found = {"statements": sum(part["statements"].values()) / calls,
             "WAL records": sum(records.values()) / calls,
             "WAL bytes (no full pages)": sum(part["wal"]["bytes"].values()) / calls,
             "full-page image bytes": part["wal"]["fpi_bytes"] / calls,
             "heap rows written (WAL)": sum(
                 v for k, v in records.items() if _HEAP_ROW.search(k)) / calls,
             "index entries written (WAL)": sum(
                 v for k, v in records.items() if _INDEX_ENTRY.search(k)) / calls,
             "backend CPU ms": part["backend_cpu_ms"], "wall ms": part["wall_ms"]}
    if "cluster_wal_bytes" in part:
        found["cluster WAL bytes (every database)"] = part["cluster_wal_bytes"] / calls
        found["rows written (statistics)"] = sum(
            v for k, v in writes.items() if k.endswith(("inserted", "updated"))) / calls
        found["index entries (statistics)"] = sum(
            v for k, v in writes.items() if k.endswith("index entries")) / calls
        found["backend CPU ms, lowest block"] = min(part["backend_cpu_ms_blocks"])
    return found


def per_call(part: Mapping[str, Any], calls: int) -> dict[str, tuple[float, float | None]]:
    """Statements by kind, log records (and bytes) by relation and kind, rows by table, a call."""
    rows: dict[str, tuple[float, float | None]] = {}
    for name, seen in part["statements"].items():
        rows[f"statement {name}"] = (seen / calls, None)
    for name, seen in part["wal"]["records"].items():
        rows[f"wal {name}"] = (seen / calls, part["wal"]["bytes"][name] / calls)
    for name, seen in part.get("writes", {}).items():
        rows[f"table {name}"] = (seen / calls, None)
    return rows


def show(title: str, parts: Sequence[Mapping[str, Any]], calls: list[int],
         top: int | None = None) -> None:
    """Columns of figures a call, one a phase; ``top``: only the rows that differ most from
    the first column's."""
    print(f"== {title}")
    found = [totals(part, n) for part, n in zip(parts, calls, strict=True)]
    for name in dict.fromkeys(name for figures in found for name in figures):
        print(f"  {name:64} " + " ".join(
            f"{t[name]:10.2f}" if name in t else f"{'-':>10}" for t in found))
    rows = [per_call(part, n) for part, n in zip(parts, calls, strict=True)]
    names = sorted(set().union(*rows))

    def spread(name: str) -> float:
        base = rows[0].get(name, (0, 0))
        return max(abs(r.get(name, (0, 0))[0] - base[0]) * 100
                   + abs((r.get(name, (0, 0))[1] or 0) - (base[1] or 0)) for r in rows)

    if top is not None:
        names = sorted(names, key=spread, reverse=True)[:top]
    for name in names:
        cells = [row.get(name, (0.0, None)) for row in rows]
        print(f"  {name[:64]:64} " + " ".join(
            f"{count:6.2f} {'' if size is None else f'{size:6.0f}B':7}" for count, size in cells))


def show_explained(title: str, explained: list[Mapping[str, Any]], counts: list[int]) -> None:
    print(f"== {title}")
    sides = [found.get("kinds", {}) for found in explained]
    for kind in sorted(set().union(*sides)):
        found = [side.get(kind, {}) for side in sides]
        for name in sorted(set().union(*found)):
            values = [f.get(name, 0) / max(c, 1) for f, c in zip(found, counts, strict=True)]
            if name == "calls" or max(values) >= 0.005:
                print(f"  {kind[:40]:40} {name[:40]:40} "
                      + " ".join(f"{v:9.3f}" for v in values))


def dump(explained: Mapping[str, Mapping[str, Any]], path: Path) -> None:
    """Each statement kind's last plan, as JSON under a line naming the side and the kind."""
    with path.open("w") as out:
        for side, found in explained.items():
            for kind, plan in found.get("last", {}).items():
                print(f"-- {side} {kind}", file=out)
                json.dump(plan, out, indent=1)
                print(file=out)


# setup, measure, compare ----------------------------------------------------------------------

def measure(args: argparse.Namespace) -> None:
    """Commits, then quotes, one after the other; then ``--explain`` commits explained."""
    from checkout import BASKET  # the measured checkout's own
    from regulars.api.app import create_app
    from regulars.config import Settings
    from regulars.services.runtime import open_runtime

    _neighbour("checkout_app_profile")._direct_thread_pool()
    pos_calls = _neighbour("checkout_instructions").pos_calls
    keys, phones = json.loads(args.state.read_text())
    rt = open_runtime(Settings(database_url=args.database_url))
    app = create_app(rt)
    statements = Statements(rt.db.engine)
    watch = open_watch(args.database_url)
    phases = {"commit": Phase(), "quote": Phase()}

    async def run(client: Any) -> None:
        quote, commit = pos_calls(client, keys, phones, BASKET)
        for n in range(WARM_PAIRS):
            await quote(n)
            await commit(10**6 + n)
        await statements.block(watch, phases["commit"], args.calls, commit)
        await statements.block(watch, phases["quote"], args.calls, quote)

    async def explained(client: Any) -> None:
        commit = pos_calls(client, keys, phones, BASKET, prefix="x")[1]
        for n in range(args.explain):
            await commit(n)

    asyncio.run(_in_thread(app, run))
    figures: dict[str, Any] = {"calls": args.calls,
                               **{kind: phase.as_json() for kind, phase in phases.items()}}
    if args.explain:
        auto = AutoExplain(rt.db.engine)
        with auto.on():
            asyncio.run(_in_thread(app, explained))
        figures["explained_commits"] = args.explain
        figures["explained"] = auto.take()
    watch.close()
    rt.close()
    report_measured([figures])
    if args.dump:
        dump({"commit": figures.get("explained", {})}, args.dump)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


def report_measured(runs: list[Mapping[str, Any]]) -> None:
    """One ``measure``'s figures, or two side by side (old, new)."""
    label = "" if len(runs) == 1 else " (old, new)"
    for kind in ("commit", "quote"):
        show(f"a {kind}{label}", [run[kind] for run in runs],
             [run[kind].get("calls", run["calls"]) for run in runs])
    show_explained("each statement of a commit as auto_explain saw it, summed by kind, "
                   f"a commit{label}", [run.get("explained", {}) for run in runs],
                   [run.get("explained_commits", 1) for run in runs])


# pairs ----------------------------------------------------------------------------------------

SIDES = ("none", "tender", "unlimited", "capped")


@dataclass
class Side:
    """A tenant's tills and members, what its sales pay with, and what its blocks measured."""

    name: str
    keys: list[str]
    phones: list[str]
    tenders: dict[str, list[dict[str, Any]]] | None = None
    phase: Phase = field(default_factory=Phase)
    waits: Counter[str] = field(default_factory=Counter)
    samples: int = 0
    concurrent_pairs: int = 0
    explained: dict[str, Any] = field(default_factory=dict)


def make_sides(url: str, names: list[str]) -> list[Side]:
    """A fresh database with a tenant ("none", and "tender" paying by its members'
    certificates) and a tenant a promotion side."""
    from checkout import add_tenant, setup
    from checkout_budgets import CAPPED_MINOR, last_tenant, ten_percent_off
    from checkout_tenders import CERTIFICATE_MINOR, TENDER_MINOR, _certificates

    caps: dict[str, int | None] = {"unlimited": None, "capped": CAPPED_MINOR}
    keys, phones = setup(url)
    tenders = None
    if "tender" in names:  # certificates of the last tenant: the first, before any other
        codes = _certificates(url, len(phones), CERTIFICATE_MINOR)
        tenders = {phone: [{"kind": "certificate", "code": code, "amount": TENDER_MINOR}]
                   for phone, code in zip(phones, codes, strict=True)}
    sides = []
    for name in names:
        if name in caps:
            promoted = add_tenant(url, name=f"Bench {name}")
            ten_percent_off(url, last_tenant(url), caps[name])
            sides.append(Side(name, *promoted))
        else:
            sides.append(Side(name, keys, phones, tenders if name == "tender" else None))
    analyze(url)
    return sides


def pair_call(client: Any) -> Callable[[Side, int | None], Awaitable[None]]:
    """A quote and then its commit of ``side``'s sale, from the till ``till`` or from the
    first eight in turn, by a member picked by phone (the same sequence every run)."""
    from checkout import BASKET

    rng = random.Random(1)
    tag = f"{time.time():.0f}"
    counter = [0]

    async def pair(side: Side, till: int | None = None) -> None:
        counter[0] += 1
        auth = {"Authorization": f"Bearer {side.keys[counter[0] % 8 if till is None else till]}"}
        phone = rng.choice(side.phones)
        sale: dict[str, Any] = {"member": {"phone": phone}, "lines": BASKET,
                                "points_to_spend": 10}
        if side.tenders is not None:
            sale["tenders"] = side.tenders[phone]
        answer = await client.post("/v1/pos/quote", headers=auth, json=sale)
        assert answer.status_code == 200, answer.text
        n = f"{tag}-{counter[0]}"
        answer = await client.post("/v1/pos/commit", json={"receipt_id": n, **sale},
                                   headers={**auth, "Idempotency-Key": f"k-{n}"})
        assert answer.status_code == 200, answer.text

    return pair


async def run_pairs(client: Any, sides: list[Side], watch: Watch, statements: Statements,
                    auto: AutoExplain, args: argparse.Namespace) -> None:
    """Warm up, the sides' blocks taking turns, then concurrently, then explained."""
    pair = pair_call(client)
    for side in sides:  # the pool, the caches, the prepared statements
        for _ in range(WARM_PAIRS):
            await pair(side, None)
    for _ in range(args.rounds):
        for side in sides:
            async def one(_: int, side: Side = side) -> None:
                await pair(side, None)

            await statements.block(watch, side.phase, args.calls, one)
    for side in sides if args.clients else ():
        await _concurrently(pair, side, args)
    if args.explain:
        with auto.on():
            for side in sides:
                for _ in range(args.explain):
                    await pair(side, None)
                side.explained = auto.take()


async def _concurrently(pair: Callable[[Side, int | None], Awaitable[None]], side: Side,
                        args: argparse.Namespace) -> None:
    """``args.clients`` clients sending ``side``'s pairs for ``args.seconds``, the backends'
    lock waits sampled meanwhile into ``side.waits``."""
    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(libpq_url(args.database_url), autocommit=True) as conn:
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


def pairs(args: argparse.Namespace) -> None:
    from regulars.api.app import create_app
    from regulars.config import Settings
    from regulars.services.runtime import open_runtime

    names = args.sides.split(",")
    if unknown := set(names) - set(SIDES):
        raise SystemExit(f"unknown sides {sorted(unknown)}: the sides are {', '.join(SIDES)}")
    if not args.clients:  # one thread; with clients, the app's own thread pool
        _neighbour("checkout_app_profile")._direct_thread_pool()
    sides = make_sides(args.database_url, names)
    rt = open_runtime(Settings(database_url=args.database_url))
    app = create_app(rt)
    statements, auto = Statements(rt.db.engine), AutoExplain(rt.db.engine)
    watch = open_watch(args.database_url)
    asyncio.run(_in_thread(app, lambda client: run_pairs(client, sides, watch, statements,
                                                         auto, args)))
    watch.close()
    rt.close()
    report_pairs(sides, args)
    if args.dump:
        dump({side.name: side.explained for side in sides}, args.dump)
    if args.json:
        args.json.write_text(json.dumps({side.name: {**side.phase.as_json(),
                                                     "explained": side.explained}
                                         for side in sides}, indent=1))


def report_pairs(sides: list[Side], args: argparse.Namespace) -> None:
    names = ", ".join(side.name for side in sides)
    parts = [side.phase.as_json() for side in sides]
    show(f"a pair by side ({names}; {args.rounds} blocks of {args.calls} pairs a side, taking "
         f"turns); the {args.top} rows that differ most from {sides[0].name}'s", parts,
         [part["calls"] for part in parts], top=args.top)
    base = totals(parts[0], parts[0]["calls"])
    for side, part in zip(sides[1:], parts[1:], strict=True):
        found = totals(part, part["calls"])
        print(f"== {side.name} / {sides[0].name}: " + ", ".join(
            f"{name} {found[name] / base[name]:.3f}×" for name in (
                "backend CPU ms", "WAL bytes (no full pages)",
                "cluster WAL bytes (every database)", "statements") if base[name]))
    for side in sides:
        print(f"   {side.name}: backend CPU ms a pair by block: "
              + ", ".join(f"{ms:.2f}" for ms in side.phase.cpu_ms))
    for side in sides:
        if side.samples:
            print(f"== {side.name}, {args.clients} clients: {side.concurrent_pairs} pairs, "
                  f"{side.samples} samples; lock waits a sample:")
            for what, n in side.waits.most_common(8):
                print(f"   {n / side.samples:6.3f}  {what}")
    if args.explain:
        show_explained(f"each statement of a pair as auto_explain saw it, summed by kind, a pair"
                       f" ({names})", [side.explained for side in sides],
                       [args.explain] * len(sides))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("setup", "measure", "compare", "pairs"))
    parser.add_argument("results", nargs="*", type=Path, help="compare: the old and new JSON")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--state", type=Path, default=Path("bench_checkout_pg.json"),
                        help="where setup leaves the till keys and phones for measure")
    parser.add_argument("-n", "--calls", "--pairs", dest="calls", type=int, default=200,
                        help="measure: commits, then quotes; pairs: pairs a block")
    parser.add_argument("--json", type=Path, help="measure, pairs: also write the figures here")
    parser.add_argument("--explain", "--explained", dest="explain", type=int, default=0,
                        metavar="N", help="then N commits (measure) or N pairs a side (pairs) "
                        "more, each statement explained by auto_explain to this client")
    parser.add_argument("--dump", type=Path, metavar="FILE",
                        help="with --explain: write each statement kind's last plan to FILE")
    parser.add_argument("--sides", default="none,tender",
                        help=f"pairs: some of {', '.join(SIDES)}; the first is the base")
    parser.add_argument("--rounds", type=int, default=2, help="pairs: blocks a side")
    parser.add_argument("--top", type=int, default=40, help="pairs: rows shown")
    parser.add_argument("--clients", type=int, default=0,
                        help="pairs: then each side's pairs from this many clients at once")
    parser.add_argument("--seconds", type=float, default=10.0, help="pairs: with --clients")
    args = parser.parse_args()
    if args.step == "setup":
        from checkout import setup

        args.state.write_text(json.dumps(setup(args.database_url)))
    elif args.step == "measure":
        measure(args)
    elif args.step == "pairs":
        pairs(args)
    else:
        if len(args.results) != 2:
            parser.error("compare takes two files: the old and the new")
        report_measured([json.loads(path.read_text()) for path in args.results])
    return 0


if __name__ == "__main__":
    sys.exit(main())
