"""The console's fraud page over HTTP: a scan from the page, each flag's evidence in words,
an owner's decision, an analyst who reads only, and another business's flag out of reach."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.analytics.fraud import Thresholds
from regulars.domain.audit.chain import Filters
from regulars.services.analytics import fraud
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import staff_access, tenants
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import PHONE, form_of, member, signed_in


def flagged_pair(rt: Runtime, shop: Shop) -> int:
    """A cashier whose phone is a member's, with a flag score low enough to flag that alone;
    the cashier's id."""
    member(rt, shop)
    cashier = int(tenants.create_staff(rt, shop.tenant_id, name="Olga", email=None,
                                       role="cashier", store_id=shop.store_id,
                                       actor=audit.SYSTEM).id)
    staff_access.set_phone(rt, shop.tenant_id, cashier, PHONE)
    fraud.put_settings(rt, shop.tenant_id, Thresholds(flag_score=30), actor=audit.SYSTEM)
    return cashier


def test_an_owner_scans_reads_the_evidence_and_confirms(client: TestClient, rt: Runtime,
                                                        shop: Shop) -> None:
    flagged_pair(rt, shop)
    signed_in(client, rt, shop, "owner")
    empty = client.get("/console/fraud")
    assert empty.status_code == 200 and "No flags here." in empty.text
    bad = client.post("/console/fraud/scan", data={"csrf": form_of(empty.text)["csrf"],
                                                   "days": "999"})
    assert bad.status_code == 422 and 'id="e-days"' in bad.text
    scanned = client.post("/console/fraud/scan", data={"csrf": form_of(empty.text)["csrf"],
                                                       "days": "30"})
    assert scanned.status_code == 200 and 'id="scanned"' in scanned.text
    assert "the member&#39;s phone or e-mail is this staff member&#39;s own" in scanned.text
    [flag] = fraud.list_flags(rt, shop.tenant_id).items
    assert f'id="flag-{flag.id}"' in scanned.text and "Olga" in scanned.text

    done = client.post(f"/console/fraud/{flag.id}/decision",
                       data={"csrf": form_of(scanned.text)["csrf"], "decision": "confirmed",
                             "note": "seen on camera"}, follow_redirects=False)
    assert done.status_code == 303
    assert fraud.get_flag(rt, shop.tenant_id, flag.id).status == "confirmed"
    confirmed = client.get("/console/fraud", params={"status": "confirmed"})
    assert f'id="flag-{flag.id}"' in confirmed.text and "seen on camera" in confirmed.text
    assert f'id="flag-{flag.id}"' not in client.get("/console/fraud").text


def test_an_analyst_reads_the_flags_and_may_not_decide(client: TestClient, rt: Runtime,
                                                       shop: Shop) -> None:
    flagged_pair(rt, shop)
    fraud.scan(rt, shop.tenant_id)
    [flag] = fraud.list_flags(rt, shop.tenant_id).items
    signed_in(client, rt, shop, "analyst")
    page = client.get("/console/fraud")
    assert page.status_code == 200 and f'id="flag-{flag.id}"' in page.text
    assert 'value="confirmed"' not in page.text and "/console/fraud/scan" not in page.text
    refused = client.post(f"/console/fraud/{flag.id}/decision",
                          data={"csrf": form_of(page.text)["csrf"], "decision": "dismissed"})
    assert refused.status_code == 403
    assert fraud.get_flag(rt, shop.tenant_id, flag.id).status == "open"


def test_another_businesss_flag_is_not_found(client: TestClient, rt: Runtime,
                                             shop: Shop) -> None:
    flagged_pair(rt, shop)
    fraud.scan(rt, shop.tenant_id)
    [flag] = fraud.list_flags(rt, shop.tenant_id).items
    other = make_shop(rt, "Other Shop")
    signed_in(client, rt, other, "owner")
    page = client.get("/console/fraud")
    assert "Olga" not in page.text
    refused = client.post(f"/console/fraud/{flag.id}/decision",
                          data={"csrf": form_of(page.text)["csrf"], "decision": "dismissed"})
    assert refused.status_code == 404
    assert fraud.get_flag(rt, shop.tenant_id, flag.id).status == "open"


def test_an_owner_edits_the_thresholds_on_the_audit_trail(client: TestClient, rt: Runtime,
                                                          shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/fraud")
    assert "The defaults are in use." in page.text and 'name="flag_score"' in page.text
    form = {**form_of(page.text), "flag_score": "40", "min_pair_receipts": "3",
            "burst_window_minutes": "60", "burst_receipts": "3", "typed_share_percent": "70"}
    bad = client.post("/console/fraud/settings", data={
        **form, "flag_score": "0", "burst_window_minutes": "ten"})
    assert bad.status_code == 422
    assert 'id="e-flag_score"' in bad.text and 'id="e-burst_window_minutes"' in bad.text
    assert 'value="ten"' in bad.text
    assert fraud.get_settings(rt, shop.tenant_id).updated_at is None
    saved = client.post("/console/fraud/settings", data=form)
    assert saved.status_code == 200 and 'id="thresholds-saved"' in saved.text
    found = fraud.get_settings(rt, shop.tenant_id)
    assert (found.flag_score, found.min_pair_receipts, found.burst_window_minutes,
            found.burst_receipts, found.typed_share_percent) == (40, 3, 60, 3, 70)
    [entry] = audit.entries(rt, shop.tenant_id, Filters(action="settings.fraud"))
    assert entry.actor.startswith("staff")


def test_an_analyst_reads_the_thresholds_and_may_not_change_them(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    fraud.put_settings(rt, shop.tenant_id, Thresholds(flag_score=35), actor=audit.SYSTEM)
    signed_in(client, rt, shop, "analyst")
    page = client.get("/console/fraud")
    assert "<dd>35</dd>" in page.text and 'name="flag_score"' not in page.text
    refused = client.post("/console/fraud/settings", data={
        "csrf": form_of(page.text)["csrf"], "flag_score": "90", "min_pair_receipts": "4",
        "burst_window_minutes": "120", "burst_receipts": "2", "typed_share_percent": "50"})
    assert refused.status_code == 403
    assert fraud.get_settings(rt, shop.tenant_id).flag_score == 35


def test_thresholds_are_each_businesss_own(client: TestClient, rt: Runtime,
                                           shop: Shop) -> None:
    other = make_shop(rt, "Other Shop")
    signed_in(client, rt, other, "owner")
    page = client.get("/console/fraud")
    client.post("/console/fraud/settings", data={
        "csrf": form_of(page.text)["csrf"], "flag_score": "90", "min_pair_receipts": "4",
        "burst_window_minutes": "120", "burst_receipts": "2", "typed_share_percent": "50"})
    assert fraud.get_settings(rt, other.tenant_id).flag_score == 90
    assert fraud.get_settings(rt, shop.tenant_id).updated_at is None
