"""Console page of the figures by level and by segment for the home page's range, each table
downloadable as CSV or XLSX (raw integers, units in the column names)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from fastapi import Request
from fastapi.responses import Response

from regulars.services.analytics import breakdowns
from regulars.services.analytics.exports import ExportFormat, table_chunks
from regulars.web.console import router
from regulars.web.console.analytics import VIEW, _checked, _tenant, picked
from regulars.web.console.home import parse
from regulars.web.console.pagekit import file_response
from regulars.web.deps import RuntimeDep, StaffReader
from regulars.web.templating import Reader, render


def table_response(name: str, header: Sequence[str], rows: Iterator[Sequence[object]],
                   format: str) -> Response:
    """A report table as a file: XLSX when ``format`` says so, else CSV; streamed."""
    fmt = ExportFormat.XLSX if format == "xlsx" else ExportFormat.CSV
    return file_response(table_chunks(name, header, rows, fmt), f"{name}.{fmt.value}", fmt)


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


GROUP_HEADER = ["key", "name", "members", "buyers", "receipts", "revenue_minor",
                "discount_minor", "reward_cost_minor", "average_minor",
                "items_per_receipt_milli", "visits_per_buyer_milli", "active_share_bp",
                "revenue_share_bp", "points_issued", "points_redeemed"]


def _group_rows(found: breakdowns.Breakdown) -> Iterator[list[object]]:
    for key, name, f in [*((r.key, r.name, r.figures) for r in found.rows),
                         ("", "all members", found.all_members)]:
        yield [key, name, f.members, f.buyers, f.receipts, f.revenue_minor, f.discount_minor,
               f.reward_cost_minor, f.average_minor, f.items_per_receipt_milli,
               f.visits_per_buyer_milli, f.active_share_bp, f.revenue_share_bp,
               f.points_issued, f.points_redeemed]


@router.get("/analytics/levels.{format}", dependencies=VIEW)
def levels_file(runtime: RuntimeDep, reader: StaffReader, format: Literal["csv", "xlsx"],
                range: str = "", date_from: str = "", date_to: str = "") -> Response:
    found = breakdowns.by_level(runtime, _tenant(reader),
                                parse(range[:20], date_from[:10], date_to[:10]))
    return table_response("levels", GROUP_HEADER, _group_rows(found), format)


@router.get("/analytics/segments.{format}", dependencies=VIEW)
def segments_file(runtime: RuntimeDep, reader: StaffReader,
                  format: Literal["csv", "xlsx"], range: str = "", date_from: str = "",
                  date_to: str = "") -> Response:
    found = breakdowns.by_segment(runtime, _tenant(reader),
                                  parse(range[:20], date_from[:10], date_to[:10]))
    return table_response("segments", GROUP_HEADER, _group_rows(found), format)
