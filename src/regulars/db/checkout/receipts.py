"""Receipts, their lines and refunds; moving a member's receipts to another; and the
``spend_days`` rows read afresh from the receipts, to check or rebuild them.

Inserting a receipt counts its qualifying spend in :mod:`regulars.db.program.spend_totals`; the
idempotency records a receipt's answer is stored with are in
:mod:`regulars.db.checkout.idempotency_keys`.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect

from regulars.db import arrays
from regulars.db.analytics import days
from regulars.db.checkout.tables import receipt_lines, receipts, refunds
from regulars.db.program.spend_totals import LIFETIME_DAY, add_spend, local_day, qualifying
from regulars.db.program.tables import spend_days
from regulars.domain.analytics.days import NO_REWARDS, Rewards, is_purchase


def insert_receipt(conn: Connection, *, day: date, **values: Any) -> int:
    """Insert a receipt and count its qualifying spend in the member's ``day`` (the local day
    of its ``occurred_at``, see :func:`~regulars.db.program.spend_totals.local_day`). Raises the
    database's unique violation if the till already sent this receipt id."""
    receipt_id = int(conn.execute(insert(receipts).values(**values)
                                  .returning(receipts.c.id)).scalar_one())
    if values.get("member_id") is not None:
        add_spend(conn, tenant_id=values["tenant_id"], member_id=values["member_id"], day=day,
                  net_minor=qualifying(values), at=values["occurred_at"])
    return receipt_id


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(receipt_lines), rows)


_RECEIPT_COLUMNS = ("tenant_id", "terminal_id", "store_id", "staff_id", "receipt_no",
                    "member_id", "status", "program_version", "gross_minor", "discount_minor",
                    "points_spent", "points_discount_minor", "paid_minor", "points_earned",
                    "request_hash", "response", "occurred_at", "recorded_at", "identified_by")
_LINE_COLUMNS = {"line_no": "integer", "sku": "text", "name": "text", "category": "text",
                 "quantity_milli": "bigint", "unit_price_minor": "bigint",
                 "gross_minor": "bigint", "discount_minor": "bigint", "points_spent": "bigint",
                 "paid_minor": "bigint", "points_earned": "bigint"}
_RECEIPT_CASTS = {"staff_id": "bigint", "member_id": "bigint", "response": "json",
                  "identified_by": "varchar"}

# On PostgreSQL a receipt, its lines and the rows naming it (:class:`Children`) are one
# statement; lines and rows take ids in the order given.
_RECEIPT_CTES = f"""
WITH new_receipt AS (
    INSERT INTO receipts ({", ".join(_RECEIPT_COLUMNS)})
    VALUES ({", ".join(f"CAST(:{c} AS {_RECEIPT_CASTS[c]})" if c in _RECEIPT_CASTS
                       else f":{c}" for c in _RECEIPT_COLUMNS)})
    RETURNING id, member_id
), new_lines AS (
    INSERT INTO receipt_lines (tenant_id, receipt_id, {", ".join(_LINE_COLUMNS)})
    SELECT :tenant_id, r.id, {", ".join(f"l.{c}" for c in _LINE_COLUMNS)}
    FROM new_receipt r
    CROSS JOIN unnest({", ".join(f"CAST(:line_{c} AS {t}[])" for c, t in _LINE_COLUMNS.items())})
         WITH ORDINALITY AS l({", ".join(_LINE_COLUMNS)}, ord)
    ORDER BY l.ord
    RETURNING 1
), spend AS (
    INSERT INTO spend_days (tenant_id, member_id, day, net_minor, last_at)
    SELECT :tenant_id, r.member_id, d.day, :spend_minor, :occurred_at
    FROM new_receipt r
    CROSS JOIN (VALUES (:spend_day), (:lifetime_day)) AS d(day)
    WHERE r.member_id IS NOT NULL
    ON CONFLICT (tenant_id, member_id, day) DO UPDATE
    SET net_minor = spend_days.net_minor + excluded.net_minor,
        last_at = GREATEST(spend_days.last_at, excluded.last_at)
    RETURNING 1
)
"""


def _receipt_statement(ctes: list[str], counts: list[str]) -> Any:
    """The receipt's statement, with more CTEs writing beside it and their counts."""
    return text(_RECEIPT_CTES.rstrip("\n") + "".join(f", {cte}" for cte in ctes)
                + "\nSELECT r.id, (SELECT count(*) FROM new_lines) AS lines"
                + "".join(f", {count}" for count in counts)
                + " FROM new_receipt r\n").bindparams(
        bindparam("occurred_at", type_=receipts.c.occurred_at.type),
        bindparam("recorded_at", type_=receipts.c.recorded_at.type),
        bindparam("spend_day", type_=Date()),
        bindparam("lifetime_day", type_=Date()))


_INSERT_RECEIPT_PG = _receipt_statement([], [])


@dataclass(frozen=True)
class Children:
    """Rows of another table that name the receipt (``tenant_id`` and ``receipt_id`` come
    from it), written with it: ``rows`` all have the same columns, ids follow their order."""

    table: Table
    rows: list[dict[str, Any]]


def _child_cte(n: int, child: Children, columns: tuple[str, ...], dialect: Dialect) -> str:
    """The CTE inserting ``child``'s rows beside the receipt (its parameters ``c{n}_<col>``,
    one array per column; JSON values are passed as text)."""
    types = {c: child.table.c[c].type.compile(dialect=dialect) for c in columns}
    return f"""child_{n} AS (
    INSERT INTO {child.table.name} (tenant_id, receipt_id, {", ".join(columns)})
    SELECT :tenant_id, r.id, {", ".join(f"c.{c}" for c in columns)}
    FROM new_receipt r
    CROSS JOIN unnest({", ".join(f"CAST(:c{n}_{c} AS {types[c]}[])" for c in columns)})
         WITH ORDINALITY AS c({", ".join(columns)}, ord)
    ORDER BY c.ord
    RETURNING 1
)"""


_STATEMENTS: dict[tuple[tuple[str, tuple[str, ...]], ...], Any] = {(): _INSERT_RECEIPT_PG}


def _insert_statement(children: list[Children], dialect: Dialect) -> Any:
    """The receipt's statement with ``children``'s inserts, built once per shape."""
    shape = tuple((c.table.name, tuple(sorted(c.rows[0]))) for c in children)
    found = _STATEMENTS.get(shape)
    if found is None:
        found = _receipt_statement(
            [_child_cte(n, child, columns, dialect)
             for n, (child, (_, columns)) in enumerate(zip(children, shape, strict=True))],
            [f"(SELECT count(*) FROM child_{n}) AS child_{n}" for n in range(len(children))])
        _STATEMENTS[shape] = found
    return found


def _child_params(n: int, child: Children) -> dict[str, Any]:
    """``child``'s rows as one array parameter per column: integers, dates, text and JSON
    (as its text) in the array's text form (:mod:`regulars.db.arrays`), the rest as lists."""
    params: dict[str, Any] = {}
    kinds = _column_kinds(child.table, tuple(child.rows[0]))
    for column, kind in kinds:
        values = [row[column] for row in child.rows]
        if kind == "json":
            params[f"c{n}_{column}"] = arrays.texts(
                [None if v is None else json.dumps(v) for v in values])
        elif kind == "plain":
            params[f"c{n}_{column}"] = arrays.plain(values)
        elif kind == "text":
            params[f"c{n}_{column}"] = arrays.texts(values)
        else:
            params[f"c{n}_{column}"] = values
    return params


_KINDS: dict[tuple[str, tuple[str, ...]], tuple[tuple[str, str], ...]] = {}


def _column_kinds(table: Table, columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """How each of ``columns`` of ``table`` is passed ("json", "plain" or "list"), worked
    out once per table and columns."""
    key = (table.name, columns)
    found = _KINDS.get(key)
    if found is None:
        found = _KINDS[key] = tuple(
            (c, "json" if isinstance(t, JSON) else
             "plain" if isinstance(t, Integer | Date) else
             "text" if isinstance(t, String) else
             "list") for c, t in ((c, table.c[c].type) for c in columns))
    return found


def insert_receipt_with_lines(conn: Connection, lines: list[dict[str, Any]], *, day: date,
                              rewards: Rewards = NO_REWARDS,
                              children: tuple[Children, ...] = (), **values: Any) -> int:
    """:func:`insert_receipt`, then :func:`insert_lines` for ``lines`` and the rows of each of
    ``children`` (rows without ``tenant_id`` and ``receipt_id``, which come from the
    receipt), counted in the day's aggregates (:mod:`regulars.db.analytics.days`) with the
    catalogue ``rewards`` it applies; one round trip on PostgreSQL. Raises the database's
    unique violation as :func:`insert_receipt` does."""
    values.setdefault("identified_by", None)
    items_milli = sum([int(line.get("quantity_milli", 0)) for line in lines])
    filled = [c for c in children if c.rows]
    if conn.dialect.name != "postgresql" or set(values) != set(_RECEIPT_COLUMNS) or any([
            set(line) != set(_LINE_COLUMNS) for line in lines]):
        receipt_id = insert_receipt(conn, day=day, **values)
        if lines:
            insert_lines(conn, [{"tenant_id": values["tenant_id"], "receipt_id": receipt_id,
                                 **line} for line in lines])
        for child in filled:
            conn.execute(insert(child.table), [
                {"tenant_id": values["tenant_id"], "receipt_id": receipt_id, **row}
                for row in child.rows])
        days.add_receipt(conn, values, items_milli=items_milli, rewards=rewards)
        return receipt_id
    params = {**values, "response": json.dumps(values["response"]), "spend_day": day,
              "lifetime_day": LIFETIME_DAY, "spend_minor": qualifying(values)}
    for column, kind in _LINE_COLUMNS.items():
        values_ = [line[column] for line in lines]
        params[f"line_{column}"] = values_ if kind == "text" else arrays.ints(values_)
    for n, child in enumerate(filled):
        params.update(_child_params(n, child))
    row = conn.execute(_insert_statement(filled, conn.dialect), params).one()
    written = [row.lines, *(row._mapping[f"child_{n}"] for n in range(len(filled)))]
    wanted = [len(lines), *(len(c.rows) for c in filled)]
    if written != wanted:
        raise RuntimeError(f"a receipt wrote {written} rows of {wanted}")
    days.add_receipt(conn, values, items_milli=items_milli, rewards=rewards)
    return int(row.id)


def set_receipt_response(conn: Connection, tenant_id: int, receipt_id: int,
                         response: dict[str, Any]) -> None:
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.id == receipt_id)
                 .values(response=response))


def receipt_by_number(conn: Connection, tenant_id: int, terminal_id: int,
                      receipt_no: str) -> dict[str, Any] | None:
    row = conn.execute(select(receipts).where(
        receipts.c.tenant_id == tenant_id, receipts.c.terminal_id == terminal_id,
        receipts.c.receipt_no == receipt_no)).one_or_none()
    return dict(row._mapping) if row else None


def get_receipt(conn: Connection, tenant_id: int, receipt_id: int, *,
                for_update: bool = False) -> dict[str, Any] | None:
    query = select(receipts).where(receipts.c.tenant_id == tenant_id,
                                   receipts.c.id == receipt_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    return dict(row._mapping) if row else None


def numbers_of(conn: Connection, tenant_id: int, receipt_ids: Collection[int]
               ) -> dict[int, str]:
    """The number each receipt of ``receipt_ids`` carries at its till, by id (another
    tenant's ids are left out)."""
    if not receipt_ids:
        return {}
    rows = conn.execute(select(receipts.c.id, receipts.c.receipt_no).where(
        receipts.c.tenant_id == tenant_id, receipts.c.id.in_(sorted(set(receipt_ids)))))
    return {int(r.id): str(r.receipt_no) for r in rows}


def lines_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(receipt_lines).where(receipt_lines.c.tenant_id == tenant_id,
                                    receipt_lines.c.receipt_id == receipt_id)
        .order_by(receipt_lines.c.line_no))]


def add_refunded_quantity(conn: Connection, tenant_id: int, receipt_id: int, line_no: int,
                          quantity_milli: int) -> bool:
    """Count ``quantity_milli`` more as refunded, unless that would pass the line's quantity
    (a conditional update, so two refunds racing for the last unit cannot both win)."""
    changed = conn.execute(
        update(receipt_lines).where(
            receipt_lines.c.tenant_id == tenant_id, receipt_lines.c.receipt_id == receipt_id,
            receipt_lines.c.line_no == line_no,
            receipt_lines.c.refunded_quantity_milli + quantity_milli
            <= receipt_lines.c.quantity_milli)
        .values(refunded_quantity_milli=receipt_lines.c.refunded_quantity_milli
                + quantity_milli)
    ).rowcount
    return changed == 1


def update_receipt(conn: Connection, tenant_id: int, receipt_id: int, **values: Any) -> None:
    conn.execute(update(receipts).where(receipts.c.tenant_id == tenant_id,
                                        receipts.c.id == receipt_id).values(**values))


def mark_receipt(conn: Connection, tenant_id: int, receipt_id: int, *, from_status: str,
                 to_status: str) -> bool:
    """Move a receipt between statuses only from the expected one (wins once)."""
    return conn.execute(update(receipts).where(
        receipts.c.tenant_id == tenant_id, receipts.c.id == receipt_id,
        receipts.c.status == from_status).values(status=to_status)).rowcount == 1


def insert_refund(conn: Connection, **values: Any) -> int:
    return int(conn.execute(insert(refunds).values(**values)
                            .returning(refunds.c.id)).scalar_one())


def refunds_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(refunds).where(refunds.c.tenant_id == tenant_id,
                              refunds.c.receipt_id == receipt_id).order_by(refunds.c.id))]


def list_receipts(conn: Connection, tenant_id: int, *, member_id: int | None, limit: int,
                  before_id: int | None) -> list[dict[str, Any]]:
    query = select(receipts.c.id, receipts.c.receipt_no, receipts.c.terminal_id,
                   receipts.c.store_id, receipts.c.member_id, receipts.c.status,
                   receipts.c.gross_minor, receipts.c.discount_minor, receipts.c.paid_minor,
                   receipts.c.points_spent, receipts.c.points_earned,
                   receipts.c.refunded_paid_minor, receipts.c.occurred_at) \
        .where(receipts.c.tenant_id == tenant_id)
    if member_id is not None:
        query = query.where(receipts.c.member_id == member_id)
    if before_id is not None:
        query = query.where(receipts.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(query.order_by(receipts.c.id.desc())
                                                   .limit(limit))]


def member_receipts(conn: Connection, tenant_id: int, member_id: int) -> list[dict[str, Any]]:
    """Every receipt of a member, oldest first, with its stored answer (``response``)."""
    return [dict(r._mapping) for r in conn.execute(
        select(receipts.c.id, receipts.c.receipt_no, receipts.c.terminal_id,
               receipts.c.store_id, receipts.c.status, receipts.c.gross_minor,
               receipts.c.discount_minor, receipts.c.paid_minor, receipts.c.points_spent,
               receipts.c.points_earned, receipts.c.refunded_paid_minor,
               receipts.c.occurred_at, receipts.c.response)
        .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id == member_id)
        .order_by(receipts.c.id))]


def expected_spend_days(conn: Connection, tenant_id: int, zone: tzinfo
                        ) -> dict[tuple[int, date], tuple[int, datetime]]:
    """The ``spend_days`` rows a tenant's receipts make in ``zone``, read from the receipts
    themselves (for checks and rebuilds): (member, day) to (net, latest receipt), for the
    days with a receipt that is not voided and for :data:`LIFETIME_DAY`."""
    found: dict[tuple[int, date], tuple[int, datetime]] = {}
    rows = conn.execute(
        select(receipts.c.member_id, receipts.c.paid_minor, receipts.c.refunded_paid_minor,
               receipts.c.occurred_at)
        .where(receipts.c.tenant_id == tenant_id, receipts.c.member_id.is_not(None),
               receipts.c.status != "voided"))
    for r in rows:
        for key in ((int(r.member_id), local_day(r.occurred_at, zone)),
                    (int(r.member_id), LIFETIME_DAY)):
            net, last = found.get(key, (0, r.occurred_at))
            found[key] = (net + int(r.paid_minor) - int(r.refunded_paid_minor),
                          max(last, r.occurred_at))
    return found


def rebuild_spend_days(conn: Connection, tenant_id: int, zone: tzinfo) -> int:
    """Write a tenant's ``spend_days`` afresh from its receipts, with days in ``zone``: after
    a change of the tenant's time zone its receipts fall on other local days. Returns the
    number of rows written. On PostgreSQL the table is locked against other writers first, so
    that no commit adds to a row between the reading of the receipts and the writing."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE spend_days IN EXCLUSIVE MODE"))
    conn.execute(delete(spend_days).where(spend_days.c.tenant_id == tenant_id))
    rows = [{"tenant_id": tenant_id, "member_id": member_id, "day": day, "net_minor": net,
             "last_at": last}
            for (member_id, day), (net, last) in
            expected_spend_days(conn, tenant_id, zone).items()]
    for start in range(0, len(rows), 1000):
        conn.execute(insert(spend_days), rows[start:start + 1000])
    return len(rows)


def spend_day_problems(conn: Connection, tenant_id: int, zone: tzinfo) -> list[dict[str, Any]]:
    """The (member, day) rows of ``spend_days`` that disagree with the tenant's receipts:
    another net amount (a missing row counts as zero), or a ``last_at`` earlier than a
    receipt the row counts. Empty when they agree."""
    expected = expected_spend_days(conn, tenant_id, zone)
    stored = {(int(r.member_id), r.day): (int(r.net_minor), r.last_at) for r in conn.execute(
        select(spend_days.c.member_id, spend_days.c.day, spend_days.c.net_minor,
               spend_days.c.last_at).where(spend_days.c.tenant_id == tenant_id))}
    problems = []
    for key in sorted(set(expected) | set(stored)):
        want_net, want_last = expected.get(key, (0, None))
        have_net, have_last = stored.get(key, (0, None))
        # A day whose receipts all count zero sums to zero whatever its ``last_at`` says.
        late = want_net != 0 and (have_last is None or want_last is None
                                  or have_last < want_last)
        if want_net != have_net or late:
            problems.append({"kind": "spend_day", "tenant_id": tenant_id, "member_id": key[0],
                             "day": key[1].isoformat(), "receipts_minor": want_net,
                             "stored_minor": have_net if key in stored else None})
    return problems


_MOVE_SPEND_PG = text("""
WITH moved AS (
    DELETE FROM spend_days WHERE tenant_id = :tenant_id AND member_id = :from_member
    RETURNING day, net_minor, last_at
)
INSERT INTO spend_days (tenant_id, member_id, day, net_minor, last_at)
SELECT :tenant_id, :to_member, day, net_minor, last_at FROM moved
ON CONFLICT (tenant_id, member_id, day) DO UPDATE
SET net_minor = spend_days.net_minor + excluded.net_minor,
    last_at = GREATEST(spend_days.last_at, excluded.last_at)
""")
_MOVE_SPEND_SQLITE = text("""
INSERT INTO spend_days (tenant_id, member_id, day, net_minor, last_at)
SELECT tenant_id, :to_member, day, net_minor, last_at FROM spend_days
WHERE tenant_id = :tenant_id AND member_id = :from_member
ON CONFLICT (tenant_id, member_id, day) DO UPDATE
SET net_minor = spend_days.net_minor + excluded.net_minor,
    last_at = max(spend_days.last_at, excluded.last_at)
""")


def move_receipts(conn: Connection, tenant_id: int, from_member: int, to_member: int) -> None:
    """Give one member's receipts, their qualifying spend per day and their purchases
    (first, second, last) to another."""
    moved = [at for at, status, gross_minor in conn.execute(
        update(receipts).where(receipts.c.tenant_id == tenant_id,
                               receipts.c.member_id == from_member)
        .values(member_id=to_member).returning(receipts.c.occurred_at, receipts.c.status,
                                               receipts.c.gross_minor))
        if is_purchase(status, gross_minor)]
    params = {"tenant_id": tenant_id, "from_member": from_member, "to_member": to_member}
    if conn.dialect.name == "postgresql":
        conn.execute(_MOVE_SPEND_PG, params)
    else:
        conn.execute(_MOVE_SPEND_SQLITE, params)
        conn.execute(delete(spend_days).where(spend_days.c.tenant_id == tenant_id,
                                              spend_days.c.member_id == from_member))
    days.move_purchases(conn, tenant_id, from_member, to_member, moved)
