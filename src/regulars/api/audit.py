"""``/v1/admin/audit``: the audit trail of changes by staff and API keys, filtered, and as
CSV (an export is itself recorded). Admin keys only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from regulars import errors
from regulars.api.deps import Offset, Owner, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Out, examples
from regulars.domain.audit.chain import Filters
from regulars.errors import InvalidInput
from regulars.services.audit import audit
from regulars.services.audit.audit import AuditEntry

router = APIRouter(prefix="/v1/admin", tags=["admin"])

Actor = Annotated[str | None, Query(max_length=60, description="e.g. `key 5`, `staff 3`")]
Action = Annotated[str | None, Query(max_length=60,
                                     description="an action or its start, e.g. `promotion`")]
_MOMENT = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"
Since = Annotated[str | None, Query(max_length=40, pattern=_MOMENT,
                                    description="from this moment on (ISO 8601; UTC if no "
                                                "offset)", examples=["2026-03-01"])]
Until = Annotated[str | None, Query(max_length=40, pattern=_MOMENT,
                                    description="before this moment (ISO 8601)")]


class AuditEntryOut(Out):
    """One change: who made it, what it was and on what; ``detail`` is JSON text."""

    model_config = examples({
        "seq": 12, "at": "2026-03-01T12:00:00+00:00", "actor": "staff 3",
        "action": "promotion.version", "subject": "promotion 4", "detail": '{"version":2}'})

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


def _moment(raw: str | None, field: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput("enter a moment like 2026-03-01 or 2026-03-01T12:00:00Z",
                           field=field) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _filters(actor: str | None, action: str | None, since: str | None,
             until: str | None) -> Filters:
    return Filters(actor=actor or None, action=action or None,
                   since=_moment(since, "since"), until=_moment(until, "until"))


@router.get("/audit", response_model=list[AuditEntryOut],
            responses=responses(errors.InvalidInput))
def list_audit(owner: Owner, rt: RuntimeDep, actor: Actor = None, action: Action = None,
               since: Since = None, until: Until = None,
               limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
               offset: Offset = 0) -> list[AuditEntry]:
    """The tenant's audit entries, newest first."""
    return audit.entries(rt, owner.tenant_id, _filters(actor, action, since, until),
                         limit=limit, offset=offset)


@router.get("/audit.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "the entries as CSV, newest first"},
                       **responses(errors.InvalidInput)})
def export_audit(owner: Owner, rt: RuntimeDep, actor: Actor = None, action: Action = None,
                 since: Since = None, until: Until = None) -> Response:
    """Every entry that passes the filters as CSV; the export is recorded."""
    text = audit.export_csv(rt, owner.tenant_id, _filters(actor, action, since, until),
                            audit.key(owner.key_id))
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
