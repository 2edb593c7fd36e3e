"""Standard Webhooks (standardwebhooks.com): the signature of a delivery and the addresses a
webhook may be sent to.

The signature is ``v1,`` followed by the base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``
under the secret (the bytes whose base64 follows ``whsec_``). During a secret rotation's
overlap both the new and the previous secret sign, space-separated, so a receiver that knows
either accepts the delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of the delivery under ``secret``."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: list[str], *, msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_)


def verify(secret: str, *, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether any signature in ``header`` is the secret's (what a receiver checks)."""
    expected = sign(secret, msg_id=msg_id, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, given) for given in header.split())


def is_public(address: str) -> bool:
    """Whether ``address`` (an IP address) is a public one: globally routable (not loopback,
    link-local, private, shared carrier-grade NAT space, documentation, reserved), not
    multicast or unspecified (IPv4-mapped IPv6 judged as its IPv4)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_loopback or ip.is_link_local or ip.is_private
                                 or ip.is_reserved or ip.is_multicast or ip.is_unspecified)
