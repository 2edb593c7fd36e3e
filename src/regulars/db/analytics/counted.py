"""Tables of member counts per tenant and a two-part key whose first part is a local day
(``purchase_gaps``, ``repeat_gaps``, ``join_days``): a ``members`` column only ever moved by
increments, upserted in key order, so that concurrent writers add up and take the rows in
one order. A figure is a sum over the rows of a span of days, whose number does not grow
with the members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db import arrays

Key = tuple[Any, Any]


@dataclass(frozen=True)
class Counted:
    """One such table: ``table`` keyed by ``tenant_id`` and the columns ``key``; a row that
    disagrees with what it counts is reported as ``kind``."""

    table: Table
    key: tuple[str, str]
    kind: str

    def add(self, conn: Connection, tenant_id: int, changes: Mapping[Key, int]) -> None:
        """Add ``changes`` to the rows of their keys, creating them if need be: one
        statement, in key order."""
        rows = [
            {"tenant_id": tenant_id, self.key[0]: k[0], self.key[1]: k[1], "members": n}
            for k, n in sorted(changes.items())
            if n
        ]
        if not rows:
            return
        if conn.dialect.name == "postgresql":
            self._add_pg(conn, tenant_id, rows)
            return
        statement = (
            postgresql.insert(self.table)
            if conn.dialect.name == "postgresql"
            else sqlite.insert(self.table)
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", *self.key],
                set_={"members": self.table.c.members + statement.excluded.members},
            ),
            rows,
        )

    def _add_pg(self, conn: Connection, tenant_id: int, rows: list[dict[str, Any]]) -> None:
        """:meth:`add` on PostgreSQL: the rows as arrays, unnested by one statement (an
        import moves thousands of them, each a round of ``executemany`` otherwise)."""
        first, second = self.key
        table = self.table.name
        kinds = [self.table.c[name].type.compile(dialect=conn.dialect) for name in self.key]
        conn.execute(text(f"""
    INSERT INTO {table} (tenant_id, {first}, {second}, members)
    SELECT :tenant_id, k.{first}, k.{second}, k.members
    FROM unnest(CAST(:first AS {kinds[0]}[]), CAST(:second AS {kinds[1]}[]),
                CAST(:members AS bigint[])) AS k({first}, {second}, members)
    ORDER BY k.{first}, k.{second}
    ON CONFLICT (tenant_id, {first}, {second}) DO UPDATE
    SET members = {table}.members + excluded.members"""), {
            "tenant_id": tenant_id, "first": arrays.plain([r[first] for r in rows]),
            "second": arrays.plain([r[second] for r in rows]),
            "members": arrays.ints([r["members"] for r in rows])})

    def cte(self, name: str, rows: str, *, members: str = "count(*)", where: str = "TRUE"
            ) -> str:
        """:meth:`add` as the CTE ``name`` of a PostgreSQL statement: ``rows`` (a query of
        columns named as :attr:`key`, aliased ``s`` here, ``:tenant_id`` bound) counted by
        ``members`` per key where ``where`` holds, upserted in key order."""
        first, second = self.key
        table = self.table.name
        return f"""{name} AS (
    INSERT INTO {table} (tenant_id, {first}, {second}, members)
    SELECT :tenant_id, s.{first}, s.{second}, {members}
    FROM ({rows}) AS s
    WHERE {where}
    GROUP BY s.{first}, s.{second} ORDER BY s.{first}, s.{second}
    ON CONFLICT (tenant_id, {first}, {second}) DO UPDATE
    SET members = {table}.members + excluded.members
    RETURNING 1
)"""

    def total(self, conn: Connection, tenant_id: int, *conditions: Any) -> int:
        """The sum of the tenant's rows that meet ``conditions``."""
        c = self.table.c
        return int(
            conn.execute(
                select(func.coalesce(func.sum(c.members), 0)).where(
                    c.tenant_id == tenant_id, *conditions
                )
            ).scalar_one()
        )

    def stored(self, conn: Connection, tenant_id: int) -> dict[Key, int]:
        """The tenant's rows that count someone."""
        c = self.table.c
        return {
            (r[0], r[1]): int(r[2])
            for r in conn.execute(
                select(c[self.key[0]], c[self.key[1]], c.members).where(c.tenant_id == tenant_id)
            )
            if r[2]
        }

    def problems(
        self, conn: Connection, tenant_id: int, want: Mapping[Key, int]
    ) -> list[dict[str, Any]]:
        """The rows that disagree with ``want`` (the rows the history makes)."""
        have = self.stored(conn, tenant_id)
        return [
            {
                "kind": self.kind,
                "tenant_id": tenant_id,
                **{name: _shown(part) for name, part in zip(self.key, k, strict=True)},
                "expected": want.get(k, 0),
                "stored": have.get(k, 0),
            }
            for k in sorted(set(want) | set(have))
            if want.get(k, 0) != have.get(k, 0)
        ]

    def rebuild(self, conn: Connection, tenant_id: int, want: Mapping[Key, int]) -> None:
        """Replace the tenant's rows by ``want`` (a new time zone moves them between local
        days); the caller holds the lock that keeps writers out."""
        conn.execute(delete(self.table).where(self.table.c.tenant_id == tenant_id))
        self.add(conn, tenant_id, want)


def _shown(part: Any) -> Any:
    return part.isoformat() if isinstance(part, date) else part
