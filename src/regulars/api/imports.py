"""``/v1/admin/imports`` and ``/v1/admin/exports``: a business's history in (receipts and
members from CSV, XLSX or text files, with a preview of the mapping first) and its data out
(members, receipts with lines, ledger entries as CSV or XLSX, streamed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import Field

from regulars import errors
from regulars.api.deps import Owner, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Out, examples
from regulars.domain.imports.fields import Kind
from regulars.services.analytics import exports
from regulars.services.analytics.exports import ExportFormat, ExportKind
from regulars.services.audit import audit
from regulars.services.imports import uploads
from regulars.services.imports.imports import ImportRequest

router = APIRouter(prefix="/v1/admin", tags=["imports and exports"])
MAX_SHOWN_PROBLEMS = 1000


class ProblemOut(Out):
    row: int
    column: str
    reason: str


class PreviewColumnOut(Out):
    name: str
    field: str | None


class PreviewRowOut(Out):
    row: int
    cells: list[str]
    problems: list[ProblemOut]


class ImportPreviewOut(Out):
    """How the file reads: its columns and the field each maps to, its first rows with the
    problems each would be refused for, and whether the mapping is complete."""

    model_config = examples({
        "kind": "receipts", "format": "text", "encoding": "utf-8-sig", "delimiter": ";",
        "columns": [{"name": "Клиент", "field": "external_id"},
                    {"name": "Дата", "field": "date"}, {"name": "Сумма", "field": "amount"}],
        "fields": ["external_id", "phone", "card", "date", "amount", "quantity", "receipt",
                   "store"],
        "mapping_problem": None,
        "rows": [{"row": 2, "cells": ["A-1", "01.03.2025", "1 234,50"], "problems": []}]})

    kind: str
    format: str
    encoding: str | None
    delimiter: str | None
    columns: list[PreviewColumnOut]
    fields: list[str]
    mapping_problem: str | None
    rows: list[PreviewRowOut]


class ImportOut(Out):
    """What an import did. ``already``: rows imported before, not again; ``rejects_csv``:
    with ``skip_invalid``, the rejected rows as the file had them, each with its problems."""

    model_config = examples({
        "kind": "receipts", "rows": 3, "imported": 2, "already": 0, "rejected": 1,
        "members_created": 2, "members_matched": 0, "amount_minor": 133440,
        "points_earned": 0,
        "problems": [{"row": 4, "column": "Сумма", "reason": "not a number: 'abc'"}],
        "rejects_csv": "row,Клиент,Дата,Сумма,problem\r\n4,A-3,02.03.2025,abc,"
                       "Сумма: not a number: 'abc'\r\n"})

    kind: str
    rows: int
    imported: int
    already: int
    rejected: int
    members_created: int
    members_matched: int
    amount_minor: int
    points_earned: int
    problems: list[ProblemOut] = Field(description=f"at most {MAX_SHOWN_PROBLEMS}")
    rejects_csv: str


MapForm = Annotated[list[str], Form(
    description="column=field, one per value: read the column as the field (``-``: "
                "ignore it); the header's names are used for the rest")]
PresetForm = Annotated[str | None, Form(description="``cdnow``: customer date quantity "
                                                    "amount, whitespace-separated")]
UploadForm = Annotated[UploadFile, File(description="CSV (any delimiter, UTF-8 or "
                                                    "Windows-1251), XLSX or text")]


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise errors.InvalidInput("%(pair)s is not column=field", field="map",
                                      params={"pair": repr(pair[:100])})
        mapping[column.strip()] = field.strip()
    return mapping


def _request(kind: Kind, mapping: list[str], preset: str | None, *, store: str | None = None,
             earn: bool = False, skip_invalid: bool = False) -> ImportRequest:
    from pathlib import Path

    return ImportRequest(kind=kind, path=Path(), preset=preset or None,
                         mapping=_mapping(mapping), store=store or None, earn=earn,
                         skip_invalid=skip_invalid)


@router.post("/imports/{kind}/preview", responses=responses(errors.InvalidInput,
                                                            errors.PayloadTooLarge))
def preview_import(kind: Kind, file: UploadForm, owner: Owner, rt: RuntimeDep,
                   map: MapForm = [],  # noqa: A002, B006
                   preset: PresetForm = None) -> ImportPreviewOut:
    """The first rows of an uploaded file as they would import; nothing is written."""
    found = uploads.preview(rt, owner.tenant_id, _request(kind, map, preset), file.file)
    return ImportPreviewOut.model_validate(found)


@router.post("/imports/{kind}", responses=responses(errors.InvalidInput,
                                                    errors.PayloadTooLarge))
def run_import(kind: Kind, file: UploadForm, owner: Owner, rt: RuntimeDep,
               map: MapForm = [],  # noqa: A002, B006
               preset: PresetForm = None,
               store: Annotated[str | None, Form(
                   description="receipts: the store code of rows without a store column")]
               = None,
               earn: Annotated[bool, Form(description="receipts: credit points")] = False,
               skip_invalid: Annotated[bool, Form(
                   description="import the good rows, report the bad ones")] = False,
               ) -> ImportOut:
    """Import an uploaded file of receipts or members, whole or (with a bad row and without
    ``skip_invalid``) not at all: 422 ``invalid_rows``, whose ``rows`` list each bad row's
    number, column and reason. The same rows imported again add nothing."""
    req = _request(kind, map, preset, store=store, earn=earn, skip_invalid=skip_invalid)
    done = uploads.import_upload(rt, owner.tenant_id, req, file.file,
                                 actor=audit.key(owner.key_id))
    report = done.report
    return ImportOut(
        kind=report.kind, rows=report.rows, imported=report.imported, already=report.already,
        rejected=report.rejected, members_created=report.members_created,
        members_matched=report.members_matched, amount_minor=report.amount_minor,
        points_earned=report.points_earned,
        problems=[ProblemOut.model_validate(p) for p in report.problems[:MAX_SHOWN_PROBLEMS]],
        rejects_csv=done.rejects_csv)


_FILE_CONTENT = {media: {"schema": {"type": "string", "format": "binary"}}
                 for media in exports.MEDIA_TYPES.values()}


@router.get("/exports/{kind}", response_class=StreamingResponse, responses={
    200: {"description": "the file, streamed", "content": _FILE_CONTENT},
    **responses(errors.InvalidInput)})
def export(kind: ExportKind, owner: Owner, rt: RuntimeDep,
           format: ExportFormat = ExportFormat.CSV) -> StreamingResponse:  # noqa: A002
    """Members, receipts (one row per line) or ledger entries as CSV (UTF-8) or XLSX,
    streamed; amounts in minor units and points, times in UTC."""
    body = exports.chunks(rt, owner.tenant_id, kind, format, actor=audit.key(owner.key_id))
    name = exports.file_name(kind, format)
    return StreamingResponse(body, media_type=exports.MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
