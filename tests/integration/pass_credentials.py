"""Self-signed stand-ins for a business's wallet pass credentials, and the check that a
``.pkpass`` signature verifies (with the openssl command) over its manifest and no other."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key: rsa.RSAPrivateKey) -> str:
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


def apple_credentials() -> dict[str, Any]:
    """A pass certificate and key issued by a self-signed stand-in for Apple's WWDR."""
    wwdr_key, pass_key = new_key(), new_key()
    wwdr = _certificate("Test WWDR", wwdr_key, issuer="Test WWDR", issuer_key=wwdr_key,
                        ca=True)
    certificate = _certificate("Pass Type ID: pass.test.regulars", pass_key,
                               issuer="Test WWDR", issuer_key=wwdr_key, ca=False)
    pem = serialization.Encoding.PEM
    return {"certificate_pem": certificate.public_bytes(pem).decode(),
            "key_pem": key_pem(pass_key), "wwdr_pem": wwdr.public_bytes(pem).decode()}


def verify_signature(files: dict[str, bytes], apple: dict[str, Any], tmp_path: Path) -> None:
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
