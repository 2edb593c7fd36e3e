"""Wallet passes and stamp cards on the pages: the owner uploads credentials (shown back
only as "configured" with the certificate's subject and expiry, a wrong key refused beside
its field); the member's page offers the Apple pass and the Google link and shows the stamp
card's "7 of 10"."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient

from regulars.domain.stamps.cards import Reward, StampCard
from regulars.services.audit import audit
from regulars.services.passes import passes
from regulars.services.runtime import Runtime
from regulars.services.stamps import cards
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, signed_in
from tests.e2e.web.customer_support import register, sign_in_member
from tests.integration.pass_credentials import key_pem, new_key
from tests.integration.support import Pos, line, phone
from tests.integration.test_wallet_passes import apple as apple  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def test_the_owner_uploads_credentials_that_never_show_again(
        client: TestClient, rt: Runtime, shop: Shop, apple: dict[str, str]) -> None:
    signed_in(client, rt, shop, "owner")
    page = client.get("/console/settings/passes")
    assert page.status_code == 200 and "Not configured." in page.text
    wrong = client.post("/console/settings/passes/apple", data={
        **form_of(page.text), "apple_pass_type_id": "pass.test.regulars",
        "apple_team_id": "ABCDE12345", "apple_certificate_pem": apple["certificate_pem"],
        "apple_key_pem": key_pem(new_key()), "apple_wwdr_pem": apple["wwdr_pem"]})
    assert wrong.status_code == 422 and 'id="e-apple_certificate_pem"' in wrong.text
    assert 'value="pass.test.regulars"' in wrong.text
    done = client.post("/console/settings/passes/apple", data={
        **form_of(page.text), "apple_pass_type_id": "pass.test.regulars",
        "apple_team_id": "ABCDE12345", "apple_certificate_pem": apple["certificate_pem"],
        "apple_key_pem": apple["key_pem"], "apple_wwdr_pem": apple["wwdr_pem"]},
        follow_redirects=False)
    assert done.status_code == 303
    shown = client.get("/console/settings/passes").text
    assert "CN=Pass Type ID: pass.test.regulars" in shown
    assert "BEGIN" not in shown


def test_the_member_page_offers_passes_and_shows_the_stamp_card(
        client: TestClient, rt: Runtime, shop: Shop, apple: dict[str, str]) -> None:
    card = cards.create(rt, shop.tenant_id, StampCard(
        id=0, name="Coffee", categories=frozenset({"coffee"}), per_card=10,
        reward=Reward.FREE_ITEM, titles={"en": "Coffee card"}), audit.staff(None))
    member_id = register(rt, shop.tenant_id, 1)
    Pos(rt, shop).commit(member_id, (line("CAP-M", 350, 7, category="coffee"),),
                         receipt="R-1")
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    home = client.get(f"/c/{shop.tenant_id}")
    assert f'data-card="{card.id}"' in home.text and "7 of 10" in home.text
    assert 'id="wallet-passes"' not in home.text
    assert client.get(f"/c/{shop.tenant_id}/pass.pkpass").status_code == 404

    passes.save_apple(rt, shop.tenant_id, pass_type_id="pass.test.regulars",
                      team_id="ABCDE12345", actor=audit.staff(None), **apple)
    key = new_key()
    passes.save_google(rt, shop.tenant_id, issuer_id="3388000000012345678",
                       service_email="w@test.iam.gserviceaccount.com", key_pem=key_pem(key),
                       actor=audit.staff(None))
    home = client.get(f"/c/{shop.tenant_id}")
    assert 'id="apple-wallet"' in home.text and 'id="google-wallet"' in home.text
    got = client.get(f"/c/{shop.tenant_id}/pass.pkpass")
    assert got.headers["content-type"] == "application/vnd.apple.pkpass"
    body = json.loads(zipfile.ZipFile(io.BytesIO(got.content)).read("pass.json"))
    assert body["webServiceURL"].endswith(f"/v1/passes/apple/{shop.tenant_id}")
    google = client.get(f"/c/{shop.tenant_id}/google-wallet", follow_redirects=False)
    assert google.status_code == 303
    assert google.headers["location"].startswith("https://pay.google.com/gp/v/save/")
