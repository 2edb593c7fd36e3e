"""Every password or PIN set outside the console's staff page is on the audit trail too, by
whoever set it — the person themselves at first-run set-up and through a set-password link —
and never with the secret nor its hash; every production caller of the services that set
one names an actor."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

import regulars
from regulars.db.tenancy.tables import staff
from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.audit.audit import AuditEntry
from regulars.services.runtime import Runtime
from regulars.services.tenancy import setup, staff_access, tenants

SRC = Path(regulars.__file__).parent
# Demo accounts are made up; their passwords are printed, not chosen by anyone.
UNAUDITED = {SRC / "services" / "demo" / "web_accounts.py"}


def _password_entry(rt: Runtime, tenant_id: int, staff_id: int) -> AuditEntry:
    found = [e for e in audit.entries(rt, tenant_id, Filters(action="staff.password"))
             if e.subject == f"staff {staff_id}"]
    assert len(found) == 1, found
    return found[0]


def _hash_of(rt: Runtime, staff_id: int) -> str:
    with rt.db.read() as conn:
        digest = conn.execute(select(staff.c.password_hash)
                              .where(staff.c.id == staff_id)).scalar_one()
    assert digest
    return str(digest)


def test_the_first_owners_password_at_set_up_is_recorded_as_theirs(rt: Runtime) -> None:
    session = setup.first_run(rt, setup.FirstRun(
        business="Bean & Leaf", currency="EUR", locale="en_GB", timezone="Europe/London",
        phone_region="GB", owner_name="Ann", email="ann@example.com",
        password="a set-up secret"))
    owner = tenants.list_staff(rt, session.tenant_id)[0]
    entry = _password_entry(rt, session.tenant_id, owner.id)
    assert entry.actor == f"staff {owner.id}"
    assert "a set-up secret" not in entry.detail
    assert _hash_of(rt, owner.id) not in entry.detail


def test_a_password_set_through_the_link_is_recorded_as_the_persons(rt: Runtime) -> None:
    business = staff_access.create_business(
        rt, name="Corner Café", currency="EUR", locale="en_IE", timezone="Europe/Dublin",
        phone_region="IE", owner_name="Ann")
    staff_access.accept(rt, business.owner.token, email="ann@example.com",
                        password="a linked secret")
    owner = business.owner.staff_id
    entry = _password_entry(rt, business.tenant_id, owner)
    assert entry.actor == f"staff {owner}"
    assert "a linked secret" not in entry.detail
    assert _hash_of(rt, owner) not in entry.detail


def _unaudited_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(SRC)}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("set_password", "set_pin")
            and not any(k.arg == "actor" for k in node.keywords)]


def test_every_production_caller_that_sets_a_secret_names_an_actor() -> None:
    missing = [call for path in sorted(SRC.rglob("*.py")) if path not in UNAUDITED
               for call in _unaudited_calls(path)]
    assert missing == []
