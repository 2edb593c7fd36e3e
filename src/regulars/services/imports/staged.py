"""Writing checked receipt rows on PostgreSQL, set-based (:mod:`regulars.db.imports.staged`):
the rows copied into the transaction's own table as they are read, then the members of the
new rows found or created once for the whole file, and the receipts, their lines, the spend
per member and day, the members' purchases and the days' sales each written by one statement
over all the rows, in the order a till's commit takes the same rows (spend, purchases, then
the member counts and the days at the end of the unit of work). What it writes is what
:func:`regulars.services.imports.writing.write` writes for the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.analytics import buyers
from regulars.db.analytics import days as day_totals
from regulars.db.imports import staged
from regulars.domain.analytics.figures import SalesTotals
from regulars.domain.imports.rows import ReceiptRow
from regulars.services.imports import writing
from regulars.services.imports.people import Ids, NewMember
from regulars.services.runtime import Runtime

Progress = Callable[[int], None]
KEPT_INSTANTS = 4096
"""How many local times of a file :func:`_copied` keeps converted to instants."""


def write(rt: Runtime, tenant_id: int, rows: Iterable[writing.Row], *, zone: ZoneInfo,
          store: str | None, earn: bool, batch_rows: int, progress: Progress | None,
          refuse: Callable[[], None],
          before_commit: Callable[[Connection, writing.Written], None]) -> writing.Written:
    """Write the receipt ``rows`` in one unit of work, telling ``progress`` of every
    ``batch_rows`` read; ``refuse`` is called once they are all read (whatever it raises
    rolls everything back, before anything but the copy was done), ``before_commit`` last as
    :func:`regulars.services.imports.writing.write` calls it."""
    with rt.db.write() as conn:
        batch = writing.start(conn, tenant_id, zone=zone, now=rt.now(), store=store,
                              earn=earn)
        staged.create(conn)
        identities: dict[Ids, int] = {}
        staged.copy(conn, _copied(batch, rows, identities, batch_rows, progress))
        refuse()
        batch.already = staged.drop_present(conn, tenant_id, batch.till_id)
        _members(conn, batch, list(identities))
        batch.imported, batch.amount_minor = staged.insert_receipts(
            conn, tenant_id=tenant_id, till_id=batch.till_id, version=batch.version,
            now=batch.now)
        for found in staged.earned(conn):
            writing.earn_points(conn, batch, {
                "member_id": found.member_id, "occurred_at": found.occurred_at,
                "store_id": found.store_id, "points_earned": found.points}, found.receipt_id)
        _aggregates(conn, batch)
        people = batch.people
        written = writing.Written(
            imported=batch.imported, already=batch.already, members_created=people.created,
            members_matched=len(people.matched), amount_minor=batch.amount_minor,
            points_earned=batch.points_earned)
        before_commit(conn, written)
    return written


def _copied(batch: writing.Batch, rows: Iterable[writing.Row], identities: dict[Ids, int],
            batch_rows: int, progress: Progress | None) -> Iterator[Sequence[Any]]:
    """Each row as :data:`regulars.db.imports.staged.COLUMNS`; ``identities`` gets a slot for
    each distinct member identity, in the order met."""
    read = 0
    instants: dict[datetime, datetime] = {}  # a file's dates repeat: each converted once
    for n, ((row, ids), key) in enumerate(rows):
        assert isinstance(row, ReceiptRow)
        slot = identities.setdefault(ids, len(identities)) if ids else None
        digest = key.split(":")[1] if key.startswith("D:") else row.digest()
        at = instants.get(row.local_at)
        if at is None:
            at = row.local_at.replace(tzinfo=batch.zone).astimezone(UTC)
            if len(instants) < KEPT_INSTANTS:
                instants[row.local_at] = at
        yield (n, key, slot, batch.stores[row.store] if row.store else batch.store_id, at,
               row.quantity_milli, row.amount_minor, writing.unit_price_minor(row),
               writing.points(batch, row.amount_minor) if ids else 0, digest)
        read += 1
        if progress is not None and read == batch_rows:
            progress(read)
            read = 0
    if progress is not None and read:
        progress(read)


def _members(conn: Connection, batch: writing.Batch, identities: list[Ids]) -> None:
    """The member of each identity of the rows left, found or created at once."""
    wanted = staged.slots(conn)
    member_ids = batch.people.resolve(conn, [(identities[s], NewMember()) for s in wanted])
    matched = batch.people.matched
    staged.set_members(conn, ((slot, member_id, member_id not in matched)
                              for slot, member_id in zip(wanted, member_ids, strict=True)))


def _aggregates(conn: Connection, batch: writing.Batch) -> None:
    zone = batch.zone.key
    staged.add_spend(conn, batch.tenant_id, zone)
    buyers.refresh_set(conn, batch.tenant_id,
                       members="SELECT DISTINCT member_id FROM import_members WHERE NOT fresh",
                       fresh=staged.FRESH_SOLD,
                       came="SELECT receipt_id FROM import_rows")
    for sold in staged.day_sales(conn, zone):
        day_totals.add_sales(conn, batch.tenant_id, zone=batch.zone, day=sold.day,
                             terminal_id=batch.till_id, store_id=sold.store_id,
                             known=sold.known, sales=SalesTotals(
                                 receipts=sold.receipts, revenue_minor=sold.revenue_minor,
                                 items_milli=sold.items_milli))
