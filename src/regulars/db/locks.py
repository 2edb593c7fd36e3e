"""Named locks held by PostgreSQL (advisory locks) until the transaction ends. SQLite needs
none: it serialises writers already, so each function does nothing there."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text


def lock_key(name: str) -> int:
    """The 64-bit advisory-lock key of ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def share_locks(conn: Connection, names: list[str]) -> None:
    """Hold shared locks on ``names`` until the transaction ends, in one statement: many
    transactions share them, :func:`sole_lock` waits until none holds them."""
    if conn.dialect.name == "postgresql" and names:
        calls = ", ".join(f"pg_advisory_xact_lock_shared(:k{n})" for n in range(len(names)))
        conn.execute(text(f"select {calls}"),
                     {f"k{n}": lock_key(name) for n, name in enumerate(names)})


def sole_lock(conn: Connection, name: str) -> None:
    """Hold ``name`` alone until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})
