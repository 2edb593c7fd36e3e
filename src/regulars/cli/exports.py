"""``regulars export WHAT``: a business's data, or one of its report tables, as CSV or XLSX."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from regulars.api.deps import query_day
from regulars.domain.analytics.ranges import Preset
from regulars.errors import RegularsError
from regulars.services.analytics import tables
from regulars.services.analytics.clv import ClvQuery
from regulars.services.analytics.exports import ExportFormat, ExportKind, chunks, table_chunks
from regulars.services.analytics.figures import Request
from regulars.services.analytics.tables import TableName, TableRequest
from regulars.services.audit import audit
from regulars.services.runtime import Runtime, open_existing_runtime

CHOICES = [k.value for k in ExportKind] + [t.value for t in TableName]


def _pieces(rt: Runtime, tenant: int, what: str, fmt: ExportFormat,
            asked: TableRequest) -> Iterator[bytes]:
    if what in {k.value for k in ExportKind}:
        return chunks(rt, tenant, ExportKind(what), fmt, actor=audit.SYSTEM)
    found = tables.table(rt, tenant, TableName(what), asked)
    return table_chunks(found.name, found.header, iter(found.rows), fmt, bom=False)


def export(
    what: Annotated[str, typer.Argument(
        help="members, receipts (one row per line), ledger (entries), or a report table: "
             f"{', '.join(t.value for t in TableName)}")],
    tenant: Annotated[int, typer.Option("--tenant", min=1, help="the business's id")],
    out: Annotated[Path, typer.Option(dir_okay=False, help="the file to write")],
    format: Annotated[ExportFormat, typer.Option(  # noqa: A002
        "--format", help="csv (UTF-8) or xlsx")] = ExportFormat.CSV,
    range_: Annotated[Preset, typer.Option(
        "--range", help="a report table's period, in the business's local days")]
    = Preset.LAST_30_DAYS,
    first_day: Annotated[str | None, typer.Option(
        "--from", help="with --range custom: the first day, YYYY-MM-DD")] = None,
    last_day: Annotated[str | None, typer.Option(
        "--to", help="with --range custom: the last day, YYYY-MM-DD")] = None,
    calibration_end: Annotated[str | None, typer.Option(
        "--calibration-end", help="clv: the last day the models learn from, YYYY-MM-DD "
                                  "(default: yesterday)")] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="REGULARS_DATABASE_URL")] = None,
) -> None:
    """Write members, receipts, ledger entries or a report table to a file, streamed
    (amounts in minor units, times in UTC, report days local). The file appears whole or not
    at all."""
    from regulars.cli.main import _message, _settings, console, fail

    if what not in CHOICES:
        raise fail(f"cannot export {what!r}: choose one of {', '.join(CHOICES)}")
    partial = out.with_name(out.name + ".part")
    try:
        asked = TableRequest(
            period=Request(preset=range_, first_day=query_day(first_day, "--from"),
                           last_day=query_day(last_day, "--to")),
            outlook=ClvQuery(calibration_end=query_day(calibration_end, "--calibration-end")))
        with open_existing_runtime(_settings(database_url)) as rt, partial.open("wb") as file:
            for piece in _pieces(rt, tenant, what, format, asked):
                file.write(piece)
    except RegularsError as exc:
        partial.unlink(missing_ok=True)
        raise fail(_message(exc)) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    console.print(f"{what} written to {out}")

