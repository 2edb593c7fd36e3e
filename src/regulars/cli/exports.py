"""``regulars export members|receipts|ledger``: a business's data as CSV or XLSX."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from regulars.errors import RegularsError
from regulars.services.analytics.exports import ExportFormat, ExportKind, chunks
from regulars.services.runtime import open_existing_runtime


def export(
    what: Annotated[ExportKind, typer.Argument(
        help="members, receipts (one row per line) or ledger (entries)")],
    tenant: Annotated[int, typer.Option("--tenant", min=1, help="the business's id")],
    out: Annotated[Path, typer.Option(dir_okay=False, help="the file to write")],
    format: Annotated[ExportFormat, typer.Option(  # noqa: A002
        "--format", help="csv (UTF-8) or xlsx")] = ExportFormat.CSV,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="REGULARS_DATABASE_URL")] = None,
) -> None:
    """Write members, receipts or ledger entries to a file, streamed (amounts in minor units,
    times in UTC). The file appears whole or not at all."""
    from regulars.cli.main import _message, _settings, console, fail

    partial = out.with_name(out.name + ".part")
    try:
        with open_existing_runtime(_settings(database_url)) as rt, partial.open("wb") as file:
            for piece in chunks(rt, tenant, what, format):
                file.write(piece)
    except RegularsError as exc:
        partial.unlink(missing_ok=True)
        raise fail(_message(exc)) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    console.print(f"{what.value} written to {out}")
