"""Console page of customer lifetime value and RFM: the fitted parameters (or why there is
no fit), the members per RFM group, and per member the probability of being alive, expected
purchases in the next 90 and 365 days, expected spend and CLV with the margin and discount
rate chosen in the form, each member named as elsewhere in the console (name, else the
phone's last four digits) and linked to their page; the whole table downloadable as CSV or
XLSX (:mod:`regulars.web.console.analytics_files`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from regulars.errors import RegularsError
from regulars.services.analytics import clv
from regulars.services.analytics.clv import ClvQuery
from regulars.services.members import members
from regulars.text.labels import LABELS
from regulars.web.console import router
from regulars.web.console.analytics import VIEW, _tenant
from regulars.web.console.charts import HEIGHT, WIDTH, single
from regulars.web.console.pagekit import PAGE_SIZE, form_errors, page_number
from regulars.web.console.program import parse_percent
from regulars.web.deps import RuntimeDep, StaffReader
from regulars.web.forms import parse_day, parse_int
from regulars.web.templating import Reader, render

GROUP_WORDS = LABELS["rfm_group"]  # best first, as the RFM grid orders them
# The service's parameter, as the form names it.
FIELDS = {"margin_bp": "margin", "discount_monthly_bp": "discount"}
DEFAULTS = {"calibration_end": "", "unit": "weeks", "margin": "30", "discount": "1",
            "months": "12"}


def _query(values: dict[str, str], *, limit: int, offset: int) -> ClvQuery:
    """The service's query from the form; :class:`InvalidInput` names the form's field."""
    end = None
    if values["calibration_end"]:
        end = parse_day(values["calibration_end"], field="calibration_end")
    return ClvQuery(calibration_end=end, unit=values["unit"],
                    margin_bp=parse_percent(values["margin"], field="margin"),
                    discount_monthly_bp=parse_percent(values["discount"], field="discount"),
                    months=parse_int(values["months"], field="months", minimum=1,
                                     maximum=120),
                    limit=limit, offset=offset)


def _values(calibration_end: str, unit: str, margin: str, discount: str,
            months: str) -> dict[str, str]:
    given = {"calibration_end": calibration_end[:10], "unit": unit[:10], "margin": margin[:12],
             "discount": discount[:12], "months": months[:6]}
    return {k: v.strip() or DEFAULTS[k] for k, v in given.items()}


def _errors(exc: RegularsError, reader: Reader) -> dict[str, str]:
    return {FIELDS.get(k, k): v for k, v in form_errors(exc, reader).items()}


def _groups_chart(reader: Reader, groups: dict[str, int]) -> Any:
    labels = [reader.gettext(GROUP_WORDS[g]) for g in GROUP_WORDS]
    counts = [groups.get(g, 0) for g in GROUP_WORDS]
    return single(labels, counts, [f"{label}: {reader.number(n)}"
                                   for label, n in zip(labels, counts, strict=True)])


@router.get("/analytics/clv", dependencies=VIEW)
def clv_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
             calibration_end: str = "", unit: str = "", margin: str = "", discount: str = "",
             months: str = "", page: str = "1") -> Response:
    values = _values(calibration_end, unit, margin, discount, months)
    number = page_number(page)
    errors: dict[str, str] = {}
    try:
        found = clv.report(runtime, _tenant(reader), _query(
            values, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE))
    except RegularsError as exc:
        errors, number = _errors(exc, reader), 1
        found = clv.report(runtime, _tenant(reader), ClvQuery(limit=PAGE_SIZE))
    query = "&".join(f"{k}={v}" for k, v in values.items() if v)
    why = None if found.no_fit is None else reader.gettext(found.no_fit.template,
                                                            **found.no_fit.params)
    return render(request, "console/analytics_clv.html", reader,
                  status_code=422 if errors else 200, found=found, why=why, values=values,
                  errors=errors, query=query, page=number,
                  has_more=number * PAGE_SIZE < found.members, group_words=GROUP_WORDS,
                  member_names=members.names(runtime, _tenant(reader),
                                             (o.member_id for o in found.items)),
                  groups_chart=_groups_chart(reader, found.groups),
                  chart_size=(WIDTH, HEIGHT))
