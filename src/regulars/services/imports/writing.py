"""Writing checked import rows in batches, in one unit of work: members found or created,
receipts inserted with their line and their spend per day, points earned on request."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.imports import history
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.domain.imports.fields import Kind
from regulars.domain.imports.rows import MemberImportRow, ReceiptRow
from regulars.domain.money import divide
from regulars.domain.program.program import EarnMode, Program
from regulars.errors import InvalidInput
from regulars.services.imports.people import Directory, Ids, NewMember
from regulars.services.program import programs
from regulars.services.runtime import Runtime

BASIS_POINTS = 10_000
Row = tuple[tuple[ReceiptRow | MemberImportRow, Ids], str]


@dataclass(frozen=True, kw_only=True)
class Written:
    imported: int
    already: int
    members_created: int
    members_matched: int
    amount_minor: int
    points_earned: int


def store_codes(rt: Runtime, tenant_id: int) -> set[str]:
    with rt.db.read() as conn:
        return set(history.store_ids(conn, tenant_id))


def check_store(rt: Runtime, tenant_id: int, code: str | None) -> None:
    """Raises :class:`InvalidInput` (field ``store``) for an unknown store code."""
    codes = store_codes(rt, tenant_id)
    if code is not None and code not in codes:
        raise InvalidInput("no store with the code %(code)s", field="store",
                           params={"code": code})


@dataclass
class Batch:
    """What one import writes with, and its running totals."""

    tenant_id: int
    zone: ZoneInfo
    now: datetime
    stores: dict[str, int]
    store_id: int
    till_id: int
    version: int
    program: Program
    earn: bool
    people: Directory
    imported: int = 0
    already: int = 0
    amount_minor: int = 0
    points_earned: int = 0


def start(conn: Connection, tenant_id: int, *, zone: ZoneInfo, now: datetime,
          store: str | None, earn: bool) -> Batch:
    """What an import writes with: the stores (a store for history made if there is none),
    the till for imported receipts, the current program."""
    stores = history.store_ids(conn, tenant_id) or {
        history.IMPORT_STORE_CODE: history.add_history_store(conn, tenant_id, now=now)}
    store_id = stores[store] if store else next(iter(stores.values()))
    version, program = programs.load_current(conn, tenant_id)
    return Batch(tenant_id=tenant_id, zone=zone, now=now, stores=stores, store_id=store_id,
                  till_id=history.import_till(conn, tenant_id, store_id=store_id, now=now),
                  version=version, program=program, earn=earn,
                  people=Directory(tenant_id=tenant_id, store_id=store_id, now=now))


def write(rt: Runtime, tenant_id: int, rows: Iterable[Row], *, kind: Kind, zone: ZoneInfo,
          store: str | None, earn: bool, batch_rows: int,
          progress: Callable[[int], None] | None,
          before_commit: Callable[[Connection, Written], None]) -> Written:
    """Write ``rows`` in batches of ``batch_rows`` in one unit of work, calling
    ``before_commit`` last with the unit's connection and what was written (whatever it
    raises rolls everything back)."""
    now = rt.now()
    with rt.db.write() as conn:
        batch = start(conn, tenant_id, zone=zone, now=now, store=store, earn=earn)
        for chunk in _chunks(iter(rows), batch_rows):
            if kind is Kind.RECEIPTS:
                _receipts(conn, batch, chunk)
            else:
                _members(conn, batch, chunk)
            if progress is not None:
                progress(len(chunk))
        people = batch.people
        written = Written(
            imported=batch.imported if kind is Kind.RECEIPTS else people.created,
            already=batch.already if kind is Kind.RECEIPTS else len(people.matched),
            members_created=people.created, members_matched=len(people.matched),
            amount_minor=batch.amount_minor, points_earned=batch.points_earned)
        before_commit(conn, written)
    return written


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _members(conn: Connection, batch: Batch, chunk: list[Row]) -> None:
    wanted = []
    for (row, ids), _ in chunk:
        assert isinstance(row, MemberImportRow)
        wanted.append((ids, NewMember(first_name=row.first_name or None,
                                      last_name=row.last_name or None,
                                      email=row.email or None, birthday=row.birthday)))
    batch.people.resolve(conn, wanted)


def _receipts(conn: Connection, batch: Batch, chunk: list[Row]) -> None:
    present = history.receipts_present(conn, batch.tenant_id, batch.till_id,
                                       [key for _, key in chunk])
    fresh = [(row, ids, key) for (row, ids), key in chunk if key not in present]
    batch.already += len(chunk) - len(fresh)
    with_member = [(ids, NewMember()) for _, ids, _ in fresh if ids]
    member_ids = iter(batch.people.resolve(conn, with_member))
    rows, lines, days = [], [], []
    for row, ids, key in fresh:
        assert isinstance(row, ReceiptRow)
        member_id = next(member_ids) if ids else None
        at = row.local_at.replace(tzinfo=batch.zone).astimezone(UTC)
        earned = points(batch, row.amount_minor) if member_id is not None else 0
        rows.append(_receipt_values(batch, row, key, member_id=member_id, at=at,
                                    points=earned))
        lines.append(_line_values(row, earned))
        days.append(at.astimezone(batch.zone).date())
    receipt_ids = history.insert_receipts(conn, rows, lines, days)
    batch.imported += len(rows)
    batch.amount_minor += sum(r["paid_minor"] for r in rows)
    for values, receipt_id in zip(rows, receipt_ids, strict=True):
        if values["points_earned"] > 0:
            earn_points(conn, batch, values, receipt_id)


def points(batch: Batch, paid_minor: int) -> int:
    program = batch.program
    if not batch.earn or program.earn_mode is not EarnMode.POINTS:
        return 0
    rate_bp = program.level_for_spend(0).rate_bp
    return divide(paid_minor * rate_bp, BASIS_POINTS * program.point_value_minor,
                  program.rounding)


def _receipt_values(batch: Batch, row: ReceiptRow, key: str, *, member_id: int | None,
                    at: datetime, points: int) -> dict[str, Any]:
    return {
        "tenant_id": batch.tenant_id, "terminal_id": batch.till_id,
        "store_id": batch.stores[row.store] if row.store else batch.store_id,
        "staff_id": None, "receipt_no": key, "member_id": member_id, "status": "committed",
        "program_version": batch.version, "gross_minor": row.amount_minor,
        "discount_minor": 0, "points_spent": 0, "points_discount_minor": 0,
        "paid_minor": row.amount_minor, "points_earned": points,
        "request_hash": row.digest(), "response": {"imported": True},
        "occurred_at": at, "recorded_at": batch.now}


def unit_price_minor(row: ReceiptRow) -> int:
    """The price of one whole unit of the row's line (its amount below one unit)."""
    units = row.quantity_milli // 1000
    return row.amount_minor // units if units > 0 else row.amount_minor


def _line_values(row: ReceiptRow, points: int) -> dict[str, Any]:
    return {"line_no": 1, "sku": "imported", "name": "Imported purchase",
            "category": "imported", "quantity_milli": row.quantity_milli,
            "unit_price_minor": unit_price_minor(row),
            "gross_minor": row.amount_minor, "discount_minor": 0, "points_spent": 0,
            "paid_minor": row.amount_minor, "points_earned": points}


def earn_points(conn: Connection, batch: Batch, values: dict[str, Any], receipt_id: int
                ) -> None:
    member_id = values["member_id"]
    at = values["occurred_at"]
    account = ledger_ops.account_state(conn, batch.tenant_id, member_id)
    ctx = EntryContext(tenant_id=batch.tenant_id, member_id=member_id, receipt_id=receipt_id,
                       terminal_id=batch.till_id, store_id=values["store_id"],
                       program_version=batch.version, occurred_at=at, recorded_at=batch.now)
    available_at, expires_at = batch.program.lot_dates(at)
    ledger_ops.earn(conn, ctx, key=f"receipt:{receipt_id}:earn", account_id=account.id,
                    amount=values["points_earned"], available_at=available_at,
                    expires_at=expires_at, memo={"why": [], "imported": True})
    batch.points_earned += values["points_earned"]
