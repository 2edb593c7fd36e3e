"""A member's phone number and cards, changed in the console: a new number confirmed by a
one-time code texted to it (:mod:`regulars.services.messaging.otp`), a lost card blocked, a
new card issued.

A blocked card no longer finds its member anywhere (till, API, console); its number may be
given to someone else later. Every change checks its member is the tenant's
(:class:`NotFound` otherwise).
"""

from __future__ import annotations

from regulars.db.engine import UniqueViolation
from regulars.db.members import members as rows
from regulars.errors import DuplicateIdentifier, NotFound
from regulars.services.members import members
from regulars.services.members.members import MemberView, normalize_card, normalize_phone
from regulars.services.members.registration import add_card
from regulars.services.messaging import otp
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant

PURPOSE = "phone_change"


def _new_phone(rt: Runtime, tenant_id: int, member_id: int, raw: str) -> str:
    """``raw`` as E.164, once it is no other member's (:class:`DuplicateIdentifier` on
    ``new_phone``)."""
    phone = normalize_phone(raw, get_tenant(rt, tenant_id).phone_region, field="new_phone")
    with rt.db.read() as conn:
        if rows.live_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        owner = rows.identifier_owner(conn, tenant_id, "phone", phone)
    if owner is not None and owner != member_id:
        raise DuplicateIdentifier("this phone number belongs to another member",
                                  field="new_phone")
    return phone


def send_phone_code(rt: Runtime, tenant_id: int, member_id: int, new_phone: str) -> str:
    """Text a one-time code to the member's new number; return it as E.164. Raises
    :class:`InvalidPhone` or :class:`DuplicateIdentifier` (``new_phone``), and the code
    service's :class:`TooManyAttempts`."""
    phone = _new_phone(rt, tenant_id, member_id, new_phone)
    otp.send_code_to_number(rt, tenant_id, member_id, phone, purpose=PURPOSE)
    return phone


def change_phone(rt: Runtime, tenant_id: int, member_id: int, new_phone: str,
                 code: str) -> MemberView:
    """Make the confirmed number the member's phone (the code works once). Raises
    :class:`CodeRefused` (``code``) for a wrong, expired or used code, and
    :class:`DuplicateIdentifier` (``new_phone``) when another member took the number
    meanwhile: nothing changes then."""
    phone = _new_phone(rt, tenant_id, member_id, new_phone)
    code_id = otp.verify(rt, tenant_id, phone, code, purpose=PURPOSE)
    try:
        with rt.db.write() as conn:
            otp.use(conn, tenant_id, code_id, rt.now())
            rows.set_phone(conn, tenant_id, member_id, phone, rt.now())
            return members.view(conn, tenant_id, member_id, rt)
    except UniqueViolation as exc:
        raise DuplicateIdentifier("this phone number belongs to another member",
                                  field="new_phone") from exc


def block_card(rt: Runtime, tenant_id: int, member_id: int, card: str) -> MemberView:
    """Block a lost card: it no longer finds the member. Raises :class:`NotFound` when the
    member has no such card."""
    value = normalize_card(card)
    with rt.db.write() as conn:
        if rows.live_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        if not rows.remove_identifier(conn, tenant_id, member_id, "card", value):
            raise NotFound("the member has no such card", field="card")
        return members.view(conn, tenant_id, member_id, rt)


def issue_card(rt: Runtime, tenant_id: int, member_id: int, card: str) -> MemberView:
    """Give the member a new card (:func:`regulars.services.members.registration.add_card`:
    :class:`DuplicateIdentifier` on ``card`` when it is another member's)."""
    return add_card(rt, tenant_id, member_id, card)
