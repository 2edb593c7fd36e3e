"""``/v1/admin/analytics/tables/{name}``: every report's table as a CSV or XLSX file, the
same rows the JSON reports give, for an owner's or a read-only analytics key; a till key
reads nothing, a bad range or format is a 422 naming the field."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from regulars.services.analytics.tables import TableName
from tests.conftest import Shop
from tests.e2e.test_analytics_api import _sell

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
