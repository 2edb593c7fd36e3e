"""The till in the browser: the paired till acting as a POS principal, finding a member by
whatever the cashier typed or scanned, and the till's receipts of the day.

Selling, refunding and registering go through the same services as the POS API
(:mod:`regulars.services.checkout.checkout`, :mod:`regulars.services.checkout.commit`,
:mod:`regulars.services.members.registration`), with the till's :class:`Principal` built from
its web session.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from regulars.db.checkout import receipts
from regulars.db.checkout import till_reads as reads
from regulars.db.rewards import rewards as reward_rows
from regulars.errors import Forbidden, InvalidInput, NotFound
from regulars.services.checkout import checkout
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.rewards import referrals
from regulars.services.runtime import Runtime
from regulars.services.stored_value import goods as stored_value_goods
from regulars.services.stored_value.results import GoodsAccountView
from regulars.services.tenancy.api_keys import Principal
from regulars.services.tenancy.tenants import get_tenant
from regulars.services.web_sessions.sessions import WebSession

RECEIPTS_SHOWN = 100
QR_TOKEN = re.compile(r"Q[A-Za-z0-9_-]{16,40}")  # "Q" + token_urlsafe(15), as registration makes


def principal_for(session: WebSession) -> Principal:
    """The till a terminal session (the till's or its cashier's) sells as. ``key_id`` is 0:
    the browser holds a session, not the till's key."""
    if session.kind not in ("till", "cashier") or session.terminal_id is None \
            or session.store_id is None:
        raise Forbidden("pair this browser with a till first")
    return Principal(tenant_id=session.tenant_id, kind="till", key_id=0,
                     terminal_id=session.terminal_id, store_id=session.store_id)


def find_member(rt: Runtime, session: WebSession, *, text: str = "",
                qr: str = "") -> members.MemberView:
    """The member behind whatever the cashier typed or scanned into the one box: a QR token
    (as a USB scanner types it, alone or at the end of a link), a phone number in any usual
    format, or a card number; ``qr`` is what the camera read. Raises :class:`NotFound`
    (field ``q``) when nobody matches, and :class:`InvalidInput` (field ``q``) when the text
    can be none of them."""
    tenant_id = principal_for(session).tenant_id
    text = (qr or text).strip()
    if not text:
        raise InvalidInput("enter a phone number, a card number or the QR code", field="q")
    token = text.rstrip("/").rsplit("/", 1)[-1]
    refs = [MemberRef(qr=token)] if QR_TOKEN.fullmatch(token) else []
    if not any(ch.isalpha() for ch in text):
        refs.append(MemberRef(phone=text))
    refs.append(MemberRef(card=text))
    first_error: InvalidInput | None = None
    looked = False
    for ref in refs:
        try:
            return members.get(rt, tenant_id, ref)
        except NotFound:
            looked = True
        except InvalidInput as exc:
            first_error = first_error or exc
    if looked or first_error is None:
        raise NotFound("no member with this phone, card or QR code", field="q")
    raise InvalidInput(first_error.detail, field="q")


def check_phone(rt: Runtime, tenant_id: int, phone: str) -> None:
    """Raise the :class:`InvalidInput` (field ``phone``) that registering ``phone`` would."""
    if not phone.strip():
        raise InvalidInput("a phone number or a card number is required", field="phone")
    members.normalize_phone(phone, get_tenant(rt, tenant_id).phone_region)


def referral_code_owner(rt: Runtime, tenant_id: int, code: str) -> int | None:
    """The member whose invitation code this is (as typed: any case, spaces), or None."""
    normal = referrals.normalize_code(code)
    if normal is None:
        return None
    with rt.db.read() as conn:
        return reward_rows.code_owner(conn, tenant_id, normal)


def member(rt: Runtime, session: WebSession, member_id: int) -> members.MemberView:
    return members.get(rt, principal_for(session).tenant_id, MemberRef(id=member_id))


def goods_accounts(rt: Runtime, session: WebSession,
                   member_id: int) -> tuple[GoodsAccountView, ...]:
    """The member's prepaid goods accounts, for the cashier to take as payment."""
    return stored_value_goods.list_accounts(rt, principal_for(session).tenant_id,
                                            member_id=member_id)


def receipts_today(rt: Runtime, session: WebSession) -> list[dict[str, Any]]:
    """The till's receipts recorded since midnight in the business's time zone."""
    principal = principal_for(session)
    assert principal.terminal_id is not None
    tenant = get_tenant(rt, principal.tenant_id)
    zone = ZoneInfo(tenant.timezone)
    midnight = datetime.combine(rt.now().astimezone(zone).date(), time(), zone)
    with rt.db.read() as conn:
        return reads.till_receipts(conn, principal.tenant_id, principal.terminal_id,
                                   since=midnight.astimezone(UTC), limit=RECEIPTS_SHOWN)


def receipt(rt: Runtime, session: WebSession, receipt_pk: int) -> dict[str, Any]:
    """One of this till's receipts with its lines, refunds, the explanations and the catalogue
    reward (``None``: none) its commit gave, and the balances its certificate and wallet
    tenders had left (``left``). Raises :class:`NotFound` for another till's (or tenant's)
    receipt."""
    principal = principal_for(session)
    with rt.db.read() as conn:
        row = receipts.get_receipt(conn, principal.tenant_id, receipt_pk)
        if row is None or row["terminal_id"] != principal.terminal_id:
            raise NotFound("receipt not found")
        view: dict[str, Any] = to_json(checkout.receipt_view(conn, principal.tenant_id, row))
    answer = row["response"] if isinstance(row["response"], dict) else {}
    view["explanations"] = answer.get("explanations", [])
    view["member_after"] = answer.get("member")
    view["left"] = balances_left(answer)
    view["reward"] = answer.get("reward")
    return view


def balances_left(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """What the certificates and the wallet that paid a receipt had left, as its commit
    answered (the stored answer: a certificate by its code's last four characters)."""
    return [{"kind": t["kind"], "ending": t.get("code_ending") or "",
             "balance_minor": int(t["balance_minor"])}
            for t in answer.get("tenders", [])
            if isinstance(t, dict) and t.get("kind") in ("certificate", "wallet")
            and isinstance(t.get("balance_minor"), int)]
