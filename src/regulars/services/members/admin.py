"""Members for the console: search by phone, card or name, one member's page in one call,
profile edits from a form, and the preview of a merge."""

from __future__ import annotations

from datetime import date
from typing import Any

from regulars.errors import InvalidInput, InvalidPhone, NotFound
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates, wallets
from regulars.services.tenancy.tenants import get_tenant

MAX_TAGS = 50


def search(rt: Runtime, tenant_id: int, *, text: str | None, limit: int,
           offset: int) -> dict[str, Any]:
    """Members matching ``text``: a phone in any usual format, a card number, or part of a
    name; everyone (by id) without text. ``has_more`` says whether another page follows."""
    text = (text or "").strip() or None
    found = members.search(rt, tenant_id, text=text, limit=limit + 1, offset=offset)
    if not found and text and offset == 0:
        try:
            card = members.normalize_card(text)
        except InvalidInput:
            card = None
        if card:
            try:
                found = [members.get(rt, tenant_id, MemberRef(card=card))]
            except NotFound:
                found = []
    return {"members": found[:limit], "has_more": len(found) > limit}


def page(rt: Runtime, tenant_id: int, member_id: int, *, locale: str | None,
         history_limit: int = 50, receipts_limit: int = 20) -> dict[str, Any]:
    """Everything a member's page shows: the member (balance, held, spendable, debt, level and
    progress), open lots soonest to expire first, the points history explained in ``locale``,
    the latest receipts, the wallet (balance and latest movements), the till's number of each
    receipt the history and wallet link to, and the gift cards. A
    merged member's id shows the member it was merged into. Raises
    :class:`NotFound`."""
    member = members.get(rt, tenant_id, MemberRef(id=member_id))
    target = member.id
    history = member_ledger.history(rt, tenant_id, target, limit=history_limit, locale=locale)
    wallet = wallets.statement(rt, tenant_id, target)
    linked = {e.receipt_id for e in history} | {ln.receipt_id for ln in wallet.lines}
    return {"member": member,
            "lots": member_ledger.lots(rt, tenant_id, target),
            "history": history,
            "receipts": ledger_admin.receipts_list(rt, tenant_id, member_id=target,
                                                   limit=receipts_limit, before_id=None),
            "wallet": wallet,
            "receipt_numbers": ledger_admin.receipt_numbers(
                rt, tenant_id, {i for i in linked if i is not None}),
            "certificates": certificates.of_member(rt, tenant_id, target)}


def parse_tags(text: str) -> list[str]:
    tags = sorted({t.strip() for t in text.replace(";", ",").split(",") if t.strip()})
    if len(tags) > MAX_TAGS or any(len(t) > 64 for t in tags):
        raise InvalidInput(f"at most {MAX_TAGS} tags of up to 64 characters", field="tags")
    return tags


def edit_profile(rt: Runtime, tenant_id: int, member_id: int, *, first_name: str,
                 last_name: str, email: str, birthday: str, consent: str,
                 tags: str) -> members.MemberView:
    """Save a profile form: names, e-mail, birthday (ISO date or empty), consent and tags
    (comma-separated; kept in the profile's ``tags``, other profile fields untouched).
    Raises :class:`InvalidInput` naming the field, :class:`NotFound`."""
    email = email.strip()
    if email and ("@" not in email or len(email) > 254 or " " in email):
        raise InvalidInput("enter an e-mail address like name@example.com", field="email")
    born: date | None = None
    if birthday.strip():
        try:
            born = date.fromisoformat(birthday.strip())
        except ValueError as exc:
            raise InvalidInput("enter a date like 1990-04-25", field="birthday") from exc
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value.strip()) > 100:
            raise InvalidInput("at most 100 characters", field=name)
    current = members.get(rt, tenant_id, MemberRef(id=member_id))
    if current.id != member_id:
        raise NotFound("member not found")
    profile = {**(current.profile or {}), "tags": parse_tags(tags)}
    return member_registration.update_profile(rt, tenant_id, member_id, {
        "first_name": first_name.strip() or None, "last_name": last_name.strip() or None,
        "email": email or None, "birthday": born, "consent": consent, "profile": profile})


def find_for_merge(rt: Runtime, tenant_id: int, target_id: int, text: str) -> dict[str, Any]:
    """The member to merge into ``target_id``, named by phone (any format) or ``#id``/id,
    with the target, both with their balances. Raises :class:`InvalidInput` (field
    ``source``) for nothing typed, the target itself, or nobody found."""
    text = text.strip()
    if not text:
        raise InvalidInput("enter the other member's phone or id", field="source")
    target = members.get(rt, tenant_id, MemberRef(id=target_id))
    tenant = get_tenant(rt, tenant_id)
    digits = text.lstrip("#")
    ref = MemberRef(id=int(digits)) if digits.isdigit() and len(digits) < 9 else None
    source = None
    try:
        if ref is not None:
            source = members.get(rt, tenant_id, ref)
    except NotFound:
        source = None
    if source is None:
        try:
            members.normalize_phone(text, tenant.phone_region, field="source")
            source = members.get(rt, tenant_id, MemberRef(phone=text))
        except InvalidPhone as exc:
            raise InvalidInput("enter a phone number or a member id", field="source") from exc
        except NotFound as exc:
            raise InvalidInput("no member has this phone or id", field="source") from exc
    if source.id == target.id:
        raise InvalidInput("a member cannot be merged into itself", field="source")
    return {"source": source, "target": target}
