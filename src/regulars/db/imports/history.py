"""Batched reads and writes of imported history: the till reserved for imported receipts,
members found by their identifiers or created in batches, and receipts with their line.

Imported receipts are ordinary receipts of a till of the business's that no key can use
(created revoked, code :data:`IMPORT_TILL_CODE`); their receipt number is the row's identity,
so the till's unique receipt numbers make a second import of a row impossible. Inserting
them counts their spend per member and day and the daily aggregates as a till's receipt
does, but written at the end of the unit of work
(:class:`regulars.db.program.spend_totals.PendingSpend`,
:func:`regulars.db.analytics.days.add_receipts`): an import of many batches locks no
member's spend or day's row until just before its ``COMMIT``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from regulars.db import personal
from regulars.db.analytics import days as day_totals
from regulars.db.bulk import copy_returning_ids, copy_rows
from regulars.db.checkout.tables import receipt_lines, receipts
from regulars.db.members.members import identifiers_columns, phone_columns
from regulars.db.members.tables import member_identifiers, members
from regulars.db.program.spend_totals import pending_spend
from regulars.db.tenancy import tenancy
from regulars.db.tenancy.tables import stores, terminals

IMPORT_TILL_CODE = "imported-history"
_IN_CHUNK = 500


def import_till(conn: Connection, tenant_id: int, *, store_id: int, now: datetime) -> int:
    """The tenant's till for imported receipts, made (revoked: no key works for it) on first
    use at ``store_id``."""
    found = conn.execute(select(terminals.c.id).where(
        terminals.c.tenant_id == tenant_id, terminals.c.code == IMPORT_TILL_CODE)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(terminals).values(
        tenant_id=tenant_id, store_id=store_id, code=IMPORT_TILL_CODE, name="Imported history",
        created_at=now, revoked_at=now).returning(terminals.c.id)).scalar_one())


IMPORT_STORE_CODE = "history"


def add_history_store(conn: Connection, tenant_id: int, *, now: datetime) -> int:
    """A store for imported receipts, for a business that has none yet."""
    return tenancy.insert_store(conn, tenant_id=tenant_id, code=IMPORT_STORE_CODE,
                                name="Imported history", now=now)


def store_ids(conn: Connection, tenant_id: int) -> dict[str, int]:
    """The tenant's stores by code, the first made first."""
    return {r.code: int(r.id) for r in conn.execute(
        select(stores.c.code, stores.c.id).where(stores.c.tenant_id == tenant_id)
        .order_by(stores.c.id))}


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start:start + _IN_CHUNK]


def members_by(conn: Connection, tenant_id: int, kind: str, values: Sequence[str]
               ) -> dict[str, int]:
    """Which member (following merges) each of ``values`` names: ``kind`` is
    ``external_id``, ``phone`` or ``card`` (the last two found by their blind index)."""
    found: dict[str, int] = {}
    for chunk in _chunks(values):
        if kind == "external_id":
            query = select(members.c.external_id, members.c.id, members.c.merged_into_id) \
                .where(members.c.tenant_id == tenant_id, members.c.external_id.in_(chunk))
            for value, member_id, merged_into in conn.execute(query):
                found[value] = int(merged_into or member_id)
            continue
        by_index = {personal.blind_index(tenant_id, kind, v): v for v in chunk}
        query = select(member_identifiers.c.value_index, members.c.id,
                       members.c.merged_into_id).join(
            members, members.c.id == member_identifiers.c.member_id).where(
            member_identifiers.c.tenant_id == tenant_id, member_identifiers.c.kind == kind,
            member_identifiers.c.value_index.in_(list(by_index)))
        for index, member_id, merged_into in conn.execute(query):
            found[by_index[index]] = int(merged_into or member_id)
    return found


def insert_members(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert members (each row's ``phone`` and ``qr_token`` in the clear: they are sealed
    here), counted among the new members of the day they joined; their ids in the rows'
    order."""
    qr_sealed = personal.seal_many([row["qr_token"] for row in rows])
    sealed = [{**{k: v for k, v in row.items() if k not in ("phone", "qr_token")},
               **phone_columns(row["tenant_id"], row["phone"]), "qr_sealed": qr}
              for row, qr in zip(rows, qr_sealed, strict=True)]
    joined = Counter((int(row["tenant_id"]), row["created_at"], row["store_id"])
                     for row in rows if row["status"] == "active")
    for (tenant_id, at, store_id), count in joined.items():
        day_totals.add_joined(conn, tenant_id, at=at, store_id=store_id, members=count)
    return copy_returning_ids(conn, members, sealed)


def add_identifiers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert identifier rows (each ``value`` in the clear: it is sealed and indexed here),
    by a copy on PostgreSQL."""
    columns = identifiers_columns([(row["tenant_id"], row["kind"], row["value"])
                                   for row in rows])
    copy_rows(conn, member_identifiers, [
        {**{k: v for k, v in row.items() if k != "value"}, **sealed}
        for row, sealed in zip(rows, columns, strict=True)])


def set_external_ids(conn: Connection, tenant_id: int, pairs: Iterable[tuple[int, str]]
                     ) -> None:
    """Give members without one the business's id for them."""
    for member_id, external_id in pairs:
        conn.execute(update(members).where(
            members.c.tenant_id == tenant_id, members.c.id == member_id,
            members.c.external_id.is_(None)).values(external_id=external_id))


_PRESENT = text(
    "SELECT k.no FROM unnest(CAST(:numbers AS text[])) AS k(no) CROSS JOIN LATERAL ("
    "SELECT 1 FROM receipts AS r WHERE r.tenant_id = :tenant_id"
    " AND r.terminal_id = :terminal_id AND r.receipt_no = k.no LIMIT 1) AS found")


def receipts_present(conn: Connection, tenant_id: int, terminal_id: int,
                     numbers: Sequence[str]) -> set[str]:
    """Which of ``numbers`` the till has a receipt for already.

    PostgreSQL probes the till's unique index once a number, in one statement: an import
    writes into the till faster than its statistics follow, and with them saying the till
    has no receipts ``receipt_no IN (…)`` is planned as a filter over all of the till's
    receipts, once a chunk, which grows with the square of the import."""
    if conn.dialect.name == "postgresql":
        return set(conn.execute(_PRESENT, {"tenant_id": tenant_id, "terminal_id": terminal_id,
                                           "numbers": list(numbers)}).scalars())
    found: set[str] = set()
    for chunk in _chunks(numbers):
        found.update(conn.execute(select(receipts.c.receipt_no).where(
            receipts.c.tenant_id == tenant_id, receipts.c.terminal_id == terminal_id,
            receipts.c.receipt_no.in_(chunk))).scalars())
    return found


def insert_receipts(conn: Connection, rows: list[dict[str, Any]],
                    lines: list[dict[str, Any]], days: Sequence[date]) -> list[int]:
    """Insert receipts (rows with every column but ``id``), each with its one line (``lines``
    in the same order, without ``tenant_id`` and ``receipt_id``), and count each member's
    spend and the day's aggregates on the local day in ``days``. Returns the receipts' ids
    in order. Raises the database's unique violation for a receipt number the till has
    already."""
    return insert_receipts_with_lines(conn, rows, [[line] for line in lines], days)


def insert_receipts_with_lines(conn: Connection, rows: list[dict[str, Any]],
                               lines: list[list[dict[str, Any]]], days: Sequence[date]
                               ) -> list[int]:
    """:func:`insert_receipts` for receipts of any number of lines: ``lines[i]`` are the
    lines of ``rows[i]`` (each without ``tenant_id`` and ``receipt_id``)."""
    if not rows:
        return []
    ids = copy_returning_ids(conn, receipts, rows)
    copy_rows(conn, receipt_lines, [
        {"tenant_id": row["tenant_id"], "receipt_id": receipt_id, **line}
        for row, receipt_id, own in zip(rows, ids, lines, strict=True) for line in own])
    spend = pending_spend(conn)
    for row, day in zip(rows, days, strict=True):
        if row["member_id"] is not None:
            spend.add(tenant_id=int(row["tenant_id"]), member_id=int(row["member_id"]),
                      day=day, net_minor=int(row["paid_minor"]), at=row["occurred_at"])
    day_totals.add_receipts(conn, rows, [sum(int(line["quantity_milli"]) for line in own)
                                         for own in lines], days)
    return ids
