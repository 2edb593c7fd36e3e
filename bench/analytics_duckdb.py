"""Benchmark: DuckDB against plain SQL for the CLV summary's input, on PostgreSQL.

The issue asks for DuckDB (embedded) for the heavy queries, reading PostgreSQL without an
extension that needs a download, "or plain SQL where that is faster". The CLV report's input
is the heaviest read of a member's history: every net purchase of every member, folded per
member into purchase days, first and last day, spend and repeat spend. These ways, each
giving the same rows (checked), timed in the same run:

- ``python fold``: what the report did before, every net receipt read in pages of 10,000
  rows and folded member by member in Python (``summarise_by_member``), kept here as it was;
- ``the report's read``: what the report does (``clv.purchase_summary``): the database
  groups the purchases by member and local day, then by member, 10,000 members a statement;
- ``plain SQL``: PostgreSQL groups the purchases by member and local day, then by member,
  and sends one row per member;
- ``duckdb``: PostgreSQL sends the purchases (member, local day, net amount) by ``COPY … TO
  STDOUT`` into a CSV file in memory (``/dev/shm``), which DuckDB reads and groups the same
  way; ``copy out`` alone (the rows DuckDB must be handed, as no extension reads PostgreSQL
  without a download) is timed too.

    uv run python bench/analytics_duckdb.py [--receipts 1000000] [--members 100000] [--repeat 3]
                                            [--no-duckdb]

The script (re)creates its own database (``bench_analytics_duckdb``) with a table holding the
columns of ``receipts`` these reads use (two years, a third of the receipts anonymous, 3 %
refunded, 2 % partly refunded, 1 % voided, as ``bench/analytics.py``); ``--reuse`` keeps it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import psycopg
from rich.table import Table
from sqlalchemy import Connection, bindparam, select, tuple_

from _common import analyze, libpq_url, machine, make_console, recreate_database, server_version
from regulars.analytics.summary import CalibrationSummary, TimeUnit, summarise_by_member
from regulars.db.checkout.tables import receipts
from regulars.db.engine import make_engine
from regulars.domain.analytics.days import SOLD
from regulars.services.analytics.clv import purchase_summary

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_analytics_duckdb"
ZONE = "Europe/Dublin"
END = date(2026, 12, 5)
UNTIL = datetime(2026, 12, 6, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
console = make_console()

TABLE = """CREATE TABLE receipts (
    id bigint PRIMARY KEY, tenant_id bigint NOT NULL, member_id bigint,
    occurred_at timestamptz NOT NULL, status text NOT NULL, paid_minor bigint NOT NULL,
    refunded_paid_minor bigint NOT NULL)"""
FILL = """INSERT INTO receipts
SELECT n, 1, CASE WHEN n % 3 = 0 THEN NULL ELSE 1 + (n::bigint * 7919) % %(members)s END,
       timestamptz '2026-12-06 12:00+00'
           - (n::bigint * 63072000 / %(receipts)s) * interval '1 second',
       CASE WHEN n % 100 = 7 THEN 'voided' WHEN n % 100 < 3 THEN 'refunded'
            WHEN n % 100 < 5 THEN 'partially_refunded' ELSE 'committed' END,
       500 + (n * 37) % 9500,
       CASE WHEN n % 100 < 3 THEN 500 + (n * 37) % 9500
            WHEN n % 100 < 5 THEN 100 ELSE 0 END
FROM generate_series(1, %(receipts)s) AS n"""
INDEXES = ("CREATE INDEX ON receipts (tenant_id, member_id, occurred_at, id) "
           "WHERE member_id IS NOT NULL",
           # receipts' own, by which the report finds the first receipt's instant
           "CREATE INDEX ON receipts (tenant_id, occurred_at)")

WHERE = ("tenant_id = 1 AND status IN ('committed', 'partially_refunded') "
         "AND member_id IS NOT NULL AND occurred_at < %(until)s")
DAYS = f"""SELECT member_id, ((occurred_at AT TIME ZONE '{ZONE}')::date - date '0001-01-01' + 1)
              AS day, greatest(paid_minor - refunded_paid_minor, 0) AS amount
           FROM receipts WHERE {WHERE}"""
PER_MEMBER = """WITH d AS (SELECT member_id, day, sum(amount) AS amount FROM ({rows}) AS p
                          GROUP BY member_id, day)
SELECT member_id, count(*) - 1, min(day), max(day), sum(amount),
       sum(amount) - (array_agg(amount ORDER BY day))[1]
FROM d GROUP BY member_id ORDER BY member_id"""
DUCK_PER_MEMBER = """WITH d AS (SELECT member_id, day, sum(amount) AS amount FROM {rows}
                               GROUP BY member_id, day)
SELECT member_id, count(*) - 1, min(day), max(day), sum(amount),
       sum(amount) - arg_min(amount, day)
FROM d GROUP BY member_id ORDER BY member_id"""

Columns = tuple[np.ndarray[Any, Any], ...]
"""member id, repeat purchases, first day, last day, spend, repeat spend."""


def build(url: str, *, receipts: int, members: int) -> None:
    recreate_database(url)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(TABLE)
        started = time.perf_counter()
        conn.execute(FILL.replace("%(members)s", str(members))
                     .replace("%(receipts)s", str(receipts)))
        for index in INDEXES:
            conn.execute(index)
        console.print(f"built {receipts:,} receipts in {time.perf_counter() - started:.0f} s")
    analyze(url)


def of_summary(summary: CalibrationSummary) -> Columns:
    end = END.toordinal()
    return (np.asarray(summary.member_ids), summary.frequency,
            end - summary.days_since_first, end - summary.days_since_last,
            summary.spend_minor, summary.repeat_spend_minor)


def _receipt_pages(conn: Connection, page_rows: int = 10_000
                   ) -> Iterator[tuple[int, datetime, int]]:
    """(member id, when, net amount) of every net receipt with a member, in member and time
    order, a page of rows a statement: the report's read before it grouped in SQL."""
    c = receipts.c
    key = tuple_(c.member_id, c.occurred_at, c.id)
    after = tuple_(bindparam("m", type_=c.member_id.type),
                   bindparam("at", type_=c.occurred_at.type), bindparam("id", type_=c.id.type))
    query = (select(c.member_id, c.occurred_at, (c.paid_minor - c.refunded_paid_minor), c.id)
             .where(c.tenant_id == 1, c.status.in_(SOLD), c.member_id.is_not(None),
                    c.occurred_at < UNTIL)
             .order_by(c.member_id, c.occurred_at, c.id).limit(page_rows))
    page = conn.execute(query).all()
    while page:
        for member_id, at, net_minor, _ in page:
            yield int(member_id), at, max(0, int(net_minor))
        if len(page) < page_rows:
            return
        last = page[-1]
        page = conn.execute(query.where(key > after),
                            {"m": last[0], "at": last[1], "id": last[3]}).all()


def _summary(url: str, read: Callable[[Connection], CalibrationSummary]) -> Columns:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return of_summary(read(conn))
    finally:
        engine.dispose()


def python_fold(url: str) -> Columns:
    zone = ZoneInfo(ZONE)
    return _summary(url, lambda conn: summarise_by_member(
        ((m, at.astimezone(zone).date().toordinal(), amount)
         for m, at, amount in _receipt_pages(conn)), calibration_end=END, unit=TimeUnit.WEEKS))


def report_read(url: str) -> Columns:
    return _summary(url, lambda conn: purchase_summary(conn, 1, ZoneInfo(ZONE), END,
                                                       TimeUnit.WEEKS))


def plain_sql(url: str) -> Columns:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(PER_MEMBER.format(rows=DAYS), {"until": UNTIL}).fetchall()
    return tuple(np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))


def copy_out(url: str, path: str) -> int:
    """The purchases as CSV into ``path``; bytes written."""
    size = 0
    with psycopg.connect(libpq_url(url)) as conn, open(path, "wb") as out:
        query = psycopg.sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(
            psycopg.sql.SQL(DAYS.replace("%(until)s", "{}")).format(psycopg.sql.Literal(UNTIL)))
        with conn.cursor().copy(query) as copy:
            for block in copy:
                out.write(block)
                size += len(block)
    return size


def with_duckdb(url: str, path: str) -> Columns:
    copy_out(url, path)
    con = duckdb.connect()
    try:
        rows = (f"read_csv('{path}', header = false, "
                "columns = {'member_id': 'BIGINT', 'day': 'INTEGER', 'amount': 'BIGINT'})")
        found = con.execute(DUCK_PER_MEMBER.format(rows=rows)).fetchnumpy()
    finally:
        con.close()
    return tuple(np.asarray(found[k], dtype=np.int64) for k in found)


def timed(repeat: int, step: Callable[[], Any]) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--no-duckdb", action="store_true", help="leave out copy out and DuckDB")
    args = parser.parse_args()
    if not args.reuse:
        build(args.url, receipts=args.receipts, members=args.members)
    console.print(machine(), server_version(args.url), f"DuckDB {duckdb.__version__}")
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
        path = os.path.join(d, "purchases.csv")
        ways: dict[str, Callable[[], Any]] = {
            "python fold (the report before)": lambda: python_fold(args.url),
            "the report's read (grouped in SQL)": lambda: report_read(args.url),
            "plain SQL (PostgreSQL groups)": lambda: plain_sql(args.url),
        }
        if not args.no_duckdb:
            ways["copy out alone (DuckDB's input)"] = lambda: copy_out(args.url, path)
            ways["duckdb (copy out + DuckDB groups)"] = lambda: with_duckdb(args.url, path)
        table = Table("way", "p50 ms", "min ms", "max ms", "rows (copy out: bytes)")
        answers = {}
        for name, step in ways.items():
            times, answers[name] = timed(args.repeat, step)
            rows = answers[name] if isinstance(answers[name], int) else len(answers[name][0])
            table.add_row(name, f"{statistics.median(times):,.0f}", f"{min(times):,.0f}",
                          f"{max(times):,.0f}", f"{rows:,}")
    console.print(table)
    reference = answers["python fold (the report before)"]
    for name in (n for n in ways if n in answers and not isinstance(answers[n], int)
                 and n != "python fold (the report before)"):
        same = all(np.array_equal(a, b) for a, b in zip(reference, answers[name], strict=True))
        console.print(f"{name}: {'the same rows' if same else 'DIFFERENT rows'}")
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
