"""Import files the console keeps between the upload, the preview and the import.

A person uploads a file once, then looks at how it reads, changes the mapping and imports it:
the file waits on the server's disk meanwhile, under a random token, in a directory of its
business's own (``Settings.import_staging_dir``; readable by the server's user only). It is
removed once imported, or a day after it was uploaded (each upload clears its business's
old ones). The rejected rows of an import stay beside it, to download, until then.

A token names a file of one business only: another business's token, a token that is not
one, or a file removed since all answer :class:`NotFound`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from regulars.errors import InvalidInput, NotFound, PayloadTooLarge
from regulars.services.audit import audit
from regulars.services.imports import files
from regulars.services.imports.imports import ImportRequest
from regulars.services.imports.uploads import (
    Preview,
    UploadReport,
    import_path,
    preview_path,
)
from regulars.services.runtime import Runtime

KEPT_FOR = timedelta(days=1)
MAX_NAME_CHARS = 200
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True, kw_only=True)
class Staged:
    token: str
    file_name: str
    size_bytes: int
    staged_at: datetime
    rejects: bool
    """Whether the rejected rows of an import of it are kept to download."""


def _root(rt: Runtime, tenant_id: int) -> Path:
    base = rt.settings.import_staging_dir
    root = Path(base) if base else Path(tempfile.gettempdir()) / "regulars-imports"
    where = root / str(tenant_id)
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    return where


def _paths(rt: Runtime, tenant_id: int, token: str) -> tuple[Path, Path, Path]:
    """The file, its description and its rejects; :class:`NotFound` for a malformed token."""
    if not _TOKEN.fullmatch(token):
        raise NotFound("no such upload")
    where = _root(rt, tenant_id)
    return where / token, where / f"{token}.json", where / f"{token}.rejects.csv"


def stage(rt: Runtime, tenant_id: int, upload: BinaryIO, *, file_name: str) -> Staged:
    """Keep ``upload`` for a later preview and import. Raises :class:`InvalidInput` (field
    ``file``) for an empty file and :class:`PayloadTooLarge` past the import size limit;
    nothing is kept then."""
    _clear_old(rt, tenant_id)
    token = secrets.token_urlsafe(16)
    data, meta, _ = _paths(rt, tenant_id, token)
    kept = Staged(token=token, file_name=Path(file_name).name[:MAX_NAME_CHARS] or "upload",
                  size_bytes=0, staged_at=rt.now(), rejects=False)
    _describe(meta, kept)  # first: a copy cut short is still cleared in a day
    try:
        size = _copy(upload, data, int(rt.settings.max_import_bytes))
        if size == 0:
            raise InvalidInput("choose a file to import", field="file")
    except BaseException:
        discard(rt, tenant_id, token)
        raise
    kept = replace(kept, size_bytes=size)
    _describe(meta, kept)
    return kept


def _copy(upload: BinaryIO, data: Path, limit: int) -> int:
    size = 0
    handle = os.open(data, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        while piece := upload.read(1 << 20):
            size += len(piece)
            if size > limit:
                raise PayloadTooLarge("the file is larger than %(limit)s bytes",
                                      params={"limit": limit})
            out.write(piece)
    return size


def _describe(meta: Path, staged: Staged) -> None:
    meta.write_text(json.dumps({"file_name": staged.file_name, "size_bytes": staged.size_bytes,
                                "staged_at": staged.staged_at.isoformat(),
                                "rejects": staged.rejects}), encoding="utf-8")
    meta.chmod(0o600)


def staged(rt: Runtime, tenant_id: int, token: str) -> Staged:
    """The kept upload ``token`` of this business; :class:`NotFound` when there is none."""
    data, meta, _ = _paths(rt, tenant_id, token)
    try:
        found = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotFound("no such upload") from exc
    return Staged(token=token, file_name=str(found["file_name"]),
                  size_bytes=int(found["size_bytes"]),
                  staged_at=datetime.fromisoformat(found["staged_at"]),
                  rejects=bool(found.get("rejects")))


def _data(rt: Runtime, tenant_id: int, token: str) -> Path:
    """The kept file itself; :class:`NotFound` once it was imported (or never was kept)."""
    staged(rt, tenant_id, token)
    data = _paths(rt, tenant_id, token)[0]
    if not data.is_file():
        raise NotFound("this file was imported already; upload it again to import it again")
    return data


def header(rt: Runtime, tenant_id: int, token: str, preset: str | None) -> tuple[str, ...]:
    """The kept file's column names (a preset's, for a file without a header)."""
    return tuple(files.open_table(_data(rt, tenant_id, token), preset=preset).header)


def preview(rt: Runtime, tenant_id: int, token: str, req: ImportRequest) -> Preview:
    """How the kept file reads under ``req``'s kind, preset and mapping (nothing written)."""
    return preview_path(rt, tenant_id, req, _data(rt, tenant_id, token))


def run(rt: Runtime, tenant_id: int, token: str, req: ImportRequest, *,
        actor: audit.Actor) -> UploadReport:
    """Import the kept file as :func:`~regulars.services.imports.imports.import_file` does
    (raising as it does, the file kept to try again). Once imported, the file is removed;
    its rejected rows, if any, are kept to download (:func:`rejects`) until it expires."""
    data, kept = _data(rt, tenant_id, token), staged(rt, tenant_id, token)
    _, meta, rejects_file = _paths(rt, tenant_id, token)
    done = import_path(rt, tenant_id, replace(req, path=data), actor=actor)
    if done.rejects_csv:
        handle = os.open(rejects_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(done.rejects_csv)
    _describe(meta, replace(kept, rejects=bool(done.rejects_csv)))
    data.unlink(missing_ok=True)
    return done


def rejects(rt: Runtime, tenant_id: int, token: str) -> str:
    """The rejected rows of the kept file's import, as CSV text; :class:`NotFound` if none."""
    if not staged(rt, tenant_id, token).rejects:
        raise NotFound("no rejected rows kept for this upload")
    try:
        return _paths(rt, tenant_id, token)[2].read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFound("no rejected rows kept for this upload") from exc


def discard(rt: Runtime, tenant_id: int, token: str) -> None:
    """Remove the kept file and what was kept beside it (nothing happens for none)."""
    for path in _paths(rt, tenant_id, token):
        path.unlink(missing_ok=True)


def _clear_old(rt: Runtime, tenant_id: int) -> None:
    where = _root(rt, tenant_id)
    oldest = rt.now() - KEPT_FOR
    for meta in where.glob("*.json"):
        token = meta.name.removesuffix(".json")
        try:
            if not _TOKEN.fullmatch(token) or staged(rt, tenant_id, token).staged_at >= oldest:
                continue
        except NotFound:  # being written by another upload just now
            continue
        discard(rt, tenant_id, token)
