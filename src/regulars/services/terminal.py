"""The till in the browser: the paired till acting as a POS principal, finding a member by
whatever the cashier typed or scanned, and the till's receipts of the day.

Selling, refunding and registering go through the same services as the POS API
(:mod:`regulars.services.checkout`, :mod:`regulars.services.checkout_commit`,
:mod:`regulars.services.member_registration`), with the till's :class:`Principal` built from
its web session.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from regulars.db import receipts
from regulars.db import terminal as reads
from regulars.errors import Forbidden, InvalidInput, NotFound
from regulars.services import checkout, members
from regulars.services.auth import Principal
from regulars.services.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.tenants import get_tenant
from regulars.services.web_auth import WebSession

RECEIPTS_SHOWN = 100


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
    """The member behind a scanned QR token, or a phone number in any usual format, or a card
    number. Raises :class:`NotFound` (field ``q``) when nobody matches, and the phone's
    :class:`InvalidInput` when the text is neither a valid phone nor a card number."""
    tenant_id = principal_for(session).tenant_id
    if qr.strip():
        try:
            return members.get(rt, tenant_id, MemberRef(qr=qr.strip()))
        except NotFound as exc:
            raise NotFound("this QR code belongs to no member here", field="q") from exc
    text = text.strip()
    if not text:
        raise InvalidInput("enter a phone number or a card number", field="q")
    refs = [MemberRef(card=text)]
    if not any(ch.isalpha() for ch in text):
        refs.insert(0, MemberRef(phone=text))
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
        raise NotFound("no member with this phone or card number", field="q")
    raise InvalidInput(first_error.detail, field="q")


def member(rt: Runtime, session: WebSession, member_id: int) -> members.MemberView:
    return members.get(rt, principal_for(session).tenant_id, MemberRef(id=member_id))


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
    """One of this till's receipts with its lines, refunds, and the explanations its commit
    gave. Raises :class:`NotFound` for another till's (or tenant's) receipt."""
    principal = principal_for(session)
    with rt.db.read() as conn:
        row = receipts.get_receipt(conn, principal.tenant_id, receipt_pk)
        if row is None or row["terminal_id"] != principal.terminal_id:
            raise NotFound("receipt not found")
        view: dict[str, Any] = to_json(checkout.receipt_view(conn, principal.tenant_id, row))
    answer = row["response"] if isinstance(row["response"], dict) else {}
    view["explanations"] = answer.get("explanations", [])
    view["member_after"] = answer.get("member")
    return view
