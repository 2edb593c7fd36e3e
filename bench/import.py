"""Importing receipts: rows per second of ``regulars import receipts`` (the service: parse,
check, match or create members, insert receipts with their line and spend per day, in one
unit of work) against baselines measured in the same run: a plain SQLAlchemy
``executemany`` of the same receipt rows (no parsing, no members, no lines) and, on
PostgreSQL, a psycopg ``COPY`` of them, each into a fresh tenant of the same database.

    uv run python bench/import.py --database-url postgresql://postgres@127.0.0.1:5432/bench_import \
        --rows 200000

``--profile`` prints the seconds of each statement of the import (and of the client's work
before it: the staging ``COPY`` is the gap before ``ANALYZE import_rows``), ``--explain`` the
plans of its set-based writes as run (``EXPLAIN (ANALYZE, BUFFERS, WAL)``: rows, WAL, the time
of each foreign key's trigger), ``--no-executemany`` leaves that baseline out.

The file is CDNOW-shaped (``customer date quantity amount``, whitespace-separated) with
``--rows`` lines over ``rows // 3`` customers. The database named is dropped and made anew.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The import's members are sealed under the built-in development key, in a database that
# already holds the baselines' businesses.
os.environ.setdefault("REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED", "true")

import psycopg  # noqa: E402
from psycopg.types.json import Json  # noqa: E402
from sqlalchemy import event, insert

from _common import libpq_url, processes_cpu_s, recreate_database
from regulars.config import Settings
from regulars.db.checkout.tables import receipts
from regulars.domain.imports.fields import Kind
from regulars.services.audit import audit
from regulars.services.imports.imports import ImportRequest, import_file
from regulars.services.runtime import open_runtime
from regulars.services.tenancy import tenants


def _write_file(path: Path, rows: int) -> None:
    rng = random.Random(7)
    start = datetime(1997, 1, 1)
    with path.open("w", encoding="ascii") as out:
        for _ in range(rows):
            day = start + timedelta(days=rng.randrange(540))
            out.write(f" {rng.randrange(max(1, rows // 3)):07d} {day:%Y%m%d} "
                      f"{rng.randrange(1, 6):2d} {rng.randrange(100, 30000) / 100:8.2f}\n")


def _server_cpu(url: str) -> float:
    """CPU seconds (user + system, from ``/proc``) of the server's backends connected to the
    database ``url`` now (0 for SQLite): a noisy machine moves wall time, much less this."""
    if not url.startswith("postgresql"):
        return 0.0
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return processes_cpu_s(pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"))


SERVER_CPU: dict[str, float] = {}
"""Each measured write's backend CPU seconds, by name (``copy``, ``import``), and the
import's own process's (``client``)."""


def _client_cpu() -> float:
    """CPU seconds (user + system) of this process so far."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _baseline(url: str, rows: int, *, copy: bool) -> float:
    """Seconds for writing ``rows`` receipt rows into a fresh tenant: a plain executemany in
    batches of 2,000, or (``copy``, PostgreSQL) one ``COPY … FROM STDIN`` with psycopg."""
    with open_runtime(Settings(database_url=url), migrate=True) as rt:
        shop = tenants.create_tenant(rt, name="Baseline", currency="USD", locale="en_US",
                                     timezone="UTC", phone_region="US")
        store = tenants.create_store(rt, shop.tenant_id, code="main", name="Main",
                                     actor=audit.SYSTEM)
        till = tenants.create_terminal(rt, shop.tenant_id, store_id=store.id, code="t",
                                       name="T", actor=audit.SYSTEM)
        now = datetime.now(UTC)
        values = [{"tenant_id": shop.tenant_id, "terminal_id": till.id,
                   "store_id": store.id, "staff_id": None, "receipt_no": f"B{n}",
                   "member_id": None, "status": "committed", "program_version": 1,
                   "gross_minor": 1000, "discount_minor": 0, "points_spent": 0,
                   "points_discount_minor": 0, "paid_minor": 1000, "points_earned": 0,
                   "request_hash": "x", "response": Json({}), "occurred_at": now,
                   "recorded_at": now} for n in range(rows)]
        began, cpu = time.perf_counter(), _server_cpu(url)
        with rt.db.write() as conn:
            if copy:
                names = ", ".join(values[0])
                raw = conn.connection.driver_connection
                with raw.cursor() as cursor, cursor.copy(
                        f"COPY receipts ({names}) FROM STDIN") as out:
                    for row in values:
                        out.write_row(list(row.values()))
            else:
                for row in values:
                    row["response"] = {}
                for start in range(0, rows, 2000):
                    conn.execute(insert(receipts), values[start:start + 2000])
        seconds = time.perf_counter() - began
        SERVER_CPU["copy" if copy else "executemany"] = _server_cpu(url) - cpu
        return seconds


class _Profile:
    """Seconds of each statement of the import (its first words), and the seconds before it
    since the last one ended (the client's reading and, before ``ANALYZE import_rows``, the
    staging ``COPY``)."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        self.last = time.perf_counter()
        self.began = 0.0
        self.key = ""

    def before(self, *args: object) -> None:
        self.began = time.perf_counter()
        statement = " ".join(str(args[2]).split())
        key = statement[:90]
        self.spent[key][1] += self.began - self.last
        self.key = key

    def after(self, *_: object) -> None:
        self.last = time.perf_counter()
        self.spent[self.key][0] += self.last - self.began
        self.spent[self.key][2] += 1

    def show(self) -> None:
        print(f"{'statement':92} {'calls':>6} {'exec s':>8} {'gap s':>8}")
        for key, (spent, gap, calls) in sorted(self.spent.items(), key=lambda i: -i[1][0]):
            if spent + gap >= 0.05:
                print(f"{key:92} {calls:6d} {spent:8.2f} {gap:8.2f}")


_EXPLAINED = ("INSERT INTO receipts ", "INSERT INTO receipt_lines ", "INSERT INTO spend_days ",
              "UPDATE member_purchases ", "INSERT INTO member_purchases ", "WITH spend ",
              "WITH f ", "CREATE TEMPORARY TABLE refreshed_times")


def _explain(*event: Any) -> tuple[str, object]:
    """The import's set-based writes run under ``EXPLAIN (ANALYZE, BUFFERS, WAL)`` (the
    event's arguments: connection, cursor, statement, parameters, …)."""
    statement, parameters = event[2], event[3]
    if " ".join(statement.split()).startswith(_EXPLAINED):
        statement = "EXPLAIN (ANALYZE, BUFFERS, WAL) " + statement
    return statement, parameters


def _plan(*event: Any) -> None:
    cursor, statement = event[1], event[2]
    if statement.startswith("EXPLAIN"):
        print(" ".join(statement.split())[:120])
        for (line,) in cursor.fetchall():
            print("   ", line)


def _import(url: str, path: Path, profile: _Profile | None = None,
            explain: bool = False) -> tuple[float, int]:
    with open_runtime(Settings(database_url=url), migrate=True) as rt:
        if profile is not None:
            event.listen(rt.db.engine, "before_cursor_execute", profile.before)
            event.listen(rt.db.engine, "after_cursor_execute", profile.after)
        if explain:
            event.listen(rt.db.engine, "before_cursor_execute", _explain, retval=True)
            event.listen(rt.db.engine, "after_cursor_execute", _plan)
        shop = tenants.create_tenant(rt, name="Imported", currency="USD", locale="en_US",
                                     timezone="UTC", phone_region="US")
        tenants.create_store(rt, shop.tenant_id, code="main", name="Main", actor=audit.SYSTEM)
        began, cpu, client = time.perf_counter(), _server_cpu(url), _client_cpu()
        report = import_file(rt, shop.tenant_id, ImportRequest(
            kind=Kind.RECEIPTS, path=path, preset="cdnow"), actor=audit.SYSTEM)
        seconds = time.perf_counter() - began
        SERVER_CPU["import"] = _server_cpu(url) - cpu
        SERVER_CPU["client"] = _client_cpu() - client
        return seconds, report.imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--profile", action="store_true",
                        help="print each statement's seconds during the import")
    parser.add_argument("--no-executemany", action="store_true",
                        help="leave out the executemany baseline (PostgreSQL: COPY is kept)")
    parser.add_argument("--explain", action="store_true",
                        help="print the plans of the import's set-based writes, as run")
    args = parser.parse_args()
    if args.database_url.startswith("postgresql"):
        recreate_database(args.database_url)
    postgres = args.database_url.startswith("postgresql")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "receipts.txt"
        _write_file(path, args.rows)
        base = None if args.no_executemany and postgres else _baseline(
            args.database_url, args.rows, copy=False)
        copied = _baseline(args.database_url, args.rows, copy=True) if postgres else None
        profile = _Profile() if args.profile else None
        seconds, imported = _import(args.database_url, path, profile,
                                    args.explain)
    if profile is not None:
        profile.show()
    if base is not None:
        print(f"baseline executemany of receipt rows: {args.rows / base:10,.0f} rows/s "
              f"({base:.1f} s)")
    if copied is not None:
        print(f"baseline COPY of receipt rows:        {args.rows / copied:10,.0f} rows/s "
              f"({copied:.1f} s)")
    ratios = [f"{seconds / b:.1f}x the {name} baseline"
              for name, b in (("executemany", base), ("COPY", copied)) if b is not None]
    print(f"regulars import receipts:             {imported / seconds:10,.0f} rows/s "
          f"({seconds:.1f} s for {imported:,} receipts, {', '.join(ratios)})")
    if "import" in SERVER_CPU and "copy" in SERVER_CPU:
        print(f"server backends' CPU: import {SERVER_CPU['import']:.1f} s, COPY "
              f"{SERVER_CPU['copy']:.1f} s ({SERVER_CPU['import'] / SERVER_CPU['copy']:.1f}x)")
    print(f"client (this process) CPU during the import: {SERVER_CPU['client']:.1f} s")
    print(f"1M receipts at this rate: {1_000_000 * seconds / imported:.0f} s")


if __name__ == "__main__":
    main()
