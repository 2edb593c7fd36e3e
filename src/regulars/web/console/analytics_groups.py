"""Console page of the figures by level and by segment for the home page's range, each table
downloadable as CSV or XLSX (raw integers, units in the column names)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from regulars.services.analytics import breakdowns
from regulars.web.console import router
from regulars.web.console.analytics import VIEW, _checked, _tenant, picked
from regulars.web.deps import RuntimeDep, StaffReader
from regulars.web.templating import Reader, render


@router.get("/analytics/groups", dependencies=VIEW)
def groups_page(request: Request, runtime: RuntimeDep, reader: StaffReader, range: str = "",
                date_from: str = "", date_to: str = "") -> Response:
    wanted, page = picked(reader, range, date_from, date_to)
    tenant_id = _tenant(reader)
    levels = _checked(lambda r: breakdowns.by_level(runtime, tenant_id, r), reader, wanted,
                      page)
    found = _checked(lambda r: breakdowns.by_segment(runtime, tenant_id, r), reader, wanted,
                     page)
    return render(request, "console/analytics_groups.html", reader,
                  status_code=422 if page["errors"] else 200, levels=levels, segments=found,
                  milli=lambda v: milli(reader, v), **page)


def milli(reader: Reader, value: int | None) -> str:
    """Thousandths shown as a number with two decimals (display only)."""
    return "—" if value is None else reader.number(round(value / 1000, 2))
