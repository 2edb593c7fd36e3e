"""``/v1/admin/analytics/tables/{name}``: every report's table as a CSV or XLSX file, the
same rows the JSON reports give, for an owner's or a read-only analytics key; a till key
reads nothing, a bad range or format is a 422 naming the field. The console's downloads and
``regulars export`` give each table with the same rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from regulars.domain.promotions.segments import Compare, Frequency
from regulars.services.analytics.tables import TableName
from regulars.services.promotions import segments
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.test_analytics_api import _sell
from tests.e2e.test_import_cli import invoke
from tests.e2e.web.support import add_staff, sign_in

TABLES = "/v1/admin/analytics/tables"


def _csv(answer: object) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))  # type: ignore[attr-defined]


def test_each_table_is_a_file_with_the_reports_figures(client: TestClient, shop: Shop) -> None:
    _sell(client, shop)
    overview = client.get(f"{TABLES}/overview", headers=shop.owner,
                          params={"range": "this_month"})
    assert overview.status_code == 200 and overview.headers["content-type"].startswith(
        "text/csv")
    assert 'filename="overview.csv"' in overview.headers["content-disposition"]
    rows = {r[0]: r[1:] for r in _csv(overview)}
    board = client.get("/v1/admin/analytics/overview", headers=shop.owner,
                       params={"range": "this_month"}).json()
    assert rows["figure"] == [f"{board[p]['first_day']}..{board[p]['last_day']}"
                              for p in ("current", "previous")]
    assert rows["receipts"] == ["2", "0"] and rows["revenue_minor"][0] == "30000"
    stores = _csv(client.get(f"{TABLES}/stores", headers=shop.owner))
    json_stores = client.get("/v1/admin/analytics/stores", headers=shop.owner).json()["rows"]
    assert [int(r[3]) for r in stores[1:]] == [s["figures"]["counts"]["receipts"]
                                              for s in json_stores]
    for name in TableName:
        for fmt in ("csv", "xlsx"):
            answer = client.get(f"{TABLES}/{name.value}", headers=shop.owner,
                                params={"format": fmt, "range": "year_to_date"})
            assert answer.status_code == 200, (name, fmt, answer.text)
        book = CalamineWorkbook.from_filelike(io.BytesIO(answer.content))
        sheet = book.get_sheet_by_index(0).to_python()
        assert [str(c) for c in sheet[0]] == _csv(client.get(
            f"{TABLES}/{name.value}", headers=shop.owner, params={"range": "year_to_date"}))[0]


def test_bad_requests_name_the_field_and_tills_read_nothing(client: TestClient,
                                                            shop: Shop) -> None:
    for params, field in [({"range": "forever"}, "range"), ({"format": "pdf"}, "format")]:
        answer = client.get(f"{TABLES}/overview", headers=shop.owner, params=params)
        assert answer.status_code == 422 and field in answer.json()["field"], answer.text
    assert client.get(f"{TABLES}/nothing", headers=shop.owner).status_code == 422
    assert client.get(f"{TABLES}/overview", headers=shop.till()).status_code == 403
    assert client.get(f"{TABLES}/overview").status_code == 401


def _sheet(content: bytes) -> list[list[str]]:
    """An XLSX file's first sheet as CSV would write it (whole numbers without ``.0``)."""
    def cell(value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return "" if value is None else str(value)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    return [[cell(v) for v in row] for row in sheet.to_python()]


def test_every_table_has_the_same_rows_from_the_api_the_console_and_the_cli(
        client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock, database_url: str,
        tmp_path: Path) -> None:
    _sell(client, shop)
    segments.create(rt, shop.tenant_id, segments.Draft(name="Bought", rules=(
        Frequency(compare=Compare.GE, days=365, count=1),)))
    clock.advance(days=2)
    add_staff(rt, shop.tenant_id, role="analyst", email="a@example.com")
    sign_in(client, "a@example.com")
    openapi = client.get("/openapi.json").json()
    table_param = next(p for p in openapi["paths"][TABLES + "/{name}"]["get"]["parameters"]
                       if p["name"] == "name")
    schema = table_param["schema"]
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["enum"] == [t.value for t in TableName]
    assert {"levels", "segments", "clv"} <= set(schema["enum"])
    days = {"from": "2026-03-01", "to": "2026-03-03"}
    for name in TableName:
        for fmt in ("csv", "xlsx"):
            api = client.get(f"{TABLES}/{name.value}", headers=shop.owner, params={
                "format": fmt, "range": "custom", **days, "calibration_end": "2026-03-03"})
            console = client.get(f"/console/analytics/{name.value}.{fmt}", params={
                "range": "custom", "date_from": days["from"], "date_to": days["to"],
                "calibration_end": "2026-03-03"})
            out = tmp_path / f"{name.value}.{fmt}"
            code, _, err = invoke("export", name.value, "--tenant", str(shop.tenant_id),
                                  "--out", str(out), "--format", fmt, "--range", "custom",
                                  "--from", days["from"], "--to", days["to"],
                                  "--calibration-end", "2026-03-03",
                                  "--database-url", database_url)
            assert api.status_code == console.status_code == 200 and code == 0, (name, err)
            read = _csv if fmt == "csv" else lambda answer: _sheet(answer.content)
            rows = read(api)
            # A header and at least one row (the till's receipts name no cashier: the
            # cashiers' one row is the store's of what nobody named did).
            assert len(rows) > 1, name
            assert read(console) == rows, (name, fmt)
            if name is not TableName.EXPIRY:  # taken now: the CLI reads the machine's clock
                assert (_sheet(out.read_bytes()) if fmt == "xlsx" else list(csv.reader(
                    io.StringIO(out.read_text("utf-8"))))) == rows, (name, fmt)
    clv = _csv(client.get(f"{TABLES}/clv", headers=shop.owner,
                          params={"calibration_end": "2026-03-03"}))
    assert clv[0][:3] == ["member_id", "days_since_last", "purchases"] and len(clv) == 2
    stores, cashiers = (_csv(client.get(f"{TABLES}/{name}", headers=shop.owner,
                                        params={"range": "custom", **days}))
                        for name in ("stores", "cashiers"))
    assert cashiers[0][-1] == "store_id" and len(cashiers) == len(stores) == 2
    assert cashiers[1][:3] == ["", "", "no cashier recorded"]
    assert cashiers[1][3:-1] == stores[1][3:] and cashiers[1][-1] == str(shop.store_id)
    levels = _csv(client.get(f"{TABLES}/levels", headers=shop.owner,
                             params={"range": "custom", **days}))
    assert levels[-1][:5] == ["", "all members", "1", "1", "1"]
