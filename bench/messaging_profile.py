"""Where a campaign's time goes, and what a receipt's message adds: statements counted and
timed by kind.

    uv run python bench/messaging_profile.py --database-url postgresql://…/bench_msg
    uv run python bench/messaging_profile.py --members 30000 --explain   # plans of a batch
    uv run python bench/messaging_profile.py --commits 100               # receipts only

The members and the campaign are made as ``bench/messaging.py`` makes them (its database is
emptied first the same way). The campaign's run is timed, with the database time of each kind
of statement summed over its batches (the rest is Python); ``--explain`` also prints
``EXPLAIN (ANALYZE, BUFFERS, WAL)`` of the first statement of each kind that writes, run in a
savepoint rolled back before the statement itself. Then, with ``--commits``, two rounds each
of receipts with the "points earned" message off and on, in another tenant: the time of a
receipt, its statements, and those a receipt with the message adds.
"""

from __future__ import annotations

import argparse
import collections
import time
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

import messaging as bench
from regulars.services.audit import audit
from regulars.services.messaging import templates
from regulars.services.promotions import campaigns


class Statements:
    """The statements the engines run: how many and their seconds, by kind."""

    def __init__(self) -> None:
        self.count: collections.Counter[str] = collections.Counter()
        self.seconds: collections.Counter[str] = collections.Counter()
        self.explain = False
        self.explained: set[str] = set()
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def clear(self) -> None:
        self.count.clear()
        self.seconds.clear()

    @staticmethod
    def kind(statement: str) -> str:
        flat = " ".join(statement.split())
        written = [table for table in ("message_caps", "outbox_messages", "campaign_recipients")
                   if f"INSERT INTO {table}" in flat]
        return "insert " + " + ".join(written) if written else flat[:90]

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, _context: Any,
                executemany: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()
        kind = self.kind(statement)
        if (self.explain and not executemany and kind.startswith("insert ")
                and kind not in self.explained):
            self.explained.add(kind)
            cursor.execute("SAVEPOINT bench_explain")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + statement, params)
            print(f"== {kind}\n" + "\n".join(row[0] for row in cursor.fetchall()))
            cursor.execute("ROLLBACK TO SAVEPOINT bench_explain")

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        kind = self.kind(statement)
        self.count[kind] += 1
        self.seconds[kind] += time.perf_counter() - conn.info["bench_started"]


def campaign(url: str, members: int, seen: Statements, explain: bool) -> None:
    rt, tenant_id = bench._load(url, members)
    if url.startswith("postgresql"):
        with rt.db.write() as conn:
            conn.execute(text("ANALYZE members"))
    made_id = bench.spring_campaign(rt, tenant_id)
    seen.clear()
    seen.explain = explain and url.startswith("postgresql")
    started = time.perf_counter()
    found = campaigns.run(rt, tenant_id, made_id)
    total = time.perf_counter() - started
    seen.explain = False
    database = sum(seen.seconds.values())
    print(f"campaign: {found} (queued, control) in {total:.2f} s: database {database:.2f} s, "
          f"the rest {total - database:.2f} s")
    for kind, seconds in seen.seconds.most_common(8):
        print(f"  {seconds:7.3f} s {seen.count[kind]:4d}  {kind}")
    rt.close()


def receipts(url: str, commits: int, seen: Statements) -> None:
    rt, tenant_id, commit = bench.till(url, "Bench Messages Profile")
    for _ in range(20):  # warm the caches and the pool
        commit()
    spent = {False: 0.0, True: 0.0}
    counts: dict[bool, collections.Counter[str]] = {False: collections.Counter(),
                                                     True: collections.Counter()}
    for message in (False, True, False, True):
        templates.update_settings(rt, tenant_id, {"points_earned": message}, actor=audit.SYSTEM)
        seen.clear()
        started = time.perf_counter()
        for _ in range(commits):
            commit()
        spent[message] += time.perf_counter() - started
        counts[message].update(seen.count)
    for message in (False, True):
        each = 2 * commits
        print(f"receipts {'with' if message else 'without'} the message: "
              f"{spent[message] / each * 1000:.2f} ms, "
              f"{sum(counts[message].values()) / each:.1f} statements each")
    for kind, count in (counts[True] - counts[False]).items():
        print(f"  adds {count / (2 * commits):.2f} a receipt: {kind}")
    print(f"ratio {spent[True] / spent[False]:.3f}")
    rt.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--members", type=int, default=100_000, help="0: no campaign")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--commits", type=int, default=0, help="receipts a round")
    args = parser.parse_args()
    url = bench.fresh_database(args.database_url, "bench_messaging_profile.db")
    seen = Statements()
    if args.members:
        campaign(url, args.members, seen, args.explain)
    if args.commits:
        receipts(url, args.commits, seen)


if __name__ == "__main__":
    main()
