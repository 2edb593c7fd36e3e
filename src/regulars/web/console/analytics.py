"""Console pages of the figures beyond the home page: retention and cohorts, stores and
cashiers, the points liability. Each takes the home page's range, draws its charts on the
server, and offers each table as a CSV or XLSX file (raw integers, units in the column
names: :mod:`regulars.web.console.analytics_files`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from regulars.errors import RegularsError
from regulars.services.analytics import branches, cohorts, figures, liability
from regulars.services.analytics.tables import TableName
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.charts import HEIGHT, WIDTH, paired, single
from regulars.web.console.home import PRESETS, figures_query, parse
from regulars.web.console.pagekit import form_errors
from regulars.web.deps import RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

VIEW = [needs(Permission.VIEW)]
DEFAULT_RANGE = {TableName.COHORTS: "last_365_days", TableName.LIABILITY: "year_to_date",
                 TableName.JOURNAL: "year_to_date"}
"""The range a table's page opens with, where it is not the last 30 days."""


def picked(reader: Reader, range_: str, date_from: str, date_to: str
           ) -> tuple[figures.Request, dict[str, Any]]:
    """The request the range picker names (the default one if it names a bad range) and
    what the page needs to show the picker again, errors beside their fields."""
    values = {"range": range_[:20] or "last_30_days", "date_from": date_from[:10],
              "date_to": date_to[:10]}
    errors: dict[str, str] = {}
    try:
        request = parse(values["range"], values["date_from"], values["date_to"])
    except RegularsError as exc:
        errors = {("date_from" if k == "from" else "date_to" if k == "to" else k): v
                  for k, v in form_errors(exc, reader).items()}
        request = figures.Request()
    return request, {"values": values, "errors": errors,
                     "query": figures_query(values, refused=bool(errors)),
                     "presets": [(p.value, reader.gettext(label)) for p, label in PRESETS],
                     "chart_size": (WIDTH, HEIGHT)}


def _checked(run: Any, reader: Reader, request: figures.Request, page: dict[str, Any]) -> Any:
    """``run(request)``; a range the service refuses shows beside its field instead."""
    try:
        return run(request)
    except RegularsError as exc:
        page["errors"] = {("date_from" if k == "from" else "date_to" if k == "to" else k): v
                          for k, v in form_errors(exc, reader).items()}
        page["query"] = figures_query(page["values"], refused=True)
        return run(figures.Request())


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


# Retention and cohorts -----------------------------------------------------------------------

@router.get("/analytics/retention", dependencies=VIEW)
def retention_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                   range: str = "last_365_days", date_from: str = "",
                   date_to: str = "") -> Response:
    wanted, page = picked(reader, range, date_from, date_to)
    found = _checked(lambda r: cohorts.cohorts(runtime, _tenant(reader), r), reader, wanted,
                     page)
    labels = [str(age) for age in range_of(len(found.curve_bp))]
    curve = single(labels, [share or 0 for share in found.curve_bp],
                   [reader.gettext("%(months)s months after joining: %(share)s", months=age,
                                   share=reader.percent_bp(share))
                    for age, share in zip(labels, found.curve_bp, strict=True)])
    return render(request, "console/analytics_retention.html", reader,
                  status_code=422 if page["errors"] else 200, found=found, curve=curve,
                  **page)


def range_of(n: int) -> list[int]:
    return list(range(n))


# Stores and cashiers -------------------------------------------------------------------------

@router.get("/analytics/stores", dependencies=VIEW)
def stores_page(request: Request, runtime: RuntimeDep, reader: StaffReader, range: str = "",
                date_from: str = "", date_to: str = "") -> Response:
    wanted, page = picked(reader, range, date_from, date_to)
    found = _checked(lambda r: branches.branches(runtime, _tenant(reader), r), reader, wanted,
                     page)
    shares = paired([b.name for b in found.stores],
                    [b.figures.identified_share_bp or 0 for b in found.stores],
                    [found.chain.identified_share_bp or 0 for _ in found.stores],
                    [reader.gettext("%(name)s: %(share)s (chain %(chain)s)", name=b.name,
                                    share=reader.percent_bp(b.figures.identified_share_bp),
                                    chain=reader.percent_bp(found.chain.identified_share_bp))
                     for b in found.stores])
    return render(request, "console/analytics_stores.html", reader,
                  status_code=422 if page["errors"] else 200, found=found,
                  shares_chart=shares, **page)


# Liability -----------------------------------------------------------------------------------

@router.get("/analytics/liability", dependencies=VIEW)
def liability_page(request: Request, runtime: RuntimeDep, reader: StaffReader,
                   range: str = "year_to_date", date_from: str = "",
                   date_to: str = "") -> Response:
    wanted, page = picked(reader, range, date_from, date_to)
    found = _checked(lambda r: liability.liability(runtime, _tenant(reader), r), reader,
                     wanted, page)
    months = [b for b in found.by_expiry if b.kind == "month"]
    labels = [reader.month(b.month) for b in months]
    expiry = single(labels, [b.points for b in months],
                    [reader.gettext("%(month)s: %(points)s points, %(amount)s", month=label,
                                    points=reader.number(b.points),
                                    amount=reader.money(b.value_minor))
                     for label, b in zip(labels, months, strict=True)])
    return render(request, "console/analytics_liability.html", reader,
                  status_code=422 if page["errors"] else 200, found=found,
                  expiry_chart=expiry, least_points=liability.MIN_MATURED_POINTS,
                  least_members=liability.MIN_MATURED_MEMBERS, **page)
