"""Check that ``ledger_admin.expire`` writes exactly what the row-by-row implementation it
replaced wrote: the same entries (ids, keys, points, memo text), postings, zeroed lots and
balances, on SQLite and on PostgreSQL, with small and large batches; that a second run writes
nothing; and that the ledger reconciles afterwards.

    uv run python bench/expire_equivalence.py [--database-url postgresql://.../bench_equiv]

The reference below is the implementation as it stood before the set-based rewrite (kept here,
not in ``src``). The data comes through the services: two tenants, members who earn at
different times, give some back (partly consumed lots) and merge (lots moved to another
account), so a batch holds several lots of one member and members straddle batches.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, bindparam, func, insert, select, text, update

from _common import libpq_url, make_console, recreate_database, with_database
from regulars.config import Settings
from regulars.db import tenancy
from regulars.db.engine import Database
from regulars.db.ledger import reconcile, system_account_id
from regulars.db.migrate import upgrade
from regulars.db.tables import accounts, entries, lots, postings
from regulars.domain.ledger import EntryCode, SystemAccount
from regulars.services import ledger_admin, members, tenants
from regulars.services.members import Registration
from regulars.services.runtime import Runtime

console = make_console()
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
EXPIRE_AT = START + timedelta(days=365 + 200)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# The reference: due_lots, write_expiries and expire as they were --------------------------

def _ref_due_lots(conn: Connection, tenant_id: int, now: datetime,
                  limit: int) -> list[tuple[int, int, int, int]]:
    rows = conn.execute(
        select(lots.c.id, lots.c.account_id, accounts.c.member_id, lots.c.remaining)
        .join(accounts, accounts.c.id == lots.c.account_id)
        .where(lots.c.tenant_id == tenant_id, lots.c.remaining > 0,
               lots.c.expires_at <= now)
        .order_by(lots.c.id).limit(limit).with_for_update(of=lots)
    ).all()
    return [(r.id, r.account_id, r.member_id, r.remaining) for r in rows]


def _ref_write_expiries(conn: Connection, tenant_id: int, system_id: int,
                        by_account: dict[tuple[int, int], list[tuple[int, int]]], *,
                        now: datetime, code: EntryCode) -> int:
    items = list(by_account.items())
    entry_rows = []
    for (_, member_id), lot_list in items:
        points = sum(r for _, r in lot_list)
        entry_rows.append({
            "tenant_id": tenant_id, "code": code.value,
            "idempotency_key": f"expire:lot:{min(i for i, _ in lot_list)}",
            "member_id": member_id, "points": -points, "occurred_at": now,
            "recorded_at": now,
            "memo": {"lots": [[i, r] for i, r in lot_list],
                     "why": [{"code": "expire", "params": {"points": points}}]},
        })
    ids = conn.execute(insert(entries).returning(entries.c.id, sort_by_parameter_order=True),
                       entry_rows).scalars().all()
    posting_rows = []
    for entry_id, ((account_id, _), lot_list) in zip(ids, items, strict=True):
        points = sum(r for _, r in lot_list)
        posting_rows.append({"tenant_id": tenant_id, "entry_id": entry_id,
                             "account_id": account_id, "amount": -points})
        posting_rows.append({"tenant_id": tenant_id, "entry_id": entry_id,
                             "account_id": system_id, "amount": points})
    conn.execute(insert(postings), posting_rows)
    lot_ids = [lot_id for _, lot_list in items for lot_id, _ in lot_list]
    conn.execute(update(lots).where(lots.c.id.in_(lot_ids)).values(remaining=0))
    conn.execute(
        update(accounts).where(accounts.c.id == bindparam("acct"))
        .values(balance=accounts.c.balance - bindparam("pts")),
        [{"acct": account_id, "pts": sum(r for _, r in lot_list)}
         for (account_id, _), lot_list in items])
    return len(ids)


def reference_expire(rt: Runtime, *, batch_size: int) -> tuple[int, int, int]:
    now = rt.now()
    total_lots = total_points = total_entries = 0
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        while True:
            with rt.db.write() as conn:
                due = _ref_due_lots(conn, tenant_id, now, limit=batch_size)
                if not due:
                    break
                by_account: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
                for lot_id, account_id, member_id, remaining in due:
                    by_account[(account_id, member_id)].append((lot_id, remaining))
                system = system_account_id(conn, tenant_id, SystemAccount.EXPIRED)
                total_entries += _ref_write_expiries(conn, tenant_id, system, by_account,
                                                     now=now, code=EntryCode.EXPIRE)
            total_lots += len(due)
            total_points += sum(row[3] for row in due)
    return total_lots, total_points, total_entries


def current_expire(rt: Runtime, *, batch_size: int) -> tuple[int, int, int]:
    report = ledger_admin.expire(rt, batch_size=batch_size)
    return report.lots, report.points, report.entries


# Data ---------------------------------------------------------------------------------------

def populate(rt: Runtime, clock: Clock) -> None:
    """Two tenants; members earn over the year (weekly, at varying amounts), some give points
    back, some merge into others."""
    for t, (name, count) in enumerate((("Alpha", 37), ("Beta", 11))):
        clock.now = START
        tenant = tenants.create_tenant(rt, name=name, currency="EUR", locale="en_GB",
                                       timezone="Europe/London", phone_region="GB")
        ids = []
        for n in range(count):
            view, _ = members.register(rt, tenant.tenant_id,
                                       Registration(card=f"C{t}X{n:05d}"))
            ids.append(int(view["id"]))
        merged: set[int] = set()
        for week in range(60):
            clock.now = START + timedelta(days=7 * week, hours=week % 5)
            for n, member_id in enumerate(ids):
                if member_id in merged:
                    continue
                if (n + week) % 3 == 0:
                    members.adjust(rt, tenant.tenant_id, member_id,
                                   points=5 + (n * 13 + week * 7) % 50, reason="earned",
                                   key=f"{t}-{member_id}-{week}")
                if week % 9 == 4 and n % 4 == 1:
                    members.adjust(rt, tenant.tenant_id, member_id, points=-3,
                                   reason="given back", key=f"{t}-{member_id}-{week}-back")
            if week == 30:
                for source, target in zip(ids[-4:-2], ids[1:3], strict=True):
                    members.merge(rt, tenant.tenant_id, source_id=source, target_id=target,
                                  key=f"merge-{source}")
                    merged.add(source)


# Comparison ---------------------------------------------------------------------------------

DUMPS = {
    "entries": "SELECT id, tenant_id, code, idempotency_key, member_id, points, "
               "CAST(memo AS TEXT), occurred_at, recorded_at FROM entries ORDER BY id",
    "postings": "SELECT id, tenant_id, entry_id, account_id, amount FROM postings ORDER BY id",
    "lots": "SELECT id, account_id, entry_id, amount, remaining, expires_at FROM lots "
            "ORDER BY id",
    "accounts": "SELECT id, member_id, system_code, balance, held, debt FROM accounts "
                "ORDER BY id",
}


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.read() as conn:
        return {name: [tuple(r) for r in conn.execute(text(query))]
                for name, query in DUMPS.items()}


def compare(label: str, a: dict[str, list[tuple[Any, ...]]],
            b: dict[str, list[tuple[Any, ...]]]) -> bool:
    same = True
    for name in DUMPS:
        if a[name] != b[name]:
            same = False
            diff = [(x, y) for x, y in zip(a[name], b[name], strict=False) if x != y][:3]
            console.print(f"[red]{label}: {name} differ[/red] ({len(a[name])} vs "
                          f"{len(b[name])} rows) first: {diff}")
    return same


# Backends -----------------------------------------------------------------------------------

class Backend:
    """Makes a populated database once, then hands out fresh copies of it."""

    def __init__(self, name: str, template_url: str,
                 copy: Callable[[str], str]) -> None:
        self.name = name
        self.template_url = template_url
        self.copy = copy


def sqlite_backend(workdir: Path) -> Backend:
    template = workdir / "template.db"
    url = f"sqlite:///{template}"
    counter = iter(range(1000))

    def copy(_: str) -> str:
        target = workdir / f"copy{next(counter)}.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"

    return Backend("sqlite", url, copy)


def pg_backend(base_url: str) -> Backend:
    template = libpq_url(base_url)
    counter = iter(range(1000))

    def copy(_: str) -> str:
        name = f"{template.rsplit('/', 1)[1]}_copy{next(counter)}"
        target = with_database(template, name)
        with psycopg.connect(with_database(template, "test"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template.rsplit("/", 1)[1])))
        return target

    return Backend("postgresql", template, copy)


def drop_pg_copies(base_url: str) -> None:
    template = libpq_url(base_url)
    prefix = template.rsplit("/", 1)[1]
    with psycopg.connect(with_database(template, "test"), autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))]
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def check_backend(backend: Backend) -> bool:
    clock = Clock(START)
    db = Database.from_url(backend.template_url)
    upgrade(db.engine)
    rt = Runtime(db=db, clock=clock, settings=Settings(database_url=backend.template_url))
    populate(rt, clock)
    with db.read() as conn:
        due = int(conn.execute(select(func.count()).select_from(lots).where(
            lots.c.remaining > 0, lots.c.expires_at <= EXPIRE_AT)).scalar_one())
        total = int(conn.execute(select(func.count()).select_from(lots)).scalar_one())
    db.dispose()
    console.print(f"{backend.name}: {total} lots, {due} due at {EXPIRE_AT:%Y-%m-%d}")
    ok = True
    for batch_size in (1, 7, 64, 5000):
        results = {}
        for label, run in (("reference", reference_expire), ("current", current_expire)):
            url = backend.copy(label)
            copy_db = Database.from_url(url)
            copy_rt = Runtime(db=copy_db, clock=Clock(EXPIRE_AT),
                              settings=Settings(database_url=url))
            report = run(copy_rt, batch_size=batch_size)
            again = current_expire(copy_rt, batch_size=batch_size)
            with copy_db.read() as conn:
                problems = reconcile(conn)
            results[label] = (report, again, problems, dump(copy_db))
            copy_db.dispose()
        ref, cur = results["reference"], results["current"]
        same = compare(f"{backend.name} batch {batch_size}", ref[3], cur[3])
        line_ok = (same and ref[0] == cur[0] and cur[1] == (0, 0, 0) and not cur[2]
                   and cur[0][0] == due)
        ok &= line_ok
        verdict = "[green]same[/green]" if line_ok else "[red]DIFFERENT[/red]"
        console.print(f"  batch {batch_size:>5}: reference (lots, points, entries) {ref[0]}, "
                      f"current {cur[0]}, second run {cur[1]}, reconcile problems "
                      f"{len(cur[2])}: {verdict}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_equiv")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as workdir:
        ok &= check_backend(sqlite_backend(Path(workdir)))
    if not args.sqlite_only:
        recreate_database(args.database_url)
        try:
            ok &= check_backend(pg_backend(args.database_url))
        finally:
            drop_pg_copies(args.database_url)
    console.print("[green]equivalent[/green]" if ok else "[red]NOT equivalent[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
