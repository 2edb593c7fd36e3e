"""``/v1/admin/audit``: the audit trail of changes by staff and API keys, filtered, and as
CSV (an export is itself recorded). Admin keys only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from regulars.api.deps import Offset, Owner, RuntimeDep
from regulars.api.pos_schemas import Out, examples
from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.audit.audit import AuditEntry

router = APIRouter(prefix="/v1/admin", tags=["admin"])

Actor = Annotated[str | None, Query(max_length=60, description="e.g. `key 5`, `staff 3`")]
Action = Annotated[str | None, Query(max_length=60,
                                     description="an action or its start, e.g. `promotion`")]
Since = Annotated[datetime | None, Query(description="from this moment on")]
Until = Annotated[datetime | None, Query(description="before this moment")]


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


def _filters(actor: str | None, action: str | None, since: datetime | None,
             until: datetime | None) -> Filters:
    return Filters(actor=actor or None, action=action or None, since=since, until=until)


@router.get("/audit", response_model=list[AuditEntryOut])
def list_audit(owner: Owner, rt: RuntimeDep, actor: Actor = None, action: Action = None,
               since: Since = None, until: Until = None,
               limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
               offset: Offset = 0) -> list[AuditEntry]:
    """The tenant's audit entries, newest first."""
    return audit.entries(rt, owner.tenant_id, _filters(actor, action, since, until),
                         limit=limit, offset=offset)


@router.get("/audit.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "the entries as CSV, newest first"}})
def export_audit(owner: Owner, rt: RuntimeDep, actor: Actor = None, action: Action = None,
                 since: Since = None, until: Until = None) -> Response:
    """Every entry that passes the filters as CSV; the export is recorded."""
    text = audit.export_csv(rt, owner.tenant_id, _filters(actor, action, since, until),
                            audit.key(owner.key_id))
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
