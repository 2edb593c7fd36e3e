"""Console: a member's data exported (JSON, zip of CSVs) and erased after a confirmation
step, by owners only."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import PHONE, form_of, member, sale, signed_in


def test_an_owner_erases_a_member_after_typing_their_number(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    ann = member(rt, shop, first_name="Ann", last_name="Lee")
    sale(rt, shop, "R-1")
    page = client.get(f"/console/members/{ann['id']}")
    assert f'href="/console/members/{ann["id"]}/erase"' in page.text
    confirm = client.get(f"/console/members/{ann['id']}/erase")
    assert confirm.status_code == 200 and "Ann Lee" in confirm.text
    assert "<h1>Erase the personal data of Ann Lee</h1>" in confirm.text  # not "member #1"
    wrong = client.post(f"/console/members/{ann['id']}/erase",
                        data={**form_of(confirm.text), "confirm": "12345"})
    assert wrong.status_code == 422 and 'id="e-confirm"' in wrong.text
    assert 'value="12345"' in wrong.text  # the entered value is kept
    done = client.post(f"/console/members/{ann['id']}/erase",
                       data={**form_of(confirm.text), "confirm": str(ann["id"])},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("done=erased")
    listed = client.get("/console/members?done=erased")
    assert 'id="notice"' in listed.text and "Ann Lee" not in listed.text
    assert client.get(f"/console/members/{ann['id']}").status_code == 404
    by_phone = client.get("/console/members", params={"q": PHONE})
    assert f'href="/console/members/{ann["id"]}"' not in by_phone.text
    assert "No member matches" in by_phone.text
    assert [e.action for e in audit.entries(rt, shop.tenant_id, Filters(action="member"))] == [
        "member.erase"]


def test_an_owner_exports_a_member_as_json_and_as_csv_files(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    ann = member(rt, shop, first_name="Ann")
    sale(rt, shop, "R-1")
    found = client.get(f"/console/members/{ann['id']}/export.json")
    assert found.status_code == 200
    assert "attachment" in found.headers["content-disposition"]
    body = json.loads(found.text)
    assert body["profile"]["first_name"] == "Ann"
    assert [r["receipt_no"] for r in body["receipts"]] == ["R-1"]
    archive = client.get(f"/console/members/{ann['id']}/export.zip")
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        assert sorted(files.namelist()) == ["accounts.csv", "entries.csv", "identifiers.csv",
                                            "member.json", "receipts.csv"]
        assert "R-1" in files.read("receipts.csv").decode()
    assert len(audit.entries(rt, shop.tenant_id, Filters(action="member.export"))) == 2


def test_a_marketer_may_neither_erase_nor_export(client: TestClient, rt: Runtime,
                                                  shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    ann = member(rt, shop, first_name="Ann")
    assert "/erase" not in client.get(f"/console/members/{ann['id']}").text
    for path in ("erase", "export.json", "export.zip"):
        assert client.get(f"/console/members/{ann['id']}/{path}").status_code == 403
    assert client.post(f"/console/members/{ann['id']}/erase",
                       data={"confirm": str(ann["id"])}).status_code in (403, 400)


def test_an_owner_sets_the_retention_periods_and_sees_errors_beside_fields(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/settings/retention")
    assert page.status_code == 200 and 'value="30"' in page.text and 'value="90"' in page.text
    bad = client.post("/console/settings/retention",
                      data={**form_of(page.text), "otp_days": "1", "idempotency_days": "x"})
    assert bad.status_code == 422
    assert 'id="e-idempotency_days"' in bad.text and 'value="x"' in bad.text
    bad = client.post("/console/settings/retention",
                      data={**form_of(page.text), "otp_days": "1", "idempotency_days": "60"})
    assert bad.status_code == 422 and 'id="e-otp_days"' in bad.text
    saved = client.post("/console/settings/retention", follow_redirects=False,
                        data={**form_of(page.text), "otp_days": "7", "idempotency_days": "60"})
    assert saved.status_code == 303
    shown = client.get("/console/settings/retention?done=saved").text
    assert 'value="7"' in shown and 'value="60"' in shown and 'id="done"' in shown
    assert [e.action for e in audit.entries(rt, shop.tenant_id,
                                            Filters(action="settings"))] == [
        "settings.retention"]
