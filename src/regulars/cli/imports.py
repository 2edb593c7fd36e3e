"""``regulars import receipts|members FILE``: bring a business's history in."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from regulars.domain.imports.fields import NO_COLUMN, Kind
from regulars.errors import InvalidRows, RegularsError
from regulars.services.audit import audit
from regulars.services.imports.imports import ImportReport, ImportRequest, import_file, reject_rows
from regulars.services.runtime import open_runtime

import_app = typer.Typer(help="Import receipts or members from CSV, XLSX or text files.",
                         no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(
    exists=True, dir_okay=False, readable=True,
    help="CSV (any delimiter, UTF-8 or Windows-1251), XLSX, or whitespace-separated text")]
TenantOpt = Annotated[int, typer.Option("--tenant", min=1, help="the business's id")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", help="column=field (repeatable): read a column as a field, or column=- to "
    "ignore it. Fields: external_id, phone, card, date, amount, quantity, receipt, store "
    "(receipts); external_id, phone, card, first_name, last_name, email, birthday (members)")]
PresetOpt = Annotated[str | None, typer.Option(
    help="a known header-less layout: cdnow (customer date quantity amount)")]
SkipOpt = Annotated[bool, typer.Option(
    "--skip-invalid", help="import the good rows and write the bad ones to --rejects")]
RejectsOpt = Annotated[Path | None, typer.Option(
    help="where --skip-invalid writes the rejected rows (default: FILE.rejects.csv)")]


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise typer.BadParameter(f"{pair!r} is not column=field", param_hint="--map")
        mapping[column.strip()] = field.strip()
    return mapping


@import_app.command("receipts")
def import_receipts(
    file: FileArg, tenant: TenantOpt, preset: PresetOpt = None, map: MapOpt = None,  # noqa: A002
    store: Annotated[str | None, typer.Option(
        help="the code of the store receipts without a store column belong to "
             "(default: the first store)")] = None,
    earn: Annotated[bool, typer.Option(
        "--earn", help="credit the points the program gives (at the entry level's rate); "
                       "without it imported receipts earn nothing")] = False,
    skip_invalid: SkipOpt = False, rejects: RejectsOpt = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="REGULARS_DATABASE_URL")] = None,
) -> None:
    """Import past receipts: members are matched (or created) by customer id, phone or card;
    the receipts count in reports and towards levels. Importing the same rows again adds
    nothing. A file with bad rows is refused whole (exit 2) unless --skip-invalid."""
    req = ImportRequest(kind=Kind.RECEIPTS, path=file, preset=preset,
                        mapping=_mapping(map), store=store, earn=earn,
                        skip_invalid=skip_invalid)
    _run(req, tenant, database_url, rejects)


@import_app.command("members")
def import_members(
    file: FileArg, tenant: TenantOpt, preset: PresetOpt = None, map: MapOpt = None,  # noqa: A002
    skip_invalid: SkipOpt = False, rejects: RejectsOpt = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="REGULARS_DATABASE_URL")] = None,
) -> None:
    """Import customers: each row is matched to a member by customer id, phone or card, or
    becomes a new member (existing members are left as they are)."""
    req = ImportRequest(kind=Kind.MEMBERS, path=file, preset=preset, mapping=_mapping(map),
                        skip_invalid=skip_invalid)
    _run(req, tenant, database_url, rejects)


def _run(req: ImportRequest, tenant: int, database_url: str | None,
         rejects: Path | None) -> None:
    from regulars.cli.main import _message, _settings, console, err, fail, progress_bar

    with open_runtime(_settings(database_url), migrate=True) as rt, progress_bar() as bar:
        task = bar.add_task(f"importing {req.kind.value}", total=None)
        try:
            report = import_file(rt, tenant, req,
                                 expect=lambda n: bar.update(task, total=n),
                                 progress=lambda n: bar.advance(task, n), actor=audit.SYSTEM)
        except InvalidRows as exc:
            bar.stop()
            for row, column, reason in exc.problems:
                err.print(f"row {row}, column {escape(column)}: {escape(reason)}",
                          soft_wrap=True)
            raise fail(f"{exc.detail} (--skip-invalid imports the rest)") from exc
        except RegularsError as exc:
            bar.stop()
            hint = "; name one with --map column=field" if exc.template == NO_COLUMN else ""
            raise fail(_message(exc) + hint) from exc
    _print_report(report, console)
    if report.rejected:
        out = rejects or req.path.with_name(req.path.name + ".rejects.csv")
        with out.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(reject_rows(req.path, req, report.problems))
        console.print(f"{report.rejected} rejected rows written to {out}")


def _print_report(report: ImportReport, console: object) -> None:
    from rich.console import Console

    assert isinstance(console, Console)
    if report.kind == Kind.RECEIPTS.value:
        console.print(
            f"imported {report.imported} receipts of {report.rows} rows "
            f"({report.already} imported before, {report.rejected} rejected); "
            f"members: {report.members_created} new, {report.members_matched} matched; "
            f"amount {report.amount_minor} minor units; {report.points_earned} points earned")
    else:
        console.print(f"imported {report.imported} new members of {report.rows} rows "
                      f"({report.already} matched existing members, {report.rejected} "
                      "rejected)")
