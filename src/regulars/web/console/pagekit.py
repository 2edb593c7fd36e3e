"""Small helpers the members, receipts and marketing pages share."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from fastapi.responses import StreamingResponse
from starlette.datastructures import FormData

from regulars.errors import RegularsError
from regulars.services.analytics.exports import MEDIA_TYPES, ExportFormat
from regulars.services.audit import audit
from regulars.web.forms import errors_of
from regulars.web.templating import Reader

PAGE_SIZE = 25


def new_key() -> str:
    """An idempotency key for one rendering of a form: a double-submit sends it twice."""
    return secrets.token_urlsafe(18)


def text(form: FormData, name: str, limit: int = 2000) -> str:
    return str(form.get(name) or "")[:limit]


def form_errors(exc: RegularsError, reader: Reader) -> dict[str, str]:
    """The message of an error a form shows next to its field; an unknown or foreign id (and
    a role that may not) still answers with its own error page."""
    if exc.status in (403, 404):
        raise exc
    return errors_of(exc, reader)


def page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 100_000 else 1


def file_response(body: Iterator[bytes], file_name: str, fmt: ExportFormat
                  ) -> StreamingResponse:
    """A CSV or XLSX file streamed as a download named ``file_name``."""
    return StreamingResponse(body, media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{file_name}"'})


def staff_actor(reader: Reader) -> audit.Actor:
    """The signed-in staff member, as the audit trail names them."""
    return audit.staff(reader.session.staff_id if reader.session else None)
