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
import shutil
import subprocess
import zipfile
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from regulars.db.messaging.tables import outbox_messages
from regulars.db.passes import passes as pass_rows
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.passes import passes
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos

ACTOR = audit.staff(None)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _certificate(subject: str, key: rsa.RSAPrivateKey, *, issuer: str,
                 issuer_key: rsa.RSAPrivateKey, ca: bool) -> x509.Certificate:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


@pytest.fixture(scope="module")
def apple() -> dict[str, Any]:
    wwdr_key, pass_key = _key(), _key()
    wwdr = _certificate("Test WWDR", wwdr_key, issuer="Test WWDR", issuer_key=wwdr_key,
                        ca=True)
    certificate = _certificate("Pass Type ID: pass.test.regulars", pass_key,
                               issuer="Test WWDR", issuer_key=wwdr_key, ca=False)
    pem = serialization.Encoding.PEM
    return {"certificate_pem": certificate.public_bytes(pem).decode(),
            "key_pem": _pem(pass_key), "wwdr_pem": wwdr.public_bytes(pem).decode()}


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
    assert body["webServiceURL"] == "https://loyal.test/v1/passes/apple"
    assert (body["serialNumber"], body["teamIdentifier"]) == (made.serial, "ABCDE12345")
    with rt.db.read() as conn:
        stored = pass_rows.token_digest_of(conn, pos.tenant_id, made.serial)
    assert stored == hashlib.sha256(body["authenticationToken"].encode()).hexdigest()
    _verify_signature(files, apple, tmp_path)

    again = passes.apple_pass(rt, pos.tenant_id, member["id"], base_url="https://loyal.test")
    assert again.serial == made.serial  # one pass per member, a fresh token


def _verify_signature(files: dict[str, bytes], apple: dict[str, Any], tmp_path: Path) -> None:
    """The detached signature verifies over the manifest with the pass certificate chained
    to the WWDR certificate, and fails over any other content."""
    openssl = shutil.which("openssl")
    assert openssl, "the signature check needs the openssl command"
    (tmp_path / "signature").write_bytes(files["signature"])
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"])
    (tmp_path / "tampered.json").write_bytes(files["manifest.json"] + b" ")
    (tmp_path / "wwdr.pem").write_text(apple["wwdr_pem"])

    def verify(content: str) -> int:
        return subprocess.run(  # noqa: S603
            [openssl, "cms", "-verify", "-inform", "DER", "-binary", "-purpose", "any",
             "-in", str(tmp_path / "signature"), "-content", str(tmp_path / content),
             "-CAfile", str(tmp_path / "wwdr.pem"), "-out", "/dev/null"],
            capture_output=True, check=False).returncode

    assert verify("manifest.json") == 0
    assert verify("tampered.json") != 0


def test_a_google_link_carries_a_jwt_signed_with_the_service_key(pos: Pos,
                                                                 rt: Runtime) -> None:
    key = _key()
    passes.save_google(rt, pos.tenant_id, issuer_id="3388000000012345678",
                       service_email="wallet@test.iam.gserviceaccount.com", key_pem=_pem(key),
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


def test_passes_need_credentials_and_refuse_wrong_ones(pos: Pos, rt: Runtime,
                                                       apple: dict[str, Any]) -> None:
    member = pos.register(1)
    with pytest.raises(NotFound):
        passes.apple_pass(rt, pos.tenant_id, member["id"], base_url="https://loyal.test")
    with pytest.raises(NotFound):
        passes.google_link(rt, pos.tenant_id, member["id"])
    with pytest.raises(InvalidInput) as wrong:
        _save_apple(rt, pos.tenant_id, {**apple, "key_pem": _pem(_key())})
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
                       key_pem=_pem(_key()), actor=ACTOR)
    google = pos.register(2)["id"]
    _save_apple(rt, pos.tenant_id, apple)
    both = pos.register(3)["id"]

    # The tenant speaks Russian: the line without a link is left out, not sent empty.
    assert _welcome_of(rt, before).startswith("Добро пожаловать в Pass Café")
    assert "\n" not in _welcome_of(rt, before) and "телефон" not in _welcome_of(rt, before)
    assert _welcome_of(rt, google).endswith(
        f"\nДобавьте карту в телефон: /c/{pos.tenant_id}/google-wallet")
    assert _welcome_of(rt, both).endswith(
        f"\nДобавьте карту в телефон: /c/{pos.tenant_id}/pass.pkpass")
