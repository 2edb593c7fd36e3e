"""The console's import and export page over HTTP: a file uploaded once, previewed with the
field each column is read as, remapped, imported; bad rows refused whole with each row's
number, column and reason, or the rest imported and the rejects downloaded; the same rows
imported twice adding nothing; exports as CSV and XLSX; owners only, and another business's
upload not found."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from regulars.domain.audit.chain import Filters
from regulars.services.analytics import exports
from regulars.services.analytics.exports import ExportKind
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in
from tests.e2e.web.support import add_staff, sign_in

SALES = ("customer;when;amount\n"
         "A-1;01.03.2025;12,50\n"
         "A-2;02.03.2025;7\n"
         "A-1;05.03.2025;3,10\n").encode("cp1251")
BAD = b"customer,date,amount\nB-1,2025-03-01,10\nB-2,2025-03-02,abc\nB-3,2025-03-03,5\n"
TOKEN = re.compile(r"/console/imports/([A-Za-z0-9_-]{22})")


def upload(client: TestClient, body: bytes, *, kind: str = "receipts",
           name: str = "sales.csv") -> str:
    page = client.get("/console/data")
    assert page.status_code == 200
    sent = client.post("/console/imports", data={**form_of(page.text), "kind": kind},
                       files={"file": (name, body, "text/csv")}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    found = TOKEN.search(sent.headers["location"])
    assert found is not None
    return sent.headers["location"]


def receipts_of(rt: Runtime, shop: Shop) -> list[list[object]]:
    return [list(r) for r in exports.rows(rt, shop.tenant_id, ExportKind.RECEIPTS)]


def test_a_file_is_previewed_remapped_and_imported_once(client: TestClient, rt: Runtime,
                                                        shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    where = upload(client, SALES)
    preview = client.get(where)
    assert preview.status_code == 200
    assert 'id="mapping-problem"' in preview.text  # "when" is not a known name for the date
    assert "12,50" in preview.text and "A-2" in preview.text
    form = {**form_of(preview.text), "map-0": "external_id", "map-1": "date",
            "map-2": "amount"}
    again = client.post(TOKEN.search(where).group(0), data={**form, "action": "preview"})
    assert again.status_code == 200 and 'id="mapping-problem"' not in again.text
    assert '<option value="date" selected>' in again.text
    assert receipts_of(rt, shop) == []
    done = client.post(TOKEN.search(where).group(0), data={**form, "action": "import"})
    assert done.status_code == 200, done.text
    assert re.search(r'id="imported">3<', done.text) and re.search(r'id="rejected">0<',
                                                                   done.text)
    assert len(receipts_of(rt, shop)) == 3
    gone = client.post(TOKEN.search(where).group(0), data={**form, "action": "import"})
    assert gone.status_code == 404  # the file is removed once imported
    second = upload(client, SALES)
    redo = client.post(TOKEN.search(second).group(0), data={
        **form_of(client.get(second).text), "map-1": "date", "action": "import"})
    assert redo.status_code == 200 and re.search(r'id="already">3<', redo.text)
    assert len(receipts_of(rt, shop)) == 3
    trail = audit.entries(rt, shop.tenant_id, Filters(action="import.receipts"))
    assert len(trail) == 2


def test_bad_rows_refuse_the_file_or_the_rest_is_imported_with_the_rejects_to_download(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    where = upload(client, BAD)
    path = TOKEN.search(where).group(0)
    preview = client.get(where)
    assert 'class="bad"' in preview.text  # row 3 shows its problem before importing
    refused = client.post(path, data={**form_of(preview.text), "action": "import"})
    assert refused.status_code == 422 and 'id="import-problems"' in refused.text
    assert "<td>3</td><td>amount</td>" in refused.text
    assert "Nothing was imported: 1 problem." in refused.text
    assert receipts_of(rt, shop) == []
    done = client.post(path, data={**form_of(preview.text), "skip_invalid": "1",
                                   "action": "import"})
    assert done.status_code == 200 and re.search(r'id="rejected">1<', done.text)
    assert len(receipts_of(rt, shop)) == 2
    rejects = client.get(f"{path}/rejects.csv")
    assert rejects.status_code == 200
    rows = list(csv.reader(io.StringIO(rejects.text)))
    assert rows[0] == ["row", "customer", "date", "amount", "problem"]
    assert rows[1][:4] == ["3", "B-2", "2025-03-02", "abc"] and len(rows) == 2


def test_an_unknown_store_code_shows_in_the_preview_and_says_what_to_do(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    where = upload(client, b"customer,date,amount,store\nS-1,2025-03-01,10,main\n"
                           b"S-2,2025-03-02,5,Central\n")
    preview = client.get(where)
    rows = re.findall(r"<tr( class=\"bad\")?><td>(\d+)</td>", preview.text)
    assert rows == [("", "2"), (' class="bad"', "3")]  # before anything is imported
    told = "no store with the code &#39;Central&#39;: add a store with this code first"
    assert told in preview.text
    refused = client.post(TOKEN.search(where).group(0),
                          data={**form_of(preview.text), "action": "import"})
    assert refused.status_code == 422 and told in refused.text
    assert receipts_of(rt, shop) == []


def test_members_are_imported_and_every_export_reads_back(client: TestClient, rt: Runtime,
                                                           shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    where = upload(client, b"customer_id,first_name,birthday\nM-1,Ann,1990-05-01\n"
                           b"M-2,Bob,\n", kind="members", name="people.csv")
    preview = client.get(where + "&x=1")
    assert "Ann" in preview.text
    done = client.post(TOKEN.search(where).group(0), data={**form_of(preview.text),
                                                          "kind": "members",
                                                          "action": "import"})
    assert done.status_code == 200 and re.search(r'id="members-created">2<', done.text)
    for kind in ("members", "receipts", "ledger"):
        text = client.get(f"/console/exports/{kind}?format=csv")
        assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
        header = next(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert header == list(exports.columns(ExportKind(kind)))
        book = client.get(f"/console/exports/{kind}?format=xlsx")
        assert book.status_code == 200
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(book.content))
        rows = sheet.get_sheet_by_index(0).to_python()
        assert [str(c) for c in rows[0]] == header
    people = list(csv.reader(io.StringIO(
        client.get("/console/exports/members").content.decode("utf-8-sig"))))
    assert len(people) == 3
    assert client.get("/console/exports/nothing").status_code == 422


def test_only_owners_import_and_another_business_upload_is_not_found(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    where = upload(client, SALES)
    path = TOKEN.search(where).group(0)
    other = make_shop(rt, name="Other")
    client.cookies.clear()
    signed_in(client, rt, other, "owner")
    assert client.get(where).status_code == 404
    assert client.get(f"{path}/rejects.csv").status_code == 404
    assert client.get("/console/imports/not-a-token").status_code == 404
    for role in ("marketer", "analyst"):
        client.cookies.clear()
        signed_in(client, rt, shop, role)
        assert client.get("/console/data").status_code == 403
        assert client.get(where).status_code == 403
        assert client.get("/console/exports/members").status_code == 403


def test_an_empty_choice_is_told_beside_the_file_field(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/data")
    none = client.post("/console/imports", data={**form_of(page.text), "kind": "members"})
    assert none.status_code == 422 and 'id="e-file"' in none.text
    assert 'id="f-kind-members" checked' in none.text
    empty = client.post("/console/imports", data=form_of(page.text),
                        files={"file": ("empty.csv", b"", "text/csv")})
    assert empty.status_code == 422 and 'id="e-file"' in empty.text


def test_the_page_speaks_of_its_column_choices_and_the_reader_s_language(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="ru@example.com", language="ru")
    sign_in(client, "ru@example.com")
    preview = client.get(upload(client, SALES))
    [problem] = re.findall(r'id="mapping-problem">([^<]*)<', preview.text)
    assert "--map" not in problem and "нет столбца для date" in problem
    assert "«читать как»" in problem  # the column choices of the page
    where = upload(client, b"customer,date,amount\nB-1,2025-03-01,10\nB-2,31/02/2025,5\n")
    path = TOKEN.search(where).group(0)
    preview = client.get(where)
    said = "не дата (ГГГГ-ММ-ДД, ГГГГММДД или ДД.ММ.ГГГГ): &#39;31/02/2025&#39;"
    assert said in preview.text and "not a date" not in preview.text
    refused = client.post(path, data={**form_of(preview.text), "action": "import"})
    assert refused.status_code == 422 and said in refused.text
    done = client.post(path, data={**form_of(preview.text), "skip_invalid": "1",
                                   "action": "import"})
    assert done.status_code == 200 and said in done.text
    assert "not a date" in client.get(f"{path}/rejects.csv").text  # the file stays English


def test_eight_digits_that_are_no_day_read_as_not_a_date_in_the_reader_s_language(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="owner", email="ru@example.com", language="ru")
    sign_in(client, "ru@example.com")
    preview = client.get(upload(client, b"customer,date,amount\nB-1,20241301,10\n"))
    said = "не дата (ГГГГ-ММ-ДД, ГГГГММДД или ДД.ММ.ГГГГ): &#39;20241301&#39;"
    assert said in preview.text and "month must be" not in preview.text
