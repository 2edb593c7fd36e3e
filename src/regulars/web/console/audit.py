"""Console page: the audit trail, filtered by who, what and when, and exported as CSV
(owners; the export is itself recorded)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi import Request
from fastapi.responses import Response

from regulars.domain.audit.chain import Filters
from regulars.errors import RegularsError
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import audit_view, router
from regulars.web.console.pagekit import PAGE_SIZE, form_errors, page_number, staff_actor
from regulars.web.deps import RuntimeDep, StaffReader, needs
from regulars.web.forms import parse_day
from regulars.web.templating import Reader, render

SETUP = [needs(Permission.SETUP)]


def _moment(raw: str, field: str, *, next_day: bool = False) -> datetime | None:
    if not raw.strip():
        return None
    day = parse_day(raw, field=field)
    return datetime.combine(day + timedelta(days=1 if next_day else 0), time(), UTC)


def _filters(values: dict[str, str]) -> Filters:
    return Filters(actor=values["who"].strip() or None, action=values["what"].strip() or None,
                   since=_moment(values["date_from"], "date_from"),
                   until=_moment(values["date_to"], "date_to", next_day=True))


def _values(who: str, what: str, date_from: str, date_to: str) -> dict[str, str]:
    return {"who": who[:60], "what": what[:60], "date_from": date_from[:10],
            "date_to": date_to[:10]}


def _names(runtime: Runtime, reader: Reader, tenant_id: int) -> dict[str, str]:
    """What the Who column shows for each actor the trail names by code (``staff 3``, ``key
    5``): a staff member's name, a key's label (:func:`audit_view.who` names the system)."""
    names = {f"staff {s.id}": s.name for s in tenants.list_staff(runtime, tenant_id)}
    names |= {f"key {k.id}": reader.gettext("key “%(label)s”", label=k.label)
              for k in tenants.list_keys(runtime, tenant_id)}
    return names


@router.get("/audit", dependencies=SETUP)
def audit_page(request: Request, reader: StaffReader, runtime: RuntimeDep, who: str = "",
               what: str = "", date_from: str = "", date_to: str = "",
               page: str = "1") -> Response:
    assert reader.session is not None
    values = _values(who, what, date_from, date_to)
    number = page_number(page)
    errors: dict[str, str] = {}
    try:
        found = audit.entries(runtime, reader.session.tenant_id, _filters(values),
                              limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    except RegularsError as exc:
        errors, found = form_errors(exc, reader), []
    query = "&".join(f"{k}={v}" for k, v in values.items() if v)
    return render(request, "console/audit.html", reader, status_code=422 if errors else 200,
                  values=values, errors=errors,
                  rows=audit_view.rows(reader, found[:PAGE_SIZE],
                                       _names(runtime, reader, reader.session.tenant_id),
                                       {s.id: s.name for s in tenants.list_stores(
                                           runtime, reader.session.tenant_id)}),
                  has_more=len(found) > PAGE_SIZE, page=number, query=query)


@router.get("/audit.csv", dependencies=SETUP)
def audit_export(reader: StaffReader, runtime: RuntimeDep, who: str = "", what: str = "",
                 date_from: str = "", date_to: str = "") -> Response:
    assert reader.session is not None
    try:
        filters = _filters(_values(who, what, date_from, date_to))
    except RegularsError:
        filters = Filters()
    text = audit.export_csv(runtime, reader.session.tenant_id, filters,
                            staff_actor(reader))
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
