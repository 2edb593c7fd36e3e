"""A member's history page on PostgreSQL at scale: shared buffers one page reads, without
and with the index on ``entries (tenant_id, member_id, occurred_at, id)``, in the same run.

    createdb -h 127.0.0.1 -U postgres bench_history_plan
    uv run python bench/history_plan.py postgresql://postgres@127.0.0.1:5432/bench_history_plan

Loads (once) 1,000,000 entries, 100,000 of them one member's, with dates in random order
(as an import writes them), then EXPLAINs (ANALYZE, BUFFERS) the first page and a page
after an entry of the middle, as ``regulars.db.members.members.history`` asks for them.
"""

from __future__ import annotations

import json
import sys

from sqlalchemy import Connection, text

from regulars.db.engine import make_engine
from regulars.db.migrate import upgrade

INDEX = "ix_entries_tenant_id_member_id_occurred_at_id"
LOAD = """
SET session_replication_role = replica;
INSERT INTO entries (tenant_id, code, idempotency_key, member_id, points, asset, memo,
                     occurred_at, recorded_at)
SELECT 1, 'earn', 'k' || g, CASE WHEN g <= 100000 THEN 1 ELSE 2 + mod(g, 9000) END, 10,
       'points', '{}'::json, timestamptz '2024-01-01' + random() * 900 * interval '1 day',
       now()
FROM generate_series(1, 1000000) g;
"""
PAGE = ("SELECT id, code, points, memo, occurred_at FROM entries WHERE tenant_id = 1 "
        "AND member_id = 1 AND asset = 'points' {after} "
        "ORDER BY occurred_at DESC, id DESC LIMIT 51")
AFTER = "AND (occurred_at, id) < (SELECT occurred_at, id FROM entries WHERE id = 50000)"


def buffers(conn: Connection, sql: str) -> int:
    plan = conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")).scalar_one()
    found = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return int(found["Shared Hit Blocks"]) + int(found["Shared Read Blocks"])


def main(url: str) -> None:
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    upgrade(engine)
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM entries")).scalar_one() == 0:
            conn.exec_driver_sql(LOAD)
    figures = {}
    with engine.connect() as conn:
        for kept in (False, True):  # the index dropped in a transaction rolled back
            trans = conn.begin()
            if not kept:
                conn.execute(text(f"DROP INDEX {INDEX}"))
            conn.execute(text("ANALYZE entries"))
            figures[kept] = (buffers(conn, PAGE.format(after="")),
                             buffers(conn, PAGE.format(after=AFTER)))
            trans.rollback()
    for label, step in (("first page", 0), ("page after id 50000", 1)):
        old, new = figures[False][step], figures[True][step]
        print(f"{label}: {old} buffers without the index, {new} with it "
              f"({old / new:.1f}x fewer)")


if __name__ == "__main__":
    main(sys.argv[1])
