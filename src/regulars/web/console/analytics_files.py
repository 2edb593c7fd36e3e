"""Every report table as a CSV or XLSX file, ``/console/analytics/{name}.csv`` or ``.xlsx``,
from the one registry the API and ``regulars export`` read
(:mod:`regulars.services.analytics.tables`): raw integers, units in the column names. A
table takes its page's range (``range``, ``date_from``, ``date_to``); ``clv`` takes its
page's form instead."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from regulars.services.analytics import tables
from regulars.services.analytics.exports import ExportFormat, table_chunks
from regulars.services.analytics.tables import TableName, TableRequest
from regulars.web.console import router
from regulars.web.console.analytics import DEFAULT_RANGE, VIEW, _tenant
from regulars.web.console.clv import _query, _values
from regulars.web.console.home import parse
from regulars.web.console.pagekit import file_response
from regulars.web.deps import RuntimeDep, StaffReader


def _table_file(which: TableName) -> Any:
    def table_file(runtime: RuntimeDep, reader: StaffReader, extension: ExportFormat,
                   range: str = "", date_from: str = "", date_to: str = "",
                   calibration_end: str = "", unit: str = "", margin: str = "",
                   discount: str = "", months: str = "") -> Response:
        outlook = (_query(_values(calibration_end, unit, margin, discount, months), limit=1,
                          offset=0) if which is TableName.CLV else None)
        period = parse(range[:20] or DEFAULT_RANGE.get(which, ""), date_from[:10],
                       date_to[:10])
        asked = (TableRequest(period=period) if outlook is None
                 else TableRequest(period=period, outlook=outlook))
        found = tables.table(runtime, _tenant(reader), which, asked)
        body = table_chunks(found.name, found.header, iter(found.rows), extension, bom=False)
        return file_response(body, f"{found.name}.{extension.value}", extension)
    return table_file


for _which in TableName:
    router.add_api_route(f"/analytics/{_which.value}.{{extension}}", _table_file(_which),
                         methods=["GET"], dependencies=VIEW)
