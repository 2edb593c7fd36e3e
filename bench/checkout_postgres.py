"""What PostgreSQL does for a commit: statements, the rows and index entries written (read back
from the write-ahead log, relation by relation), the WAL bytes and the CPU of the backends.
Counts read from the log do not move with the machine's load, unlike times.

    uv run python bench/checkout_postgres.py setup --database-url .../bench_pg --state S
    uv run python bench/checkout_postgres.py measure --database-url .../bench_pg --state S \\
        -n 200 --json out.json
    uv run python bench/checkout_postgres.py compare OLD.json NEW.json

Run ``setup`` and ``measure`` from the checkout measured (its own ``bench/checkout.py`` sets up
the database, its own ``regulars`` answers), giving this file's path from another checkout.
``measure`` calls the ASGI app in one thread (the route's thread pool replaced by a direct
call; thirty quote+commit pairs to warm it), then ``-n`` commits one after the other, each of a
new receipt by a member picked by phone, spending 10 points, as ``bench/checkout.py`` sends
them; then ``-n`` quotes. Around each phase it reads the CPU of the database's backends
(``/proc/PID/stat``, so it needs to run on the database's machine with the right to read it)
and the log's position; the log written in between is read with ``pg_walinspect`` (created in
the measured database), keeping only the records of this database's relations and of the
transactions that wrote them, so other databases on the same server do not count. Full-page
images (the first change to a page after a checkpoint) are shown apart, as where checkpoints
fall depends on the whole server.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(os.getcwd()) / "bench"  # the checkout measured: its own set-up and code
sys.path.insert(0, str(HERE))

from _common import processes_cpu_s  # noqa: E402

_REL = re.compile(r"rel \d+/(\d+)/(\d+)")


def _neighbour(name: str) -> Any:
    """A module beside this file, whatever the checkout measured holds under that name."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _one(monitor: Any, query: str) -> str:
    row = monitor.execute(query).fetchone()
    assert row is not None
    return str(row[0])


def _backend_cpu_s(monitor: Any) -> float:
    """User and system CPU of every other backend connected to this database."""
    return processes_cpu_s(pid for (pid,) in monitor.execute(
        "select pid from pg_stat_activity where datname = current_database() "
        "and pid <> pg_backend_pid()"))


def _statement_kind(statement: str) -> str:
    words = " ".join(statement.split())
    checked = re.search(r'FROM ONLY "public"\."(\w+)" x WHERE .* FOR KEY SHARE', words)
    if checked:
        return f"foreign key check on {checked.group(1)}"
    found = re.match(r"(INSERT INTO|UPDATE|DELETE FROM) (\w+)", words)
    if found:
        return f"{found.group(1).split()[0]} {found.group(2)}"
    found = re.match(r"(WITH|SELECT).*? FROM (\w+)", words)
    return f"SELECT {found.group(2)}" if found else words[:40]


def _wal(monitor: Any, start: str, end: str) -> dict[str, Any]:
    """This database's log records between two positions, grouped by relation and kind."""
    dboid = _one(monitor, "select oid::text from pg_database where datname = current_database()")
    names = dict(monitor.execute(
        "select pg_relation_filenode(oid)::text, relname from pg_class "
        "where pg_relation_filenode(oid) is not null").fetchall())
    rows = monitor.execute(
        "select xid::text, resource_manager, record_type, record_length, fpi_length, block_ref "
        "from pg_get_wal_records_info(%s, %s)", (start, end)).fetchall()
    ours: set[str] = set()
    records: Counter[str] = Counter()
    bytes_: Counter[str] = Counter()
    fpi = 0
    kept = []
    for xid, manager, kind, length, fpi_length, block_ref in rows:
        rels = _REL.findall(block_ref or "")
        if rels and all(db == dboid for db, _ in rels):
            if xid != "0":
                ours.add(xid)
            kept.append((manager, kind, length, fpi_length, rels[0][1]))
        elif not rels and xid in ours:
            kept.append((manager, kind, length, fpi_length, None))
    for manager, kind, length, fpi_length, node in kept:
        where = names.get(node, f"filenode {node}") if node else "(no relation)"
        key = f"{where}: {manager} {kind}"
        records[key] += 1
        bytes_[key] += length - fpi_length
        fpi += fpi_length
    return {"records": dict(records), "bytes": dict(bytes_), "fpi_bytes": fpi,
            "transactions": len(ours)}


async def _in_thread(app: Any, step: Any) -> None:
    """``step(client)`` with a client of the ASGI app in this thread."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await step(client)


_AUTO_EXPLAIN = ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                 "SET auto_explain.log_analyze = on", "SET auto_explain.log_buffers = on",
                 "SET auto_explain.log_wal = on", "SET auto_explain.log_triggers = on",
                 "SET auto_explain.log_nested_statements = on",
                 "SET auto_explain.log_format = json", "SET auto_explain.log_level = notice",
                 "SET client_min_messages = notice")


def _explained(rt: Any, run: Any) -> dict[str, Any]:
    """Each statement of the commits ``run`` makes, as auto_explain saw it (sent to this client
    as notices, never to the server's log): ms, triggers' ms and calls, WAL, buffers, by
    statement kind, summed."""
    from sqlalchemy import event

    plans: list[tuple[float, dict[str, Any]]] = []

    def notice(diag: Any) -> None:
        head, _, body = (diag.message_primary or "").partition("plan:")
        if head.startswith("duration:") and body.strip():
            plans.append((float(head.split()[1]), json.loads(body)))

    def connected(dbapi_conn: Any, _record: Any) -> None:
        for setting in _AUTO_EXPLAIN:
            dbapi_conn.execute(setting)
        dbapi_conn.commit()
        dbapi_conn.add_notice_handler(notice)

    rt.db.engine.dispose()
    event.listen(rt.db.engine, "connect", connected)
    run()
    rt.db.engine.dispose()
    kinds: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    texts: dict[str, str] = {}
    for ms, plan in plans:
        kind = _statement_kind(plan["Query Text"])
        texts.setdefault(kind, plan["Query Text"])
        top = plan["Plan"]
        found = kinds[kind]
        found["calls"] += 1
        found["ms"] += ms
        found["wal_records"] += top.get("WAL Records", 0)
        found["wal_bytes"] += top.get("WAL Bytes", 0)
        found["buffers_hit"] += top.get("Shared Hit Blocks", 0)
        found["buffers_dirtied"] += top.get("Shared Dirtied Blocks", 0)
        for trigger in plan.get("Triggers", []):
            name = trigger.get("Constraint Name", trigger["Trigger Name"])
            found[f"{name} ms"] += trigger["Time"]
            found[f"{name} calls"] += trigger["Calls"]
    return {"kinds": {name: dict(found) for name, found in kinds.items()}, "texts": texts}


def measure(url: str, state: Path, calls: int, out: Path | None, explain: int) -> None:
    import psycopg
    from sqlalchemy import event

    from checkout import BASKET  # the measured checkout's own
    from regulars.api.app import create_app
    from regulars.config import Settings
    from regulars.services.runtime import open_runtime

    _neighbour("checkout_app_profile")._direct_thread_pool()
    pos_calls = _neighbour("checkout_instructions").pos_calls
    keys, phones = json.loads(state.read_text())
    rt = open_runtime(Settings(database_url=url))
    app = create_app(rt)
    statements: Counter[str] = Counter()
    counting = [False]

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if counting[0]:
            statements[_statement_kind(statement)] += 1

    event.listen(rt.db.engine, "after_cursor_execute", count)
    monitor = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                              autocommit=True)
    monitor.execute("create extension if not exists pg_walinspect")
    figures: dict[str, Any] = {"calls": calls}

    async def phases(client: Any) -> None:
        quote, commit = pos_calls(client, keys, phones, BASKET)
        for n in range(30):
            await quote(n)
            await commit(10**6 + n)
        for kind, call in (("commit", commit), ("quote", quote)):
            statements.clear()
            start = _one(monitor, "select pg_current_wal_flush_lsn()::text")
            cpu, wall = _backend_cpu_s(monitor), time.perf_counter()
            counting[0] = True
            for n in range(calls):
                await call(n)
            counting[0] = False
            cpu, wall = _backend_cpu_s(monitor) - cpu, time.perf_counter() - wall
            end = _one(monitor, "select pg_current_wal_flush_lsn()::text")
            figures[kind] = {"backend_cpu_ms": cpu * 1e3 / calls, "wall_ms": wall * 1e3 / calls,
                             "statements": dict(statements),
                             "wal": _wal(monitor, start, end)}

    async def explained(client: Any) -> None:
        commit = pos_calls(client, keys, phones, BASKET, prefix="x")[1]
        for n in range(explain):
            await commit(n)

    asyncio.run(_in_thread(app, phases))
    if explain:
        figures["explained_commits"] = explain
        figures["explained"] = _explained(rt, lambda: asyncio.run(_in_thread(app, explained)))
    monitor.close()
    rt.close()
    show(figures)
    show_explained(figures)
    if out:
        out.write_text(json.dumps(figures, indent=1))


def _per_call(figures: dict[str, Any], kind: str) -> dict[str, dict[str, float]]:
    """Rows of one side: statements, log records and bytes, a call."""
    n = figures["calls"]
    part = figures[kind]
    rows: dict[str, dict[str, float]] = defaultdict(dict)
    for name, seen in part["statements"].items():
        rows[f"statement {name}"]["count"] = seen / n
    for name, seen in part["wal"]["records"].items():
        rows[f"wal {name}"]["count"] = seen / n
        rows[f"wal {name}"]["bytes"] = part["wal"]["bytes"][name] / n
    return rows


def _totals(figures: dict[str, Any], kind: str) -> dict[str, float]:
    n = figures["calls"]
    part = figures[kind]
    return {"statements": sum(part["statements"].values()) / n,
            "WAL records": sum(part["wal"]["records"].values()) / n,
            "WAL bytes (no full pages)": sum(part["wal"]["bytes"].values()) / n,
            "full-page image bytes": part["wal"]["fpi_bytes"] / n,
            "heap rows written": sum(v for k, v in part["wal"]["records"].items()
                                     if re.search(r": Heap2? (INSERT|UPDATE|HOT_UPDATE"
                                                  r"|MULTI_INSERT)", k)) / n,
            "index entries written": sum(v for k, v in part["wal"]["records"].items()
                                         if re.search(r": Btree INSERT_(LEAF|POST)", k)) / n,
            "backend CPU ms": part["backend_cpu_ms"], "wall ms": part["wall_ms"]}


def show_explained(figures: dict[str, Any], other: dict[str, Any] | None = None) -> None:
    both = [figures] if other is None else [figures, other]
    sides = [f.get("explained", {}).get("kinds", {}) for f in both]
    print("== each statement of a commit as auto_explain saw it, summed by kind, a commit")
    commits = [f.get("explained_commits", 1) for f in both]
    for kind in sorted(set().union(*sides)):
        found = [side.get(kind, {}) for side in sides]
        for name in sorted(set().union(*found)):
            values = [f.get(name, 0) / max(c, 1) for f, c in zip(found, commits, strict=True)]
            if name == "calls" or max(values) >= 0.005:
                print(f"  {kind[:40]:40} {name[:40]:40} "
                      + " ".join(f"{v:9.3f}" for v in values))


def show(figures: dict[str, Any], other: dict[str, Any] | None = None) -> None:
    sides = [figures] if other is None else [figures, other]
    for kind in ("commit", "quote"):
        print(f"== a {kind}" + ("" if other is None else " (old, new)"))
        totals = [_totals(side, kind) for side in sides]
        for name in totals[0]:
            print(f"  {name:64} " + " ".join(f"{t[name]:10.2f}" for t in totals))
        rows = [_per_call(side, kind) for side in sides]
        for name in sorted(set().union(*rows)):
            values = [row.get(name, {}) for row in rows]
            print(f"  {name[:64]:64} " + " ".join(
                f"{v.get('count', 0):6.2f} {v.get('bytes', 0):6.0f}B" for v in values))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("setup", "measure", "compare"))
    parser.add_argument("results", nargs="*", type=Path, help="compare: the old and new JSON")
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_postgres")
    parser.add_argument("--state", type=Path, default=Path("bench_postgres.json"),
                        help="where setup leaves the till keys and phones for measure")
    parser.add_argument("-n", "--calls", type=int, default=200)
    parser.add_argument("--json", type=Path, help="measure: also write the figures here")
    parser.add_argument("--explain", type=int, default=0, metavar="N",
                        help="measure: then N commits more, each statement explained by "
                             "auto_explain (ANALYZE, BUFFERS, WAL, triggers) to this client")
    args = parser.parse_args()
    if args.step == "setup":
        from checkout import setup

        args.state.write_text(json.dumps(setup(args.database_url)))
    elif args.step == "measure":
        measure(args.database_url, args.state, args.calls, args.json, args.explain)
    else:
        if len(args.results) != 2:
            parser.error("compare takes two files: the old and the new")
        old, new = (json.loads(path.read_text()) for path in args.results)
        show(old, new)
        show_explained(old, new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
