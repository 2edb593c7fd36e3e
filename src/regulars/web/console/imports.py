"""Console pages: bring history in and take the business's data out (owners).

Import in three steps, as a person does it with a spreadsheet: upload a file of receipts or
members (CSV with any delimiter, UTF-8 or Windows-1251, XLSX, or a whitespace-separated text
file such as CDNOW's); see how its first rows read, with the field each column is read as and
the problems each row would be refused for, and change the mapping; import. A file with a bad
row is refused whole, each bad row listed with its number, column and reason, unless the owner
asks to import the rest: the rejected rows can then be downloaded, to fix and import again.
The same rows imported twice add nothing.

Export: members, receipts (one row per line) and ledger entries as CSV or XLSX, streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from regulars.domain.imports.fields import FIELDS, IGNORE, NO_COLUMN, Kind
from regulars.domain.imports.rows import Problem
from regulars.errors import InvalidInput, InvalidRows, RegularsError
from regulars.services.analytics import exports
from regulars.services.analytics.exports import ExportFormat, ExportKind
from regulars.services.imports import staging
from regulars.services.imports.files import PRESETS
from regulars.services.imports.imports import ImportRequest
from regulars.services.imports.uploads import Preview
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import list_stores
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.home import csv_response
from regulars.web.console.pagekit import file_response, form_errors, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

SETUP = [needs(Permission.SETUP)]
MAX_SHOWN_PROBLEMS = 200


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _kind(raw: str) -> Kind:
    return Kind.MEMBERS if raw == Kind.MEMBERS.value else Kind.RECEIPTS


def _preset(raw: str) -> str | None:
    return raw if raw in PRESETS else None


@router.get("/data", dependencies=SETUP)
def data_page(request: Request, reader: StaffReader) -> Response:
    return _start_page(request, reader)


def _start_page(request: Request, reader: Reader, *, errors: dict[str, str] | None = None,
                kind: str = "receipts", preset: str = "", status_code: int = 200) -> Response:
    return render(request, "console/data.html", reader, status_code=status_code,
                  errors=errors or {}, kind=kind, preset=preset, presets=sorted(PRESETS),
                  kinds=[k.value for k in Kind], exports=[k.value for k in ExportKind],
                  formats=[f.value for f in ExportFormat])


@router.post("/imports", dependencies=SETUP)
async def upload(request: Request, runtime: RuntimeDep, reader: StaffReader,
                 form: Form) -> Response:
    kind, preset = _kind(text(form, "kind", 20)), text(form, "preset", 20)
    chosen = form.get("file")
    try:
        if not isinstance(chosen, UploadFile) or not chosen.filename:
            raise InvalidInput("choose a file to import", field="file")
        try:
            kept = staging.stage(runtime, _tenant(reader), chosen.file,
                                 file_name=chosen.filename)
        finally:
            await chosen.close()
    except RegularsError as exc:
        return _start_page(request, reader, errors=form_errors(exc, reader), kind=kind.value,
                           preset=preset, status_code=422 if exc.status == 422 else exc.status)
    query = f"kind={kind.value}" + (f"&preset={preset}" if _preset(preset) else "")
    return RedirectResponse(f"/console/imports/{kept.token}?{query}", status_code=303)


def _mapping(form: FormData, names: list[str], kind: Kind) -> dict[str, str]:
    """The form's ``map-<i>`` choices as the import takes them: the i-th column's name →
    its field (``-``: ignore the column); choices that are not a field of ``kind`` are left
    out."""
    chosen = {i: text(form, f"map-{i}", 40) for i in range(len(names))}
    return {names[i]: f for i, f in chosen.items() if f == IGNORE or f in FIELDS[kind]}


def _request(runtime: Runtime, reader: Reader, token: str, *, kind: Kind, preset: str | None,
             form: FormData | None = None) -> tuple[Preview, ImportRequest]:
    """The preview as the file reads with the columns mapped as the form chose (as the file
    names them, when no form), and the import that makes."""
    req = ImportRequest(kind=kind, path=Path(), preset=preset)
    if form is not None:
        names = list(staging.header(runtime, _tenant(reader), token, preset))
        req = replace(req, mapping=_mapping(form, names, kind),
                      store=text(form, "store", 40) or None, earn=bool(form.get("earn")),
                      skip_invalid=bool(form.get("skip_invalid")))
    return staging.preview(runtime, _tenant(reader), token, req), req


def _reason(reader: Reader, problem: Problem) -> str:
    """A row's problem in the reader's language (in English when it came with no template)."""
    if not problem.template:
        return problem.reason
    return reader.gettext(problem.template, **problem.params)


def _mapping_problem(reader: Reader, shown: Preview) -> str | None:
    """Why the mapping cannot be used yet, in the reader's language; a required field with
    no column points to the column choices of the page (the CLI names ``--map`` instead)."""
    if shown.mapping_problem_template is None:
        return shown.mapping_problem
    said = reader.gettext(shown.mapping_problem_template, **shown.mapping_problem_params)
    if shown.mapping_problem_template == NO_COLUMN:
        said += " " + reader.gettext("Choose it for one of the columns in the “read as” row "
                                     "of the table below.")
    return said


@router.get("/imports/{token}", dependencies=SETUP)
def preview_page(request: Request, runtime: RuntimeDep, reader: StaffReader, token: str,
                 kind: str = "receipts", preset: str = "") -> Response:
    shown, _ = _request(runtime, reader, token[:40], kind=_kind(kind), preset=_preset(preset))
    return _preview_page(request, runtime, reader, token[:40], shown, preset=preset)


def _preview_page(request: Request, runtime: Runtime, reader: Reader, token: str,
                  shown: Preview, *, preset: str, values: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None,
                  problems: list[tuple[int, str, str]] | None = None, total_problems: int = 0,
                  status_code: int = 200) -> Response:
    kept = staging.staged(runtime, _tenant(reader), token)
    return render(request, "console/imports_preview.html", reader, status_code=status_code,
                  kept=kept, shown=shown, preset=_preset(preset) or "",
                  mapping_problem=_mapping_problem(reader, shown),
                  reason=lambda p: _reason(reader, p),
                  stores=list_stores(runtime, _tenant(reader)), values=values or {},
                  errors=errors or {}, problems=problems or [],
                  total_problems=total_problems, ignore=IGNORE)


@router.post("/imports/{token}", dependencies=SETUP)
def run_import(request: Request, runtime: RuntimeDep, reader: StaffReader, token: str,
               form: Form) -> Response:
    token, kind = token[:40], _kind(text(form, "kind", 20))
    preset = text(form, "preset", 20)
    values = {"store": text(form, "store", 40), "earn": "1" if form.get("earn") else "",
              "skip_invalid": "1" if form.get("skip_invalid") else ""}
    shown, req = _request(runtime, reader, token, kind=kind, preset=_preset(preset), form=form)
    if form.get("action") != "import":
        return _preview_page(request, runtime, reader, token, shown, preset=preset,
                             values=values)
    try:
        done = staging.run(runtime, _tenant(reader), token, req, actor=staff_actor(reader))
    except InvalidRows as exc:
        return _preview_page(
            request, runtime, reader, token, shown, preset=preset, values=values,
            problems=[(r, c, reader.gettext(template, **params)) for (r, c, _), (
                template, params) in zip(exc.problems[:MAX_SHOWN_PROBLEMS], exc.reasons,
                                         strict=False)],
            total_problems=len(exc.problems), status_code=422)
    except RegularsError as exc:
        return _preview_page(request, runtime, reader, token, shown, preset=preset,
                             values=values, errors=form_errors(exc, reader), status_code=422)
    return render(request, "console/imports_done.html", reader, report=done.report,
                  token=token, rejects=bool(done.rejects_csv),
                  problems=[(p.row, p.column, _reason(reader, p))
                            for p in done.report.problems[:MAX_SHOWN_PROBLEMS]])


@router.get("/imports/{token}/rejects.csv", dependencies=SETUP)
def rejects_file(runtime: RuntimeDep, reader: StaffReader, token: str) -> Response:
    return csv_response(staging.rejects(runtime, _tenant(reader), token[:40]), "rejected-rows")


@router.get("/exports/{kind}", dependencies=SETUP)
def export_file(runtime: RuntimeDep, reader: StaffReader, kind: str,
                format: str = "csv") -> Response:  # noqa: A002
    try:
        what, fmt = ExportKind(kind), ExportFormat(format)
    except ValueError as exc:
        raise InvalidInput("no such export", field="kind") from exc
    body: Iterator[bytes] = exports.chunks(runtime, _tenant(reader), what, fmt,
                                           actor=staff_actor(reader))
    return file_response(body, exports.file_name(what, fmt), fmt)
