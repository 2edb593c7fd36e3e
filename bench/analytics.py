"""Benchmark: the analytics overview (``figures.overview``) on a large tenant, on PostgreSQL.

Target (from the issue): the overview for any range p95 ≤ 300 ms (on a tenant of 10M receipts
and 1M members). The baseline, timed in the same run, is the one query every report needs at
least: count and sum the tenant's receipts of the same period.

    uv run python bench/analytics.py                        # 1M receipts, 100k members
    uv run python bench/analytics.py --receipts 10000000 --members 1000000

The script (re)creates its own database (``bench_analytics`` by default, never ``test``),
builds the schema and a tenant through the services, then bulk-loads members, receipts over
two years (a third anonymous, 3 % refunded, 2 % partly refunded, 1 % voided), one line per
receipt and one earn entry per member receipt with ``INSERT ... SELECT generate_series``
into tables whose secondary indexes are built after the load, with the foreign keys not
checked row by row, then writes the daily aggregates (``sales_days``, ``member_purchases``,
``purchase_gaps``, ``join_days``, ``repeat_gaps``) by the statements of the migrations that
back-fill them, and ``spend_days``, each step timed: ``regulars ledger check`` finds the
aggregates consistent with the receipts (10M receipts and 1M members in 26 minutes on two
busy cores, ``--check`` compares them at that size). ``--plain-load`` builds it as before
(rows into the indexed tables, then migrations 0037, 0043 and 0050 run again: 67 minutes at
10M, and no ``spend_days``).
``--reuse`` skips all that and times the database a previous run left. It then calls the
overview for each preset (and a custom year) ``--repeat`` times each and prints p50/p95
beside the baseline's; then the member figures alone (members active in the 90 days before
the end, at risk and churned, for the current and the previous period's end) from the
aggregates beside the same counts over the receipts (a distinct count of the members who
bought in the window), timed in the same run.

``--levels`` times the ``levels`` report table instead (3 levels by lifetime spend: 0, 250.00,
1 000.00): by level, every member's level worked out once, beside the old way of the same
figures, a saved segment per level whose ``level`` rule looks each member's level up alone
(the ``segments`` table), for the last 30 and 365 days, checking both give the same figures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from alembic import command
from rich.table import Table

from _common import analyze, libpq_url, machine, make_console, recreate_database, server_version
from regulars.config import Settings
from regulars.db.analytics import days, gaps, joins, repeats
from regulars.db.engine import make_engine
from regulars.db.migrate import alembic_config
from regulars.db.program.spend_totals import LIFETIME_DAY
from regulars.domain.analytics.ranges import Preset
from regulars.domain.program.program import Level
from regulars.services.analytics import breakdowns, figures
from regulars.services.analytics.figures import Request, local_start, period_for
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.promotions import segments
from regulars.services.promotions.segments import Draft, rule_of
from regulars.services.runtime import Runtime, open_runtime
from regulars.services.tenancy import tenants

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_analytics"
TARGET_MS = 300.0
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
console = make_console()


def new_tenant(url: str, name: str, cashiers: int = 0) -> tuple[int, int, int, list[int]]:
    """(tenant, store, till, cashiers' ids) of a business made in the database ``url`` names,
    (re)created and migrated: Dublin's zone, euros, one store with one till and ``cashiers``
    cashiers."""
    recreate_database(url)
    rt = open_runtime(Settings(database_url=url), migrate=True)
    try:
        created = tenants.create_tenant(rt, name=name, currency="EUR", locale="en_IE",
                                        timezone="Europe/Dublin", phone_region="IE")
        store = tenants.create_store(rt, created.tenant_id, code="main", name="Main",
                                     actor=audit.SYSTEM)
        till = tenants.create_terminal(rt, created.tenant_id, store_id=store.id,
                                       code="t1", name="Till 1", actor=audit.SYSTEM)
        staff = [tenants.create_staff(rt, created.tenant_id, name=f"Cashier {n}", email=None,
                                      role="cashier", store_id=store.id,
                                      actor=audit.SYSTEM).id for n in range(cashiers)]
    finally:
        rt.close()
    return created.tenant_id, store.id, till.id, staff


def load_steps(members: int, receipts: int, *, span_days: int = 730,
               staff: list[int] | None = None) -> list[tuple[str, str]]:
    """The bulk loads (name, statement with ``%(t)s``-style parameters): members, receipts
    over ``span_days`` (a third anonymous, 3 % refunded, 2 % partly refunded, 1 % voided;
    with ``staff``, each by one of those cashiers in turn, one in 20 members typed in), one
    line per receipt and one earn entry per member receipt, all generated in the database."""
    member = f"(CASE WHEN n %% 3 = 0 THEN NULL ELSE 1 + (n::bigint * 7919) %% {members} END)"
    cashier, identified = "NULL", "NULL"
    if staff:
        # A member's receipts mostly at one cashier's till, one in five at another's.
        cashier = (f"(ARRAY{staff}::bigint[])[1 + (COALESCE({member}, n) + CASE WHEN "
                   f"n %% 5 = 0 THEN n / 7 ELSE 0 END) %% {len(staff)}]")
        identified = f"CASE WHEN {member} IS NULL THEN NULL WHEN n %% 20 = 1 THEN 'typed' " \
                     "ELSE 'scanned' END"
    return [
        ("members", f"""INSERT INTO members (id, tenant_id, phone_index, consent, profile, status,
                        qr_sealed, store_id, created_at)
            SELECT n, %(t)s, 'bench' || n, 'full', '{{}}', 'active',
                   'Qbench' || n, %(s)s, %(now)s - (n %% 730) * interval '1 day'
            FROM generate_series(1, {members}) AS n"""),
        ("receipts", f"""INSERT INTO receipts (id, tenant_id, terminal_id, store_id,
                        receipt_no, member_id, status, program_version, gross_minor,
                        discount_minor, points_spent, points_discount_minor, paid_minor,
                        points_earned, refunded_paid_minor, request_hash, response,
                        occurred_at, recorded_at, staff_id, identified_by)
            SELECT n, %(t)s, %(term)s, %(s)s, 'R' || n, {member},
                   CASE WHEN n %% 100 < 3 THEN 'refunded' WHEN n %% 100 < 5
                        THEN 'partially_refunded' WHEN n %% 100 = 5 THEN 'voided'
                        ELSE 'committed' END, 1, 1000 + n %% 9000, 0, 0, 0, 1000 + n %% 9000,
                   (1000 + n %% 9000) / 100,
                   CASE WHEN n %% 100 < 3 THEN 1000 + n %% 9000
                        WHEN n %% 100 < 5 THEN 500 ELSE 0 END, '', '{{}}',
                   %(now)s - (n::float / {receipts}) * interval '{span_days} days',
                   %(now)s - (n::float / {receipts}) * interval '{span_days} days',
                   {cashier}, {identified}
            FROM generate_series(1, {receipts}) AS n"""),
        ("lines", """INSERT INTO receipt_lines (id, tenant_id, receipt_id, line_no, sku, name,
                        category, quantity_milli, unit_price_minor, gross_minor,
                        discount_minor, points_spent, paid_minor, points_earned,
                        refunded_quantity_milli)
            SELECT id, tenant_id, id, 1, 'sku', 'Item', '', 1000, gross_minor, gross_minor,
                   0, 0, paid_minor, points_earned, 0 FROM receipts"""),
        ("entries", """INSERT INTO entries (id, tenant_id, code, idempotency_key, member_id,
                        receipt_id, store_id, staff_id, program_version, points, memo,
                        occurred_at, recorded_at)
            SELECT 1000000000 + id, tenant_id, 'earn', 'earn-' || id, member_id, id,
                   store_id, staff_id, 1, points_earned, '{}', occurred_at, occurred_at
            FROM receipts WHERE member_id IS NOT NULL"""),
    ]


def build(url: str, *, members: int, receipts: int, plain: bool = False, span_days: int = 730,
          cashiers: int = 0) -> int:
    """A tenant of ``members`` and ``receipts`` (over ``span_days`` to :data:`NOW`, by
    ``cashiers`` cashiers) in a (re)created database: the rows bulk loaded, then the
    aggregates written from them (``plain``: as before, the rows into the indexed tables and
    the aggregates by migrations 0037, 0043 and 0050 run again)."""
    tenant_id, store_id, till_id, staff = new_tenant(url, "Bench Analytics Ltd", cashiers)
    p = {"t": tenant_id, "s": store_id, "term": till_id, "now": NOW}
    steps = load_steps(members, receipts, span_days=span_days, staff=staff)
    started = time.perf_counter()
    if plain:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            run_timed(conn, steps, p)
        backfill(url)
    else:
        fast_load(url, steps, p)
    analyze(url)
    console.print(f"  built in {time.perf_counter() - started:.1f} s")
    return tenant_id


def run_timed(conn: Any, steps: list[tuple[str, str]], params: dict[str, Any]) -> None:
    for name, statement in steps:
        started = time.perf_counter()
        conn.execute(statement, params)
        console.print(f"  {name}: {time.perf_counter() - started:.1f} s")


# The tables the bulk loads fill, then the aggregates written from them: their secondary
# indexes and unique constraints are dropped while they fill and built again after (one
# sort each, where every row would have gone into every index at a random place).
LOADED = ("members", "receipts", "receipt_lines", "entries")
AGGREGATED = ("member_purchases", "spend_days")

# Each member's qualifying spend per local day and over the lifetime (``spend_days``), as
# ``expected_spend_days`` reads it from the receipts.
SPEND_DAYS = f"""
INSERT INTO spend_days (tenant_id, member_id, day, net_minor, last_at)
SELECT r.tenant_id, r.member_id, d.day, sum(r.paid_minor - r.refunded_paid_minor),
       max(r.occurred_at)
FROM receipts r JOIN tenants t ON t.id = r.tenant_id
CROSS JOIN LATERAL (VALUES (CAST(r.occurred_at AT TIME ZONE t.timezone AS date)),
                           (DATE '{LIFETIME_DAY.isoformat()}')) AS d (day)
WHERE r.member_id IS NOT NULL AND r.status <> 'voided'
GROUP BY r.tenant_id, r.member_id, d.day
"""


def _migration(name: str) -> Any:
    return importlib.import_module(f"regulars.db.migrations.versions.{name}")


def aggregate_steps() -> list[tuple[str, str]]:
    """The aggregates, each written by the statement its migration back-fills it with (the
    later migrations that adjust ``sales_days`` change nothing here: no discounts, rewards,
    cashback or other assets), and ``spend_days``."""
    days37, gaps43 = _migration("0037_daily_aggregates"), _migration("0043_purchase_gaps")
    counts50 = _migration("0050_member_counts_per_day")
    return [("sales_days", days37._BACKFILL_DAYS_PG),
            ("member_purchases", days37._BACKFILL_PURCHASES),
            ("purchase_gaps", gaps43._BACKFILL_PG), ("join_days", counts50._JOINS_PG),
            ("repeat_gaps", counts50._REPEATS_PG), ("spend_days", SPEND_DAYS)]


def _drop_indexes(conn: Any, tables: tuple[str, ...], *, primary: bool = False) -> list[str]:
    """Drop the secondary indexes and unique constraints of ``tables`` (and their primary
    keys when ``primary``: no other table may refer to them); returns the statements that
    build them again."""
    rows = conn.execute("""
        SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text,
               pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid)
        FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
                                                  AND c.contype IN ('u', 'p')
        WHERE i.indrelid::regclass::text = ANY(%s) AND (%s OR NOT i.indisprimary)""",
                        (list(tables), primary)).fetchall()
    again = []
    for index, table, definition, constraint, constraint_def in rows:
        if constraint:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
            again.append(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {constraint_def}")
        else:
            conn.execute(f"DROP INDEX {index}")
            again.append(definition)
    return again


def _indexed(conn: Any, label: str, statements: list[str]) -> None:
    started = time.perf_counter()
    for statement in statements:
        conn.execute(statement)
    console.print(f"  {label}: {len(statements)} indexes built in "
                  f"{time.perf_counter() - started:.1f} s")


def fast_load(url: str, steps: list[tuple[str, str]], params: dict[str, Any]) -> None:
    """The bulk loads and the aggregates into tables without their secondary indexes, which
    are built afterwards; foreign keys are not checked row by row (the session is a
    replication replica: the rows refer to what the loads made before them). One backend,
    no parallel workers, so that a niced build stays niced."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for setting in ("maintenance_work_mem = '1GB'", "work_mem = '256MB'",
                        "synchronous_commit = off", "max_parallel_workers_per_gather = 0",
                        "max_parallel_maintenance_workers = 0",
                        "session_replication_role = replica"):
            conn.execute(f"SET {setting}")
        _renice(conn)
        again = _drop_indexes(conn, LOADED)
        run_timed(conn, steps, params)
        _indexed(conn, "rows' indexes", again)
        conn.execute("ANALYZE members, receipts, receipt_lines, entries")
        again = _drop_indexes(conn, AGGREGATED, primary=True)
        run_timed(conn, aggregate_steps(), {})
        _indexed(conn, "aggregates' indexes", again)


# Each aggregate's totals against the same totals over the rows they sum, and one member in
# a thousand's ``spend_days`` row by row: what ``regulars ledger check`` compares everywhere
# (in Python, too slow at 10M receipts), in SQL.
SOLD = "status IN ('committed', 'partially_refunded')"
LOCAL_DAY = "CAST(occurred_at AT TIME ZONE 'Europe/Dublin' AS date)"
CHECKS = [
    ("receipts sold", "SELECT sum(member_receipts + anonymous_receipts) FROM sales_days",
     f"SELECT count(*) FROM receipts WHERE {SOLD}"),
    ("revenue", "SELECT sum(member_revenue_minor + anonymous_revenue_minor) FROM sales_days",
     f"SELECT sum(paid_minor - refunded_paid_minor) FROM receipts WHERE {SOLD}"),
    ("points issued", "SELECT sum(points_issued) FROM sales_days",
     "SELECT sum(points) FROM entries"),
    ("members who bought", "SELECT count(*) FROM member_purchases",
     f"SELECT count(DISTINCT member_id) FROM receipts WHERE {SOLD}"),
    ("member days bought", "SELECT sum(members) FROM purchase_gaps",
     f"SELECT count(*) FROM (SELECT DISTINCT member_id, {LOCAL_DAY} FROM receipts "
     f"WHERE {SOLD} AND member_id IS NOT NULL) AS d"),
    ("members joined", "SELECT sum(members) FROM join_days",
     "SELECT count(*) FROM members WHERE status = 'active'"),
    ("spend, one member in 1,000 (rows differing)",
     "SELECT 0", f"""SELECT count(*) FROM (
        (SELECT member_id, day, net_minor FROM spend_days WHERE member_id % 1000 = 0
                AND day < DATE '9999-12-31'
         EXCEPT SELECT member_id, {LOCAL_DAY}, sum(paid_minor - refunded_paid_minor)
                FROM receipts WHERE member_id % 1000 = 0 AND status <> 'voided'
                GROUP BY 1, 2)
        UNION ALL
        (SELECT member_id, {LOCAL_DAY}, sum(paid_minor - refunded_paid_minor)
         FROM receipts WHERE member_id % 1000 = 0 AND status <> 'voided' GROUP BY 1, 2
         EXCEPT SELECT member_id, day, net_minor FROM spend_days
                WHERE member_id % 1000 = 0 AND day < DATE '9999-12-31')) AS d"""),
]


def check_table(url: str) -> Table:
    """:data:`CHECKS` on the database ``url`` names (its one tenant)."""
    table = Table(title="aggregates against the rows they sum")
    for column in ("figure", "aggregates", "rows", "same"):
        table.add_column(column, justify="right")
    with psycopg.connect(libpq_url(url)) as conn:
        for name, stored, counted in CHECKS:
            have = conn.execute(stored).fetchone()
            want = conn.execute(counted).fetchone()
            table.add_row(name, f"{have[0]:,}" if have else "-", f"{want[0]:,}" if want else "-",
                          str(have == want))
    return table


def _renice(conn: Any) -> None:
    """The backend takes this process's niceness (``nice -n 19``), where it may."""
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    try:
        os.setpriority(os.PRIO_PROCESS, int(row[0]), os.getpriority(os.PRIO_PROCESS, 0))
    except OSError:
        console.print("  (the database backend keeps its priority)")


def backfill(url: str) -> None:
    """The rows were loaded behind the services' back: migrations 0037, 0043 and 0050
    back-fill the daily aggregates from them (down to the revision before 0037, then up
    again), timed."""
    config = alembic_config()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn.execution_options(regulars_write=True)
            command.downgrade(config, "0037-1")
            conn.commit()
            started = time.perf_counter()
            command.upgrade(config, "head")
            conn.commit()
            console.print(f"  back-fill of the daily aggregates (migrations 0037, 0043, 0050): "
                          f"{time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()


def baseline(rt: Runtime, tenant_id: int, request: Request) -> None:
    period, zone = period_for(rt, tenant_id, request)
    with psycopg.connect(libpq_url(str(rt.settings.database_url))) as conn:
        conn.execute("SELECT count(*), sum(paid_minor) FROM receipts WHERE tenant_id = %s "
                     "AND occurred_at >= %s AND occurred_at < %s",
                     (tenant_id, local_start(period.first_day, zone),
                      local_start(period.last_day, zone))).fetchone()


def _distinct_buyers(url: str, tenant_id: int, start: datetime, end: datetime) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT count(DISTINCT member_id) FROM receipts WHERE tenant_id = %s AND status IN "
            "('committed', 'partially_refunded') AND member_id IS NOT NULL "
            "AND occurred_at >= %s AND occurred_at < %s", (tenant_id, start, end)).fetchone()
    return int(row[0]) if row else 0


def member_figures(rt: Runtime, tenant_id: int, repeat: int) -> Table:
    """Active (90 days), at risk (90) and churned (180) at the current and the previous
    30 days' end: from ``purchase_gaps``, and as distinct counts over the receipts."""
    table = Table(title="member figures (purchase_gaps against distinct counts over receipts)")
    for column in ("window end", "figure", "aggregates p95 ms", "receipts p95 ms", "ratio",
                   "same answer"):
        table.add_column(column, justify="right")
    period, zone = period_for(rt, tenant_id, Request(preset=Preset.LAST_30_DAYS))
    for label, last_day in (("current", period.last_day), ("previous", period.first_day)):
        for row in _member_rows(rt, tenant_id, last_day + timedelta(days=1), zone, repeat):
            table.add_row(label, *row)
    return table


def _lapsed(conn: Any, tenant_id: int, end_day: date) -> tuple[int, int]:
    since_churn = gaps.active(conn, tenant_id, end_day - timedelta(days=180), end_day)
    since_risk = gaps.active(conn, tenant_id, end_day - timedelta(days=90), end_day)
    return (since_churn - since_risk,
            gaps.buyers_before(conn, tenant_id, end_day) - since_churn)


def _member_rows(rt: Runtime, tenant_id: int, end_day: date, zone: Any,
                 repeat: int) -> list[list[str]]:
    url = str(rt.settings.database_url)
    end = local_start(end_day, zone)
    risk = local_start(end_day - timedelta(days=90), zone)
    churn = local_start(end_day - timedelta(days=180), zone)
    found = []
    with rt.db.read() as conn:
        cases = [
            ("active 90 d",
             lambda: gaps.active(conn, tenant_id, end_day - timedelta(days=90), end_day),
             lambda: _distinct_buyers(url, tenant_id, risk, end)),
            ("at risk + churned", lambda: _lapsed(conn, tenant_id, end_day),
             lambda: _plain_lapsed(url, tenant_id, end, risk, churn))]
        for name, fast, plain in cases:
            spent, base = timed(fast, repeat), timed(plain, max(3, repeat // 4))
            found.append([name, f"{p95(spent):.0f}", f"{p95(base):.0f}",
                          f"{p95(base) / max(p95(spent), 0.001):.1f}×",
                          str(fast() == plain())])
    return found


def _reads(conn: Any, tenant_id: int, period: Any) -> dict[str, Any]:
    """The overview's reads of ``period`` (members' windows of 90 and 180 days), each as a
    call."""
    end_day = period.last_day + timedelta(days=1)
    return {
        "sales days": lambda: days.totals(conn, tenant_id, period.first_day, period.last_day),
        "series": lambda: days.by_day(conn, tenant_id, period.first_day, period.last_day),
        "new members": lambda: joins.new(conn, tenant_id, period.first_day, end_day),
        "active 90 d": lambda: gaps.active(conn, tenant_id, end_day - timedelta(days=90),
                                           end_day),
        "first-time buyers": lambda: gaps.first_buyers(conn, tenant_id, period.first_day,
                                                       end_day),
        "repeated in 90 d": lambda: repeats.within(conn, tenant_id, period.first_day, end_day,
                                                   days=90),
        "buyers before end": lambda: gaps.buyers_before(conn, tenant_id, end_day),
        "active since churn": lambda: gaps.active(conn, tenant_id,
                                                  end_day - timedelta(days=180), end_day)}


def pieces(rt: Runtime, tenant_id: int, repeat: int) -> Table:
    """Each read of the overview alone, for a short and the long ranges, of the period and
    of the one before it (which the overview reads too): where its time goes."""
    table = Table(title="the overview's reads, one by one")
    for column in ("range", "period", "read", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right")
    for preset in (Preset.LAST_30_DAYS, Preset.YEAR_TO_DATE, Preset.LAST_365_DAYS):
        period, _ = period_for(rt, tenant_id, Request(preset=preset))
        with rt.db.read() as conn:
            for label, span in (("current", period), ("previous", period.previous())):
                for name, call in _reads(conn, tenant_id, span).items():
                    spent = timed(call, repeat)
                    table.add_row(preset.value, label, name,
                                  f"{statistics.median(spent):.0f}", f"{p95(spent):.0f}")
    return table


def _plain_lapsed(url: str, tenant_id: int, end: datetime, risk: datetime,
                  churn: datetime) -> tuple[int, int]:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE last_at >= %s AND last_at < %s), "
            "count(*) FILTER (WHERE last_at < %s) FROM (SELECT max(occurred_at) AS last_at "
            "FROM receipts WHERE tenant_id = %s AND status IN ('committed', "
            "'partially_refunded') AND member_id IS NOT NULL AND occurred_at < %s "
            "GROUP BY member_id) AS m", (churn, risk, churn, tenant_id, end)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


BENCH_LEVELS = (Level(code="base", name="Base", threshold_minor=0, rate_bp=100),
                Level(code="silver", name="Silver", threshold_minor=25_000, rate_bp=200),
                Level(code="gold", name="Gold", threshold_minor=100_000, rate_bp=300))


def levels_table(rt: Runtime, tenant_id: int, repeat: int) -> Table:
    """The ``levels`` figures against a segment per level (the old way), same run."""
    with rt.db.read() as conn:
        _, program = programs.load_current(conn, tenant_id)
    if program.levels != BENCH_LEVELS:
        programs.save(rt, tenant_id, replace(program, levels=BENCH_LEVELS), actor=audit.SYSTEM)
        for level in BENCH_LEVELS:
            segments.create(rt, tenant_id, Draft(name=level.name, rules=(
                rule_of({"kind": "level", "levels": [level.code]}),)))
    table = Table(title="levels table: by level against a segment per level rule")
    for column in ("range", "by level s", "segment per level s", "ratio", "same figures"):
        table.add_column(column, justify="right")
    for preset in (Preset.LAST_30_DAYS, Preset.LAST_365_DAYS):
        request = Request(preset=preset)
        spent = timed(lambda r=request: breakdowns.by_level(rt, tenant_id, r), repeat)
        base = timed(lambda r=request: breakdowns.by_segment(rt, tenant_id, r), repeat)
        same = ([r.figures for r in breakdowns.by_level(rt, tenant_id, request).rows]
                == [r.figures for r in breakdowns.by_segment(rt, tenant_id, request).rows])
        table.add_row(preset.value, f"{statistics.median(spent) / 1000:.2f}",
                      f"{statistics.median(base) / 1000:.2f}",
                      f"{statistics.median(base) / max(statistics.median(spent), 0.001):.1f}×",
                      str(same))
    return table


def timed(call: object, repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        found.append((time.perf_counter() - started) * 1000)
    return found


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pieces", action="store_true",
                        help="time each read of the overview alone, then stop")
    parser.add_argument("--plain-load", action="store_true",
                        help="load into the indexed tables and back-fill the aggregates by "
                             "the migrations (the build before the fast one)")
    parser.add_argument("--reuse", action="store_true",
                        help="time the database a previous run built (its first tenant)")
    parser.add_argument("--check", action="store_true",
                        help="compare the aggregates with the rows they sum, then stop")
    parser.add_argument("--levels", action="store_true",
                        help="time the levels table against a segment per level, then stop")
    args = parser.parse_args()
    server = args.url.rsplit("/", 1)[0] + "/postgres"
    console.print(f"{machine()}; {server_version(server)}")
    if args.check:
        console.print(check_table(args.url))
        return 0
    tenant_id = (1 if args.reuse else
                 build(args.url, members=args.members, receipts=args.receipts,
                       plain=args.plain_load))
    rt = open_runtime(Settings(database_url=args.url), migrate=False)
    rt.clock = lambda: NOW  # type: ignore[method-assign]
    if args.pieces or args.levels:
        try:
            console.print(levels_table(rt, tenant_id, args.repeat) if args.levels
                          else pieces(rt, tenant_id, args.repeat))
        finally:
            rt.close()
        return 0
    requests = [(p.value, Request(preset=p)) for p in Preset if p is not Preset.CUSTOM]
    requests.append(("custom 2025", Request(preset=Preset.CUSTOM, first_day=date(2025, 1, 1),
                                            last_day=date(2025, 12, 31))))
    table = Table(title=f"overview, {args.receipts:,} receipts, {args.members:,} members")
    for column in ("range", "overview p50 ms", "overview p95 ms", "baseline p95 ms", "target"):
        table.add_column(column, justify="right")
    worst = 0.0
    try:
        for name, request in requests:
            figures.overview(rt, tenant_id, request)  # warm the caches once
            spent = timed(lambda r=request: figures.overview(rt, tenant_id, r), args.repeat)
            base = timed(lambda r=request: baseline(rt, tenant_id, r), args.repeat)
            worst = max(worst, p95(spent))
            table.add_row(name, f"{statistics.median(spent):.0f}", f"{p95(spent):.0f}",
                          f"{p95(base):.1f}", f"{TARGET_MS:.0f}")
    finally:
        rt.close()
    console.print(table)
    rt = open_runtime(Settings(database_url=args.url), migrate=False)
    rt.clock = lambda: NOW  # type: ignore[method-assign]
    try:
        console.print(member_figures(rt, tenant_id, args.repeat))
    finally:
        rt.close()
    console.print(f"worst p95 {worst:.0f} ms: {'within' if worst <= TARGET_MS else 'over'} "
                  f"the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
