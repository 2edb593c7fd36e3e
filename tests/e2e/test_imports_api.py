"""``/v1/admin/imports`` and ``/v1/admin/exports`` over HTTP: a preview of the mapping, an
import (refused whole for a bad row, or with its rejects), and streamed exports."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.conftest import Shop

RU_CSV = ("Клиент;Телефон;Дата;Сумма\n"
          "A-1;8 (916) 123-45-67;01.03.2025 13:45;1 234,50\n"
          "A-2;;02.03.2025;99,90\n"
          "A-3;;02.03.2025;abc\n").encode("cp1251")
MAP = ["Клиент=external_id", "Телефон=phone", "Дата=date", "Сумма=amount"]


def upload(content: bytes, name: str = "sales.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, content, "text/csv")}


def test_preview_shows_the_mapping_and_the_first_rows_with_their_problems(
        client: TestClient, shop: Shop) -> None:
    answer = client.post("/v1/admin/imports/receipts/preview", headers=shop.owner,
                         files=upload(RU_CSV))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["encoding"], body["delimiter"]) == ("cp1251", ";")
    assert [c["field"] for c in body["columns"]] == [None, None, None, None]
    assert "no column for date, amount" in body["mapping_problem"]
    mapped = client.post("/v1/admin/imports/receipts/preview", headers=shop.owner,
                         files=upload(RU_CSV), data={"map": MAP}).json()
    assert [c["field"] for c in mapped["columns"]] == ["external_id", "phone", "date",
                                                       "amount"]
    assert mapped["mapping_problem"] is None
    assert [r["cells"][0] for r in mapped["rows"]] == ["A-1", "A-2", "A-3"]
    assert [len(r["problems"]) for r in mapped["rows"]] == [0, 0, 1]
    assert mapped["rows"][2]["problems"][0]["column"] == "Сумма"


def test_a_bad_row_refuses_the_file_and_skip_invalid_imports_the_rest(
        client: TestClient, shop: Shop) -> None:
    refused = client.post("/v1/admin/imports/receipts", headers=shop.owner,
                          files=upload(RU_CSV), data={"map": MAP})
    assert refused.status_code == 422
    assert refused.json()["error"] == "invalid_rows"
    assert refused.json()["rows"] == [{"row": 4, "column": "Сумма",
                                       "reason": "not a number: 'abc'"}]
    done = client.post("/v1/admin/imports/receipts", headers=shop.owner,
                       files=upload(RU_CSV), data={"map": MAP, "skip_invalid": "true"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["imported"], body["rejected"], body["members_created"]) == (2, 1, 2)
    rejects = list(csv.reader(io.StringIO(body["rejects_csv"])))
    assert [r[0] for r in rejects] == ["row", "4"]
    again = client.post("/v1/admin/imports/receipts", headers=shop.owner,
                        files=upload(RU_CSV), data={"map": MAP, "skip_invalid": "true"}).json()
    assert (again["imported"], again["already"]) == (0, 2)


def test_bad_input_names_the_field(client: TestClient, shop: Shop) -> None:
    for data, field in (({"map": ["nonsense"]}, "map"), ({"preset": "nope"}, "preset"),
                        ({"map": MAP, "store": "nowhere"}, "store")):
        answer = client.post("/v1/admin/imports/receipts", headers=shop.owner,
                             files=upload(RU_CSV), data=data)
        assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    empty = client.post("/v1/admin/imports/members", headers=shop.owner, files=upload(b""))
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    unknown = client.post("/v1/admin/imports/coupons", headers=shop.owner,
                          files=upload(RU_CSV))
    assert unknown.status_code == 422
    assert client.get("/v1/admin/exports/receipts?format=pdf",
                      headers=shop.owner).status_code == 422


def test_exports_stream_the_tenants_data(client: TestClient, shop: Shop) -> None:
    client.post("/v1/admin/imports/receipts", headers=shop.owner, files=upload(RU_CSV),
                data={"map": MAP, "skip_invalid": "true"})
    answer = client.get("/v1/admin/exports/receipts", headers=shop.owner)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="receipts.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert sorted(int(r["paid_minor"]) for r in rows) == [9990, 123450]
    sheet = client.get("/v1/admin/exports/members?format=xlsx", headers=shop.owner)
    assert sheet.status_code == 200 and sheet.content.startswith(b"PK\x03\x04")
