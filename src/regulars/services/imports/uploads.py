"""Imports of uploaded files (API and console): the upload kept in a temporary file for
the length of the call (the console keeps it longer: :mod:`.staging`), a preview of its first
rows with the mapping as it stands, and the import itself with the rejects as CSV text."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from regulars.domain.imports.fields import FIELDS, Kind, guess_fields, map_columns
from regulars.domain.imports.rows import Problem, member_row, receipt_row
from regulars.errors import InvalidInput
from regulars.services.audit import audit
from regulars.services.imports import files, writing
from regulars.services.imports.imports import (
    ImportReport,
    ImportRequest,
    import_file,
    reject_rows,
    unknown_store,
)
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant, minor_digits

PREVIEW_ROWS = 10


@contextmanager
def saved(upload: BinaryIO, *, suffix: str = "") -> Iterator[Path]:
    """``upload`` copied to a temporary file, removed afterwards."""
    handle, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(upload, out, 1 << 20)
        yield Path(name)
    finally:
        os.remove(name)


@dataclass(frozen=True, kw_only=True)
class PreviewColumn:
    name: str
    field: str | None


@dataclass(frozen=True, kw_only=True)
class PreviewRow:
    row: int
    cells: tuple[str, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True, kw_only=True)
class Preview:
    kind: str
    format: str
    encoding: str | None
    delimiter: str | None
    columns: tuple[PreviewColumn, ...]
    fields: tuple[str, ...]
    """Every field this kind of import takes."""
    mapping_problem: str | None
    """Why the mapping cannot be used yet (a required field with no column...), or None."""
    rows: tuple[PreviewRow, ...]
    mapping_problem_template: str | None = None
    """:attr:`mapping_problem` as a template filled from ``mapping_problem_params``, for a
    page to translate (:data:`~regulars.domain.imports.fields.NO_COLUMN`: a required field
    has no column)."""
    mapping_problem_params: Mapping[str, object] = field(default_factory=dict)


def preview(rt: Runtime, tenant_id: int, req: ImportRequest, upload: BinaryIO) -> Preview:
    """:func:`preview_path` over an upload."""
    with saved(upload) as path:
        return preview_path(rt, tenant_id, req, path)


def preview_path(rt: Runtime, tenant_id: int, req: ImportRequest, path: Path) -> Preview:
    """The file's columns with the field each maps to and its first rows, each with its
    problems (checked as the import would, but for members' identifiers). Raises
    :class:`InvalidInput` for a file or preset that cannot be read."""
    tenant = get_tenant(rt, tenant_id)
    table = files.open_table(path, preset=req.preset)
    guessed = guess_fields(table.header, req.kind, overrides=req.mapping)
    refused, mapping = None, None
    try:
        mapping = map_columns(table.header, req.kind, overrides=req.mapping)
    except InvalidInput as exc:
        refused = exc
    stores = writing.store_codes(rt, tenant_id) if req.kind is Kind.RECEIPTS else set()
    shown: list[PreviewRow] = []
    for number, values in table.rows():
        if len(shown) >= PREVIEW_ROWS:
            break
        found: object = ()
        if mapping is not None and req.kind is Kind.RECEIPTS:
            found = receipt_row(number, values, mapping, table.header,
                                exponent=minor_digits(tenant.currency))
            if not isinstance(found, list):
                header = {f: table.header[i] for f, i in mapping.columns.items()}
                unknown = unknown_store(found, header, stores)
                found = [unknown] if unknown is not None else ()
        elif mapping is not None:
            found = member_row(number, values, mapping, table.header)
        shown.append(PreviewRow(
            row=number, cells=tuple("" if v is None else str(v)[:100] for v in values),
            problems=tuple(found) if isinstance(found, list) else ()))
    return Preview(kind=req.kind.value, format=table.format, encoding=table.encoding,
                   delimiter=table.delimiter,
                   columns=tuple(PreviewColumn(name=n, field=f)
                                 for n, f in zip(table.header, guessed, strict=True)),
                   fields=FIELDS[req.kind], rows=tuple(shown),
                   mapping_problem=refused.detail if refused else None,
                   mapping_problem_template=refused.template if refused else None,
                   mapping_problem_params=refused.params if refused else {})


@dataclass(frozen=True, kw_only=True)
class UploadReport:
    report: ImportReport
    rejects_csv: str
    """The rejected rows as the file had them, each with its problems ('' when none)."""


def import_upload(rt: Runtime, tenant_id: int, req: ImportRequest, upload: BinaryIO, *,
                  actor: audit.Actor) -> UploadReport:
    """:func:`import_path` over an upload (``req.path`` is ignored)."""
    with saved(upload) as path:
        return import_path(rt, tenant_id, replace(req, path=path), actor=actor)


def import_path(rt: Runtime, tenant_id: int, req: ImportRequest, *, actor: audit.Actor
                ) -> UploadReport:
    """:func:`~regulars.services.imports.imports.import_file` of ``req.path``, on the audit
    trail as ``actor``'s; raises as it does."""
    report = import_file(rt, tenant_id, req, actor=actor)
    text = ""
    if report.rejected:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(reject_rows(req.path, req, report.problems))
        text = buffer.getvalue()
    return UploadReport(report=report, rejects_csv=text)
