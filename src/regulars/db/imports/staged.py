"""A receipts import on PostgreSQL, set-based: every row of the file copied into a temporary
table of the transaction (``import_rows``, dropped at its ``COMMIT``) by one ``COPY``, then
each step one statement over all of them, whatever the file's size: the rows the till has
already dropped, the members named by the rest listed (by a slot number the service gives
each distinct identity: no identifier goes into the table), the receipts and their line
inserted, the spend per member and day added and the days' sales summed for
:mod:`regulars.db.analytics.days`.

What the rows write is what :func:`regulars.db.imports.history.insert_receipts` writes for
them: the same columns, the same spend rows, the same day counters (an imported receipt's
figures are its amount, its quantity and one receipt when it is a purchase, see
:func:`regulars.domain.analytics.days.receipt_totals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from regulars.db.program.spend_totals import LIFETIME_DAY
from regulars.domain.analytics.days import SOLD

COLUMNS = ("n", "receipt_no", "slot", "store_id", "occurred_at", "quantity_milli",
           "amount_minor", "unit_price_minor", "points", "request_hash")
"""What :func:`copy` takes of each row, in order: its place in the file, its receipt number,
its member's slot (None: no member), store, instant (UTC), quantity, amount, price of a unit,
points earned, digest."""

WORK_MEM = "256MB"
"""The import transaction's ``work_mem``: its sorts and groupings of a million rows fit."""

RESPONSE = '{"imported": true}'
"""The stored answer of an imported receipt."""

_STATUS = SOLD[0]
"""An imported receipt is committed."""


def create(conn: Connection) -> None:
    """The transaction's ``import_rows`` and ``import_members`` (slot → member), each
    receipt's id taken from the receipts' sequence as its row is copied in."""
    sequence = conn.execute(text("SELECT pg_get_serial_sequence('receipts', 'id')")).scalar_one()
    conn.execute(text(f"""
        CREATE TEMPORARY TABLE import_rows (
            n bigint NOT NULL, receipt_id bigint NOT NULL DEFAULT nextval('{sequence}'),
            receipt_no text NOT NULL, slot bigint, store_id bigint NOT NULL,
            occurred_at timestamptz NOT NULL, quantity_milli bigint NOT NULL,
            amount_minor bigint NOT NULL, unit_price_minor bigint NOT NULL,
            points bigint NOT NULL, request_hash text NOT NULL) ON COMMIT DROP"""))
    conn.execute(text("CREATE TEMPORARY TABLE import_members (slot bigint PRIMARY KEY,"
                      " member_id bigint NOT NULL, fresh boolean NOT NULL) ON COMMIT DROP"))
    # Sorts and aggregates over the whole file in memory, not in temporary files.
    conn.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))


def copy(conn: Connection, rows: Iterable[Sequence[Any]]) -> None:
    """Copy ``rows`` (each the :data:`COLUMNS`) into ``import_rows`` as one ``COPY``."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(
            f"COPY import_rows ({', '.join(COLUMNS)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)
    conn.execute(text("ANALYZE import_rows"))


def drop_present(conn: Connection, tenant_id: int, till_id: int) -> int:
    """Leave out the rows whose receipt number the till has already (imported before);
    how many there were."""
    return int(conn.execute(text("""
        DELETE FROM import_rows s USING receipts r
        WHERE r.tenant_id = :tenant_id AND r.terminal_id = :till_id
          AND r.receipt_no = s.receipt_no"""),
        {"tenant_id": tenant_id, "till_id": till_id}).rowcount)


def slots(conn: Connection) -> list[int]:
    """The slots of the rows left, each once, in the order of their first row."""
    return [int(s) for s in conn.execute(text(
        "SELECT slot FROM import_rows WHERE slot IS NOT NULL GROUP BY slot"
        " ORDER BY min(n)")).scalars().all()]


def set_members(conn: Connection, members: Iterable[tuple[int, int, bool]]) -> None:
    """Who each slot is: (slot, member id, whether the import created the member) triples."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(
            "COPY import_members (slot, member_id, fresh) FROM STDIN") as out:
        for member in members:
            out.write_row(member)
    conn.execute(text("ANALYZE import_members"))


_RECEIPTS = text(f"""
INSERT INTO receipts (id, tenant_id, terminal_id, store_id, staff_id, receipt_no, member_id,
                      status, program_version, gross_minor, discount_minor, points_spent,
                      points_discount_minor, paid_minor, points_earned, request_hash,
                      response, occurred_at, recorded_at)
SELECT s.receipt_id, :tenant_id, :till_id, s.store_id, NULL, s.receipt_no, m.member_id,
       '{_STATUS}', :version, s.amount_minor, 0, 0, 0, s.amount_minor, s.points,
       s.request_hash, CAST(:response AS json), s.occurred_at, :now
FROM import_rows s LEFT JOIN import_members m ON m.slot = s.slot
ORDER BY s.n""")
_LINES = text("""
INSERT INTO receipt_lines (tenant_id, receipt_id, line_no, sku, name, category,
                           quantity_milli, unit_price_minor, gross_minor, discount_minor,
                           points_spent, paid_minor, points_earned)
SELECT :tenant_id, s.receipt_id, 1, 'imported', 'Imported purchase', 'imported',
       s.quantity_milli, s.unit_price_minor, s.amount_minor, 0, 0, s.amount_minor, s.points
FROM import_rows s ORDER BY s.n""")


def insert_receipts(conn: Connection, *, tenant_id: int, till_id: int, version: int,
                    now: datetime) -> tuple[int, int]:
    """Insert the rows left as receipts of the till, each with its line; (how many, their
    amount)."""
    conn.execute(_RECEIPTS, {"tenant_id": tenant_id, "till_id": till_id, "version": version,
                             "response": RESPONSE, "now": now})
    conn.execute(_LINES, {"tenant_id": tenant_id})
    count, amount = conn.execute(text(
        "SELECT count(*), COALESCE(sum(amount_minor), 0) FROM import_rows")).one()
    return int(count), int(amount)


@dataclass(frozen=True, kw_only=True)
class Earned:
    receipt_id: int
    member_id: int
    store_id: int
    occurred_at: datetime
    points: int


def earned(conn: Connection) -> list[Earned]:
    """The receipts inserted that earn points, in the file's order."""
    return [Earned(receipt_id=int(r[0]), member_id=int(r[1]), store_id=int(r[2]),
                   occurred_at=r[3], points=int(r[4])) for r in conn.execute(text(
        "SELECT s.receipt_id, m.member_id, s.store_id, s.occurred_at, s.points"
        " FROM import_rows s JOIN import_members m ON m.slot = s.slot"
        " WHERE s.points > 0 ORDER BY s.n"))]


_SPEND_COLUMNS = "tenant_id, member_id, day, net_minor, last_at"
_SPEND_ROWS = "SELECT :tenant_id, member_id, day, net_minor, last_at FROM spend"


def add_spend(conn: Connection, tenant_id: int, zone: str) -> None:
    """Add the receipts' spend to their members' days (local in ``zone``) and lifetime
    totals, in key order (members in id order): one pass over the rows, both sums at once.
    The days of members the import created are new rows, inserted; the others' are upserted
    (a till may have added to them)."""
    conn.execute(text(f"""
        WITH spend AS MATERIALIZED (
            SELECT d.fresh, d.member_id, COALESCE(d.day, :lifetime) AS day,
                   sum(d.net_minor) AS net_minor, max(d.at) AS last_at
            FROM (SELECT m.fresh, m.member_id,
                         CAST(s.occurred_at AT TIME ZONE :zone AS date) AS day,
                         s.amount_minor AS net_minor, s.occurred_at AS at
                  FROM import_rows s JOIN import_members m ON m.slot = s.slot) AS d
            GROUP BY GROUPING SETS ((d.fresh, d.member_id, d.day), (d.fresh, d.member_id))),
        created AS (
            INSERT INTO spend_days ({_SPEND_COLUMNS})
            {_SPEND_ROWS} WHERE fresh ORDER BY member_id, day)
        INSERT INTO spend_days ({_SPEND_COLUMNS})
        {_SPEND_ROWS} WHERE NOT fresh ORDER BY member_id, day
        ON CONFLICT (tenant_id, member_id, day) DO UPDATE
        SET net_minor = spend_days.net_minor + excluded.net_minor,
            last_at = greatest(spend_days.last_at, excluded.last_at)"""),
        {"tenant_id": tenant_id, "zone": zone, "lifetime": LIFETIME_DAY})


FRESH_SOLD = ("SELECT m.member_id, s.occurred_at FROM import_rows s"
              " JOIN import_members m ON m.slot = s.slot WHERE m.fresh AND s.amount_minor > 0")
"""The (member, instant) of the purchases (a basket above zero) inserted for the members the
import created: all their receipts."""


@dataclass(frozen=True, kw_only=True)
class DaySales:
    """The purchases among the receipts inserted of one local day, store and kind."""

    day: date
    store_id: int
    known: bool
    """With a member."""
    receipts: int
    revenue_minor: int
    items_milli: int


def day_sales(conn: Connection, zone: str) -> list[DaySales]:
    """The receipts inserted that are purchases (a basket above zero), summed per local day
    (in ``zone``), store and whether a member made them."""
    return [DaySales(day=r[0], store_id=int(r[1]), known=bool(r[2]), receipts=int(r[3]),
                     revenue_minor=int(r[4]), items_milli=int(r[5]))
            for r in conn.execute(text("""
        SELECT CAST(occurred_at AT TIME ZONE :zone AS date), store_id, slot IS NOT NULL,
               count(*), sum(amount_minor), sum(quantity_milli)
        FROM import_rows WHERE amount_minor > 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""),
        {"zone": zone})]
