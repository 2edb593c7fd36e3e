"""Signing wallet passes, offline: an Apple ``.pkpass`` and a Google Wallet JWT.

An Apple pass is a zip of its files, ``manifest.json`` (each file's SHA-1, hex) and
``signature``: a detached PKCS#7 (DER) signature of the manifest made with the business's
pass certificate and key, carrying Apple's WWDR intermediate certificate. A Google Wallet
link carries a JWT signed RS256 with the business's service account key.

Credentials are PEM text; :func:`load_apple` and :func:`load_google_key` check them and raise
``ValueError`` with a sentence saying what is wrong (never the key's content).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

MAX_PEM_CHARS = 20_000


@dataclass(frozen=True)
class AppleCredentials:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    wwdr: x509.Certificate


def _certificate(pem: str, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValueError(f"the {what} is not a PEM certificate") from exc


def _rsa_key(pem: str, what: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"the {what} is not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"the {what} is not an RSA key")
    return key


def load_apple(certificate_pem: str, key_pem: str, wwdr_pem: str) -> AppleCredentials:
    """The pass certificate, its key and the WWDR intermediate, checked: the key must be
    the certificate's. Raises ``ValueError``."""
    certificate = _certificate(certificate_pem, "pass certificate")
    key = _rsa_key(key_pem, "pass key")
    wwdr = _certificate(wwdr_pem, "WWDR certificate")
    public = certificate.public_key()
    if (not isinstance(public, rsa.RSAPublicKey)
            or public.public_numbers() != key.public_key().public_numbers()):
        raise ValueError("the pass key does not belong to the pass certificate")
    return AppleCredentials(certificate=certificate, key=key, wwdr=wwdr)


def load_google_key(key_pem: str) -> rsa.RSAPrivateKey:
    return _rsa_key(key_pem, "service account key")


def subject_and_expiry(certificate_pem: str) -> tuple[str, datetime]:
    """A certificate's subject (RFC 4514) and the end of its validity."""
    certificate = _certificate(certificate_pem, "pass certificate")
    return certificate.subject.rfc4514_string(), certificate.not_valid_after_utc


def manifest(files: dict[str, bytes]) -> bytes:
    """``manifest.json``: each file's SHA-1 in hex, keys sorted."""
    return json.dumps({name: hashlib.sha1(data).hexdigest()  # noqa: S324  (Apple's format)
                       for name, data in sorted(files.items())}, indent=1).encode()


def sign_manifest(data: bytes, credentials: AppleCredentials) -> bytes:
    """A detached PKCS#7 signature (DER) of ``data``, with the WWDR certificate included."""
    return (pkcs7.PKCS7SignatureBuilder().set_data(data)
            .add_signer(credentials.certificate, credentials.key, hashes.SHA256())
            .add_certificate(credentials.wwdr)
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                               pkcs7.PKCS7Options.Binary]))


def pkpass(files: dict[str, bytes], credentials: AppleCredentials) -> bytes:
    """The ``.pkpass`` zip: ``files``, their manifest and its signature."""
    listed = manifest(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", listed)
        archive.writestr("signature", sign_manifest(listed, credentials))
    return buffer.getvalue()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs256_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A compact JWT of ``claims`` signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256)."""
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":"))
                     .encode())
    body = _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{header}.{body}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{_b64url(signature)}"


def square_png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A square PNG of one colour (the pass's required icon, made without an image
    library)."""
    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw)
            + chunk(b"IEND", b""))
