"""Wallet passes made offline from test credentials generated here: the Apple pass's
manifest hashes its files, its detached PKCS#7 signature verifies against the pass
certificate and the WWDR intermediate, pass.json carries the member's QR token, balance,
level, web service URL and a token stored only as a digest; the Google link's JWT verifies
with the service account's public key and carries the loyalty object. Credentials never come
back."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from regulars.db.messaging.tables import outbox_messages
from regulars.db.passes import passes as pass_rows
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.passes import passes
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.pass_credentials import (
    apple_credentials,
    key_pem,
    new_key,
    verify_signature,
)
from tests.integration.support import Pos

ACTOR = audit.staff(None)


@pytest.fixture(scope="module")
def apple() -> dict[str, Any]:
    return apple_credentials()


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Pass Café"))


def _save_apple(rt: Runtime, tenant_id: int, apple: dict[str, Any]) -> passes.PassSettingsView:
    return passes.save_apple(rt, tenant_id, pass_type_id="pass.test.regulars",
                             team_id="ABCDE12345", actor=ACTOR, **apple)


def test_an_apple_pass_is_signed_and_carries_the_card(pos: Pos, rt: Runtime,
                                                      apple: dict[str, Any],
                                                      tmp_path: Path) -> None:
    shown = _save_apple(rt, pos.tenant_id, apple)
    assert shown.apple_configured and shown.apple_subject == (
        "CN=Pass Type ID: pass.test.regulars")
    assert "PRIVATE KEY" not in json.dumps(asdict(shown), default=str)
    member = pos.register(1)
    pos.grant(member["id"], 120)

    made = passes.apple_pass(rt, pos.tenant_id, member["id"], base_url="https://loyal.test")

    archive = zipfile.ZipFile(io.BytesIO(made.content))
    files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest  # noqa: S324
    body = json.loads(files["pass.json"])
    assert body["barcodes"][0]["message"] == member["qr_token"]
    assert body["storeCard"]["primaryFields"][0]["value"] == pos.balance(member["id"])
    assert body["storeCard"]["secondaryFields"][0]["value"] == member["level"]["name"]
    assert body["webServiceURL"] == f"https://loyal.test/v1/passes/apple/{pos.tenant_id}"
    assert (body["serialNumber"], body["teamIdentifier"]) == (made.serial, "ABCDE12345")
    with rt.db.read() as conn:
        stored = pass_rows.token_digest_of(conn, pos.tenant_id, made.serial)
    assert stored == hashlib.sha256(body["authenticationToken"].encode()).hexdigest()
    verify_signature(files, apple, tmp_path)

    again = passes.apple_pass(rt, pos.tenant_id, member["id"], base_url="https://loyal.test")
    assert again.serial == made.serial  # one pass per member, a fresh token


def test_a_google_link_carries_a_jwt_signed_with_the_service_key(pos: Pos,
                                                                 rt: Runtime) -> None:
    key = new_key()
    passes.save_google(rt, pos.tenant_id, issuer_id="3388000000012345678",
                       service_email="wallet@test.iam.gserviceaccount.com", key_pem=key_pem(key),
                       actor=ACTOR)
    member = pos.register(1)
    link = passes.google_link(rt, pos.tenant_id, member["id"])

    assert link.startswith("https://pay.google.com/gp/v/save/")
    token = link.removeprefix("https://pay.google.com/gp/v/save/")
    header, body, signature = token.split(".")

    def decoded(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    key.public_key().verify(decoded(signature), f"{header}.{body}".encode(),
                            padding.PKCS1v15(), hashes.SHA256())
    assert json.loads(decoded(header)) == {"alg": "RS256", "typ": "JWT"}
    claims = json.loads(decoded(body))
    assert (claims["iss"], claims["aud"], claims["typ"]) == (
        "wallet@test.iam.gserviceaccount.com", "google", "savetowallet")
    [card] = claims["payload"]["loyaltyObjects"]
    assert card["barcode"] == {"type": "QR_CODE", "value": member["qr_token"]}
    assert card["loyaltyPoints"]["balance"] == {"int": pos.balance(member["id"])}
    assert card["textModulesData"][0]["body"] == member["level"]["name"]
    assert card["classId"] == f"3388000000012345678.regulars-{pos.tenant_id}"
    # What a later update through Google's API needs: the object's id, made again from
    # the issuer, business and member.
    assert card["id"] == passes.google_object_id("3388000000012345678", pos.tenant_id,
                                                 member["id"])
    assert card["id"] == f"3388000000012345678.regulars-{pos.tenant_id}-{member['id']}"


def test_passes_need_credentials_and_refuse_wrong_ones(pos: Pos, rt: Runtime,
                                                       apple: dict[str, Any]) -> None:
    member = pos.register(1)
    with pytest.raises(NotFound):
        passes.apple_pass(rt, pos.tenant_id, member["id"], base_url="https://loyal.test")
    with pytest.raises(NotFound):
        passes.google_link(rt, pos.tenant_id, member["id"])
    with pytest.raises(InvalidInput) as wrong:
        _save_apple(rt, pos.tenant_id, {**apple, "key_pem": key_pem(new_key())})
    assert wrong.value.field == "certificate_pem"
    with pytest.raises(InvalidInput) as garbage:
        passes.save_google(rt, pos.tenant_id, issuer_id="1", service_email="a@b",
                           key_pem="not a key", actor=ACTOR)
    assert garbage.value.field == "key_pem"
    assert not passes.settings_view(rt, pos.tenant_id).apple_configured


def test_another_business_member_gets_no_pass(pos: Pos, rt: Runtime,
                                             apple: dict[str, Any]) -> None:
    other = Pos(rt, make_shop(rt, "Other Café"))
    theirs = other.register(2)
    _save_apple(rt, pos.tenant_id, apple)
    with pytest.raises(NotFound):
        passes.apple_pass(rt, pos.tenant_id, theirs["id"], base_url="https://loyal.test")


def _welcome_of(rt: Runtime, member_id: int) -> str:
    o = outbox_messages
    with rt.db.read() as conn:
        return str(conn.execute(select(o.c.body).where(o.c.member_id == member_id,
                                                       o.c.event == "welcome")).scalar_one())


def test_the_welcome_carries_the_wallet_link_only_once_passes_are_set_up(
        pos: Pos, rt: Runtime, apple: dict[str, Any]) -> None:
    before = pos.register(1)["id"]
    passes.save_google(rt, pos.tenant_id, issuer_id="3388000000012345678",
                       service_email="wallet@test.iam.gserviceaccount.com",
                       key_pem=key_pem(new_key()), actor=ACTOR)
    google = pos.register(2)["id"]
    _save_apple(rt, pos.tenant_id, apple)
    both = pos.register(3)["id"]

    # The tenant speaks Russian: the line without a link is left out, not sent empty.
    assert _welcome_of(rt, before).startswith("Добро пожаловать в Pass Café")
    assert "\n" not in _welcome_of(rt, before) and "телефон" not in _welcome_of(rt, before)
    assert _welcome_of(rt, google).endswith(
        f"\nДобавьте карту в телефон: /c/{pos.tenant_id}/google-wallet")
    # Both wallets: the member page, whose buttons give each phone its own.
    assert _welcome_of(rt, both).endswith(
        f"\nДобавьте карту в телефон: /c/{pos.tenant_id}#wallet-passes")


def test_with_apple_wallet_alone_the_welcome_links_the_pass_itself(
        pos: Pos, rt: Runtime, apple: dict[str, Any]) -> None:
    _save_apple(rt, pos.tenant_id, apple)
    member = pos.register(4)["id"]
    assert _welcome_of(rt, member).endswith(
        f"\nДобавьте карту в телефон: /c/{pos.tenant_id}/pass.pkpass")
