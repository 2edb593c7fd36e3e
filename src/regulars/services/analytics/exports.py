"""Exports of a tenant's members, receipts (one row per line) and ledger entries as CSV or
XLSX, streamed: rows are read a page at a time (each page its own read) and written as they
come, so no export is ever held whole in memory.

CSV is UTF-8 with a byte-order mark (so that spreadsheet programs read Cyrillic right),
comma-separated, times in ISO 8601 UTC. XLSX is written by XlsxWriter in its constant-memory
mode to a temporary file, which is then streamed and removed. Amounts stay integers in minor
units and points, as the ledger keeps them.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from regulars.db.analytics import exports as reads
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

PAGE_ROWS = 5000
_CHUNK_BYTES = 1 << 16


class ExportKind(StrEnum):
    MEMBERS = "members"
    RECEIPTS = "receipts"
    LEDGER = "ledger"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Page = Callable[..., list[Sequence[Any]]]
_SOURCES: dict[ExportKind, tuple[tuple[str, ...], Page]] = {
    ExportKind.MEMBERS: (reads.MEMBER_COLUMNS, reads.member_page),
    ExportKind.RECEIPTS: (reads.RECEIPT_COLUMNS, reads.receipt_page),
    ExportKind.LEDGER: (reads.LEDGER_COLUMNS, reads.ledger_page),
}


def file_name(kind: ExportKind, fmt: ExportFormat) -> str:
    return f"{kind.value}.{fmt.value}"


def columns(kind: ExportKind) -> tuple[str, ...]:
    return _SOURCES[kind][0]


def rows(rt: Runtime, tenant_id: int, kind: ExportKind, *, page_rows: int = PAGE_ROWS
         ) -> Iterator[Sequence[Any]]:
    """Every row of the export in id order (raises :class:`NotFound` for an unknown tenant
    before the first row)."""
    get_tenant(rt, tenant_id)
    page = _SOURCES[kind][1]
    return _paged(rt, tenant_id, page, page_rows)


def _paged(rt: Runtime, tenant_id: int, page: Page, page_rows: int
           ) -> Iterator[Sequence[Any]]:
    after = 0
    while True:
        conn: Connection
        with rt.db.read() as conn:
            found = page(conn, tenant_id, after_id=after, limit=page_rows)
        if not found:
            return
        yield from found
        after = int(found[-1][0])


def chunks(rt: Runtime, tenant_id: int, kind: ExportKind, fmt: ExportFormat, *,
           actor: audit.Actor) -> Iterator[bytes]:
    """The export file's bytes, a piece at a time (raises :class:`NotFound` for an unknown
    tenant before the first piece). The export is on the audit trail, recorded before the
    first piece is read."""
    get_tenant(rt, tenant_id)
    with rt.db.write() as conn:
        audit.record(conn, tenant_id, actor, f"export.{kind.value}", f"{kind.value} export",
                     at=rt.now(), format=fmt.value)
    found = rows(rt, tenant_id, kind)
    if fmt is ExportFormat.CSV:
        return _csv(columns(kind), found)
    return _xlsx(kind.value, columns(kind), found)


def table_chunks(sheet_name: str, header: Sequence[str], found: Iterator[Sequence[Any]],
                 fmt: ExportFormat, *, bom: bool = True) -> Iterator[bytes]:
    """Any table (a report's rows) as CSV or XLSX pieces, written as the exports are
    (``bom``: a CSV file starts with the byte-order mark spreadsheets look for)."""
    if fmt is ExportFormat.XLSX:
        return _xlsx(sheet_name, header, found)
    return _csv(header, found, bom=bom)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def _csv(header: Sequence[str], found: Iterator[Sequence[Any]], *, bom: bool = True
         ) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow(header)
    for row in found:
        writer.writerow([_csv_cell(v) for v in row])
        if buffer.tell() > _CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx(sheet_name: str, header: Sequence[str], found: Iterator[Sequence[Any]]
          ) -> Iterator[bytes]:
    import xlsxwriter

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True,
                                              "remove_timezone": True})
        sheet = workbook.add_worksheet(sheet_name)
        bold = workbook.add_format({"bold": True})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, header, bold)
        for r, row in enumerate(found, start=1):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, moment)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, value, day)
                elif value is not None:
                    sheet.write(r, c, value)
        workbook.close()
        with open(path, "rb") as done:
            while piece := done.read(_CHUNK_BYTES):
                yield piece
    finally:
        os.remove(path)
