"""Every business's owner can sign in: the set-password link works once, for 72 hours, is
kept only as a hash, and opens the console of its own business; roles change and staff go,
but a business always keeps an owner."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from regulars.db.tenancy.tables import staff_invitations
from regulars.domain.audit.chain import Filters
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import staff_access, tenants
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import FakeClock, Shop


def _business(rt: Runtime, name: str = "Corner Café",
              email: str = "") -> staff_access.NewBusiness:
    return staff_access.create_business(rt, name=name, currency="EUR", locale="en_IE",
                                        timezone="Europe/Dublin", phone_region="IE",
                                        owner_name="Ann", owner_email=email)


def test_the_owners_link_sets_a_password_once_and_signs_in_to_their_business(
        rt: Runtime) -> None:
    first = _business(rt, "First")
    second = _business(rt, "Second")
    found = staff_access.pending(rt, second.owner.token)
    assert (found.tenant_id, found.tenant_name, found.email) == (second.tenant_id, "Second",
                                                                 None)
    session = staff_access.accept(rt, second.owner.token, email="ann@example.com",
                                  password="a long password")
    assert session.tenant_id == second.tenant_id
    live = web_auth.resolve(rt, session.token)
    assert live is not None and live.staff_role == "owner"
    # Used up: neither the page nor a second submit works, and the password stays.
    with pytest.raises(NotFound):
        staff_access.pending(rt, second.owner.token)
    with pytest.raises(NotFound):
        staff_access.accept(rt, second.owner.token, email="eve@example.com",
                            password="another password")
    again = web_auth.staff_sign_in(rt, email="ann@example.com", password="a long password")
    assert again.tenant_id == second.tenant_id
    # The same e-mail in the first business is its own account.
    staff_access.accept(rt, first.owner.token, email="ann@example.com",
                        password="first business pw")
    mine = web_auth.staff_sign_in(rt, email="ann@example.com", password="first business pw")
    assert mine.tenant_id == first.tenant_id


def test_the_link_expires_after_72_hours_and_only_its_hash_is_stored(
        rt: Runtime, clock: FakeClock) -> None:
    made = _business(rt, email="owner@example.com").owner
    with rt.db.read() as conn:
        stored = conn.execute(select(staff_invitations.c.token_hash)).scalars().all()
    assert made.token not in stored and len(stored) == 1 and made.token not in stored[0]
    clock.advance(hours=71, minutes=59)
    assert staff_access.pending(rt, made.token).email == "owner@example.com"
    clock.advance(minutes=2)
    with pytest.raises(NotFound):
        staff_access.accept(rt, made.token, email="", password="a long password")


def test_a_new_link_replaces_the_old_and_a_cashier_gets_none(rt: Runtime, shop: Shop) -> None:
    person = tenants.create_staff(rt, shop.tenant_id, name="Bo", email="bo@example.com",
                                  role="marketer", store_id=None, actor=audit.SYSTEM)
    old = staff_access.invite(rt, shop.tenant_id, person.id, actor=audit.SYSTEM)
    new = staff_access.invite(rt, shop.tenant_id, person.id, actor=audit.SYSTEM)
    with pytest.raises(NotFound):
        staff_access.pending(rt, old.token)
    assert staff_access.pending(rt, new.token).role == "marketer"
    staff_access.change_role(rt, shop.tenant_id, person.id, "cashier", actor=audit.SYSTEM)
    with pytest.raises(NotFound):
        staff_access.pending(rt, new.token)
    cashier = tenants.create_staff(rt, shop.tenant_id, name="Cy", email=None, role="cashier",
                                   store_id=None, actor=audit.SYSTEM)
    with pytest.raises(InvalidInput) as refused:
        staff_access.invite(rt, shop.tenant_id, cashier.id, actor=audit.SYSTEM)
    assert refused.value.field == "role"


def test_every_wrong_field_is_named_at_once_and_nothing_is_used(rt: Runtime) -> None:
    made = _business(rt).owner
    found = staff_access.pending(rt, made.token)
    problems = staff_access.form_problems(found, email="not an address", password="short")
    assert [p.field for p in problems] == ["email", "password"]
    with pytest.raises(InvalidInput):
        staff_access.accept(rt, made.token, email="not an address", password="short")
    assert staff_access.pending(rt, made.token).staff_name == "Ann"


def test_another_tenants_staff_cannot_be_invited_changed_or_removed(rt: Runtime,
                                                                      shop: Shop) -> None:
    other = _business(rt, "Other")
    owner_id = other.owner.staff_id
    with pytest.raises(NotFound):
        staff_access.invite(rt, shop.tenant_id, owner_id, actor=audit.SYSTEM)
    with pytest.raises(NotFound):
        staff_access.change_role(rt, shop.tenant_id, owner_id, "analyst", actor=audit.SYSTEM)
    with pytest.raises(NotFound):
        staff_access.remove(rt, shop.tenant_id, owner_id, by_staff_id=None)
    assert staff_access.pending(rt, other.owner.token).role == "owner"


def test_roles_change_at_once_and_the_last_owner_stays(rt: Runtime) -> None:
    business = _business(rt, email="ann@example.com")
    owner_id = business.owner.staff_id
    session = staff_access.accept(rt, business.owner.token, email="",
                                  password="a long password")
    with pytest.raises(Conflict):
        staff_access.change_role(rt, business.tenant_id, owner_id, "analyst", actor=audit.SYSTEM)
    with pytest.raises(Conflict):
        staff_access.remove(rt, business.tenant_id, owner_id, by_staff_id=None)
    second = tenants.create_staff(rt, business.tenant_id, name="Bo", email="bo@example.com",
                                  role="analyst", store_id=None, actor=audit.SYSTEM)
    staff_access.change_role(rt, business.tenant_id, second.id, "owner", actor=audit.SYSTEM)
    staff_access.change_role(rt, business.tenant_id, owner_id, "analyst", actor=audit.SYSTEM)
    live = web_auth.resolve(rt, session.token)
    assert live is not None and live.staff_role == "analyst"
    staff_access.remove(rt, business.tenant_id, owner_id, by_staff_id=None)
    assert web_auth.resolve(rt, session.token) is None
    with pytest.raises(InvalidInput):
        staff_access.change_role(rt, business.tenant_id, second.id, "boss", actor=audit.SYSTEM)


def test_a_new_link_is_on_the_audit_trail_without_its_token_or_hash(rt: Runtime,
                                                                    shop: Shop) -> None:
    person = tenants.create_staff(rt, shop.tenant_id, name="Bo", email="bo@example.com",
                                  role="analyst", store_id=None, actor=audit.SYSTEM)
    made = staff_access.invite(rt, shop.tenant_id, person.id, actor=audit.staff(7))
    [entry] = audit.entries(rt, shop.tenant_id, Filters(action="staff.invite"))
    assert (entry.actor, entry.subject) == ("staff 7", f"staff {person.id}")
    assert json.loads(entry.detail) == {"expires_at": made.expires_at.isoformat()}
    digest = hashlib.sha256(made.token.encode()).hexdigest()
    for secret in (made.token, digest, made.url("https://x.example")):
        assert secret not in entry.detail and secret not in entry.subject
