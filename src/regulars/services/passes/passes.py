"""The member's card in the phone's wallet, made offline from the business's credentials.

- **Apple Wallet** (:func:`apple_pass`): a signed ``.pkpass`` store card with the member's QR
  token, points balance and level, and the ``webServiceURL`` (served by
  :mod:`regulars.services.passes.web_service`) and ``authenticationToken`` a later push
  service needs. The token is random and stored only as its SHA-256 digest; each
  pass made gives the member's pass (one serial per member) a new token, so the pass last
  downloaded is the one a push service will accept.
- **Google Wallet** (:func:`google_link`): ``https://pay.google.com/gp/v/save/<JWT>``, the JWT
  signed RS256 with the business's service account key, carrying a ``loyaltyObject`` with
  the barcode, balance and level.

Credentials (:func:`save_apple`, :func:`save_google`) are checked before they are stored and
never leave the server: :func:`settings_view` says only whether each wallet is configured,
and the certificate's subject and expiry. Every change is on the audit trail.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.passes import passes as store
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.members import members
from regulars.services.members.members import MemberRef, MemberView
from regulars.services.passes import signing
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

GOOGLE_SAVE_URL = "https://pay.google.com/gp/v/save/"
ICON = signing.square_png(58, (31, 94, 140))


@dataclass(frozen=True, kw_only=True)
class PassSettingsView:
    """What the console shows of the credentials: never the keys or certificates."""

    apple_configured: bool
    apple_pass_type_id: str | None
    apple_subject: str | None
    apple_expires_at: datetime | None
    google_configured: bool
    google_issuer_id: str | None


@dataclass(frozen=True, kw_only=True)
class ApplePass:
    serial: str
    content: bytes


def settings_view(rt: Runtime, tenant_id: int) -> PassSettingsView:
    with rt.db.read() as conn:
        row = store.settings_of(conn, tenant_id) or {}
    apple = bool(row.get("apple_certificate_pem") and row.get("apple_key_pem"))
    subject = expires = None
    if apple:
        subject, expires = signing.subject_and_expiry(row["apple_certificate_pem"])
    return PassSettingsView(
        apple_configured=apple, apple_pass_type_id=row.get("apple_pass_type_id"),
        apple_subject=subject, apple_expires_at=expires,
        google_configured=bool(row.get("google_key_pem")),
        google_issuer_id=row.get("google_issuer_id"))


def offer_url(conn: Connection, rt: Runtime, tenant_id: int) -> str:
    """The link a message offers the member's card in a phone wallet by, in the caller's
    transaction: the Apple Wallet pass or Google Wallet's, whichever the business has set
    up; the member page's wallet buttons when it has both (an iPhone and an Android phone
    each take their own); empty when it has neither. The customer page asks the member to
    sign in first."""
    row = store.settings_of(conn, tenant_id) or {}
    base = f"{(rt.settings.public_url or '').rstrip('/')}/c/{tenant_id}"
    apple = bool(row.get("apple_certificate_pem") and row.get("apple_key_pem"))
    google = bool(row.get("google_key_pem"))
    if apple and google:
        return f"{base}#wallet-passes"
    if apple:
        return f"{base}/pass.pkpass"
    return f"{base}/google-wallet" if google else ""


def _text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput("1 to %(limit)s characters", field=field, params={"limit": limit})
    return value


def save_apple(rt: Runtime, tenant_id: int, *, pass_type_id: str, team_id: str,
               certificate_pem: str, key_pem: str, wwdr_pem: str,
               actor: audit.Actor) -> PassSettingsView:
    """Store the Apple pass credentials after checking them (the key must be the
    certificate's). Raises :class:`InvalidInput` naming the field at fault."""
    fields = {"pass_type_id": _text(pass_type_id, "pass_type_id", 200),
              "team_id": _text(team_id, "team_id", 20)}
    pems = {"certificate_pem": certificate_pem, "key_pem": key_pem, "wwdr_pem": wwdr_pem}
    for name, pem in pems.items():
        if not pem.strip() or len(pem) > signing.MAX_PEM_CHARS:
            raise InvalidInput("paste the PEM text", field=name)
    try:
        signing.load_apple(certificate_pem, key_pem, wwdr_pem)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="certificate_pem") from exc
    with rt.db.write() as conn:
        store.save_settings(conn, tenant_id, now=rt.now(),
                            apple_pass_type_id=fields["pass_type_id"],
                            apple_team_id=fields["team_id"],
                            apple_certificate_pem=certificate_pem, apple_key_pem=key_pem,
                            apple_wwdr_pem=wwdr_pem)
        audit.record(conn, tenant_id, actor, "passes.apple", "wallet passes", at=rt.now(),
                     pass_type_id=fields["pass_type_id"])
    return settings_view(rt, tenant_id)


def save_google(rt: Runtime, tenant_id: int, *, issuer_id: str, service_email: str,
                key_pem: str, actor: audit.Actor) -> PassSettingsView:
    """Store the Google Wallet issuer and service account key after checking the key.
    Raises :class:`InvalidInput` naming the field at fault."""
    issuer = _text(issuer_id, "issuer_id", 40)
    if not issuer.isdigit():
        raise InvalidInput("the issuer id is a number", field="issuer_id")
    email = _text(service_email, "service_email", 200)
    if not key_pem.strip() or len(key_pem) > signing.MAX_PEM_CHARS:
        raise InvalidInput("paste the PEM text", field="key_pem")
    try:
        signing.load_google_key(key_pem)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="key_pem") from exc
    with rt.db.write() as conn:
        store.save_settings(conn, tenant_id, now=rt.now(), google_issuer_id=issuer,
                            google_service_email=email, google_key_pem=key_pem)
        audit.record(conn, tenant_id, actor, "passes.google", "wallet passes", at=rt.now(),
                     issuer_id=issuer)
    return settings_view(rt, tenant_id)


def member_card(rt: Runtime, tenant_id: int, member_id: int) -> MemberView:
    view = members.get(rt, tenant_id, MemberRef(id=member_id))
    if view.id != member_id:
        raise NotFound("member not found")
    return view


def configured_settings(rt: Runtime, tenant_id: int, needed: str) -> dict[str, Any]:
    with rt.db.read() as conn:
        row = store.settings_of(conn, tenant_id)
    if row is None or not row.get(needed):
        raise NotFound("wallet passes are not configured")
    return row


def pass_json(*, organization: str, pass_type_id: str, team_id: str, serial: str,
              web_service_url: str, token: str, view: MemberView) -> dict[str, Any]:
    """The pass's ``pass.json``: a store card with the QR code, balance and level."""
    qr = {"format": "PKBarcodeFormatQR", "message": view.qr_token,
          "messageEncoding": "iso-8859-1"}
    return {
        "formatVersion": 1, "passTypeIdentifier": pass_type_id, "serialNumber": serial,
        "teamIdentifier": team_id, "organizationName": organization,
        "description": f"{organization} loyalty card", "webServiceURL": web_service_url,
        "authenticationToken": token, "barcodes": [qr], "barcode": qr,
        "storeCard": {
            "primaryFields": [{"key": "balance", "label": "Points",
                               "value": view.balance_points}],
            "secondaryFields": [{"key": "level", "label": "Level",
                                 "value": view.level.name}]}}


def web_service_url(base_url: str, tenant_id: int) -> str:
    """Where the business's passes find their web service (:mod:`.web_service`): Apple's
    paths (``/v1/devices/…``, ``/v1/passes/…``, ``/v1/log``) follow it."""
    return f"{base_url.rstrip('/')}/v1/passes/apple/{tenant_id}"


def signed_pass(rt: Runtime, tenant_id: int, row: dict[str, Any], view: MemberView, *,
                serial: str, token: str, base_url: str) -> bytes:
    """The ``.pkpass`` of ``view``'s card under ``serial`` and ``token``, signed with the
    credentials in the settings ``row``."""
    credentials = signing.load_apple(row["apple_certificate_pem"], row["apple_key_pem"],
                                     row["apple_wwdr_pem"])
    body = pass_json(organization=get_tenant(rt, tenant_id).name,
                     pass_type_id=row["apple_pass_type_id"], team_id=row["apple_team_id"],
                     serial=serial, web_service_url=web_service_url(base_url, tenant_id),
                     token=token, view=view)
    files = {"pass.json": json.dumps(body, ensure_ascii=False).encode(),
             "icon.png": ICON, "icon@2x.png": ICON}
    return signing.pkpass(files, credentials)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def apple_pass(rt: Runtime, tenant_id: int, member_id: int, *, base_url: str) -> ApplePass:
    """The member's signed ``.pkpass``. Raises :class:`NotFound` for an unknown member or
    when Apple Wallet is not configured."""
    row = configured_settings(rt, tenant_id, "apple_key_pem")
    view = member_card(rt, tenant_id, member_id)
    token = secrets.token_urlsafe(24)
    with rt.db.write() as conn:
        serial = store.issue_pass(conn, tenant_id, member_id,
                                  serial=secrets.token_hex(16),
                                  token_digest=token_digest(token), now=rt.now())
    return ApplePass(serial=serial, content=signed_pass(
        rt, tenant_id, row, view, serial=serial, token=token, base_url=base_url))


def google_object_id(issuer_id: str, tenant_id: int, member_id: int) -> str:
    """The id of the member's loyalty object in Google Wallet: fixed by the issuer, business
    and member, so a later update (Google's ``loyaltyobject`` PATCH, which needs their
    network) finds the object the saved link made without anything stored for it."""
    return f"{issuer_id}.regulars-{tenant_id}-{member_id}"


def google_link(rt: Runtime, tenant_id: int, member_id: int, *, now: datetime | None = None
                ) -> str:
    """The "Save to Google Wallet" link of the member's card. Raises :class:`NotFound` for
    an unknown member or when Google Wallet is not configured."""
    row = configured_settings(rt, tenant_id, "google_key_pem")
    view = member_card(rt, tenant_id, member_id)
    issuer = row["google_issuer_id"]
    claims = {
        "iss": row["google_service_email"], "aud": "google", "typ": "savetowallet",
        "iat": int((now or rt.now()).timestamp()), "origins": [],
        "payload": {"loyaltyObjects": [{
            "id": google_object_id(issuer, tenant_id, member_id),
            "classId": f"{issuer}.regulars-{tenant_id}", "state": "ACTIVE",
            "accountId": str(member_id), "accountName": view.first_name or f"#{member_id}",
            "barcode": {"type": "QR_CODE", "value": view.qr_token},
            "loyaltyPoints": {"label": "Points", "balance": {"int": view.balance_points}},
            "textModulesData": [{"id": "level", "header": "Level",
                                 "body": view.level.name}]}]}}
    jwt = signing.rs256_jwt(claims, signing.load_google_key(row["google_key_pem"]))
    return GOOGLE_SAVE_URL + jwt
