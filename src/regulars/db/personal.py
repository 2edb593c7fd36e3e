"""Personal identifiers at rest: sealed (AES-GCM) and found through a keyed blind index.

A phone number, card number or QR token is never stored as itself. Its row keeps

- the value *sealed*: ``<key id>.<base64url(nonce | ciphertext | tag)>``, AES-256-GCM under
  the current encryption key with a random 96-bit nonce per value; the key id (8 hex digits
  of a hash of the key) says which key opens it, so keys can rotate while old values are
  still read (``regulars keys rotate`` re-seals them under the current one);
- its *blind index*: HMAC-SHA-256, under a key of its own, of ``tenant:kind:value`` (the value
  normalised: E.164 for a phone). Equal values give equal indexes, so a look-up is one HMAC and
  one indexed equality; the index gives nothing back without the key (ten billion phone
  numbers are quick to hash, but not without it).

Both keys are derived (HKDF-SHA-256, distinct labels) from one secret, the
``personal_data_key`` setting; a copy of the database without that secret holds no
identifier in the clear. The keys of the process are set once by the composition root
(:func:`use`); until then, and in tests, the built-in development secret, which protects
nothing (a server refuses to start with it unless allowed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DEVELOPMENT_SECRET = "regulars-development-personal-data-key"
NONCE_BYTES = 12
_URLSAFE = bytes.maketrans(b"+/", b"-_")
"""Base64 to its URL-safe alphabet (as :func:`base64.urlsafe_b64encode` writes it)."""


class UnknownKey(Exception):
    """A sealed value whose key is not among the process's keys (current and old): the
    ``personal_data_old_keys`` setting must name the secret it was sealed under."""


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"regulars personal data",
                info=label).derive(secret.encode())


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM


def _key(secret: str) -> _Key:
    material = _derive(secret, b"encryption")
    key_id = hashlib.sha256(b"key id:" + material).hexdigest()[:8]
    return _Key(key_id=key_id, aead=AESGCM(material))


@dataclass(frozen=True)
class Keyring:
    """The current encryption key, the older ones kept for reading, and the blind index key.

    Never printed: the representation names key ids only."""

    current: _Key
    index_key: bytes = field(repr=False)
    readable: dict[str, _Key] = field(repr=False)

    @classmethod
    def from_secrets(cls, secret: str, old_secrets: Iterable[str] = (), *,
                     index_secret: str | None = None) -> Keyring:
        """Keys from ``secret`` (empty: the development secret); ``old_secrets`` open values
        sealed before a rotation; the blind index is keyed from ``index_secret`` (default:
        ``secret``)."""
        secret = secret or DEVELOPMENT_SECRET
        current = _key(secret)
        readable = {k.key_id: k for k in (_key(s) for s in old_secrets if s)}
        readable[current.key_id] = current
        index_key = _derive(index_secret or secret, b"blind index")
        return cls(current=current, index_key=index_key, readable=readable)

    @property
    def key_id(self) -> str:
        return self.current.key_id

    def seal(self, value: str) -> str:
        return self.seal_many((value,))[0]

    def seal_many(self, values: Sequence[str]) -> list[str]:
        """:meth:`seal` of each of ``values``, as a batch: their nonces drawn at once."""
        encrypt, prefix = self.current.aead.encrypt, f"{self.current.key_id}."
        nonces = os.urandom(NONCE_BYTES * len(values))
        sealed = []
        for at, value in enumerate(values):
            nonce = nonces[at * NONCE_BYTES:(at + 1) * NONCE_BYTES]
            body = binascii.b2a_base64(nonce + encrypt(nonce, value.encode(), None),
                                       newline=False)
            sealed.append(prefix + body.translate(_URLSAFE).decode())
        return sealed

    def open(self, sealed: str) -> str:
        """Raises :class:`UnknownKey` for a value sealed under a key this keyring lacks."""
        key_id, _, body = sealed.partition(".")
        key = self.readable.get(key_id)
        if key is None:
            raise UnknownKey(f"no key {key_id} to open a personal value with")
        raw = base64.urlsafe_b64decode(body)
        try:
            return key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()
        except InvalidTag as exc:
            raise UnknownKey(f"key {key_id} does not open this value") from exc

    def is_current(self, sealed: str) -> bool:
        return sealed.startswith(self.current.key_id + ".")

    def index(self, tenant_id: int, kind: str, value: str) -> str:
        return hmac.digest(self.index_key, f"{tenant_id}:{kind}:{value}".encode(),
                           "sha256").hex()


_keys = Keyring.from_secrets("")


def use(keyring: Keyring) -> None:
    """Make ``keyring`` the process's keys (the composition root calls it once)."""
    global _keys
    _keys = keyring


def keys() -> Keyring:
    return _keys


def seal(value: str) -> str:
    return _keys.seal(value)


def seal_many(values: Sequence[str]) -> list[str]:
    return _keys.seal_many(values)


def seal_optional(value: str | None) -> str | None:
    return None if value is None else _keys.seal(value)


def unseal(sealed: str) -> str:
    return _keys.open(sealed)


def unseal_optional(sealed: str | None) -> str | None:
    return None if sealed is None else _keys.open(sealed)


def blind_index(tenant_id: int, kind: str, value: str) -> str:
    return _keys.index(tenant_id, kind, value)


def blind_index_optional(tenant_id: int, kind: str, value: str | None) -> str | None:
    return None if value is None else _keys.index(tenant_id, kind, value)


def opened(record: dict[str, Any], sealed_key: str, name: str) -> dict[str, Any]:
    """``record`` with its sealed ``sealed_key`` replaced by the value opened, as ``name``."""
    record[name] = unseal_optional(record.pop(sealed_key))
    return record
