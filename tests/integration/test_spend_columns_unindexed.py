"""The columns a spend rewrites are named by no index, in its keys or its condition, so that
PostgreSQL can keep the update on its page without a new index entry (a heap-only update)."""

from __future__ import annotations

import re

from sqlalchemy import Connection

from regulars.db.engine import make_engine

# What a commit paying by certificate rewrites in each table.
REWRITTEN = {
    "lots": {"remaining", "expired"},
    "accounts": {"balance", "held", "debt"},
    "certificates": {"uses"},
}


def _named(conn: Connection, table: str) -> dict[str, set[str]]:
    """Each index of ``table``: the words of its keys and of its condition."""
    found: dict[str, set[str]] = {}
    for index in conn.dialect.get_indexes(conn, table):
        where = " ".join(str(v) for k, v in index.get("dialect_options", {}).items()
                         if k.endswith("_where"))
        keys = [str(c) for c in index["column_names"] if c is not None]
        found[str(index["name"])] = set(keys) | set(re.findall(r"[a-z_]+", where))
    return found


def test_no_index_names_a_column_a_spend_rewrites(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            for table, rewritten in REWRITTEN.items():
                for name, words in _named(conn, table).items():
                    assert not words & rewritten, f"{name} names {words & rewritten}"
            lots_indexes = _named(conn, "lots")
            assert {"ix_lots_open", "ix_lots_due", "ix_lots_pending"} <= set(lots_indexes)
            assert all("is_open" in lots_indexes[name]
                       for name in ("ix_lots_open", "ix_lots_due", "ix_lots_pending"))
    finally:
        engine.dispose()

