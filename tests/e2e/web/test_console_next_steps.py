"""The console home's "next steps" for an owner: each step is marked done once its setting
exists, business settings included, and the list goes away when all are done."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from regulars.domain.program.program import Program
from regulars.services.audit import audit
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.tenancy import business, staff_access, tenants
from regulars.services.tenancy.business import Changes
from regulars.services.web_sessions import sessions as web_auth
from tests.conftest import Shop
from tests.e2e.web.console_data import signed_in
from tests.e2e.web.support import sign_in


def _states(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li id="step-(\w+)" class="(done|todo)"', html))


def test_the_steps_follow_what_the_owner_has_set_up(client: TestClient, rt: Runtime,
                                                     shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    home = client.get("/console")
    assert 'id="next-steps"' in home.text
    # The shop was made with its name, language and time zone: naming it is done.
    assert _states(home.text) == {"business": "done", "store": "done", "till": "done",
                                  "cashier": "todo", "program": "todo"}

    business.update(rt, shop.tenant_id, Changes(brand_colour="#7c2d12"), actor=audit.SYSTEM)
    assert _states(client.get("/console").text)["business"] == "done"

    cashier = tenants.create_staff(rt, shop.tenant_id, name="Vera", email=None, role="cashier",
                                   store_id=shop.store_id, actor=audit.SYSTEM)
    web_auth.set_pin(rt, shop.tenant_id, cashier.id, "2468")
    programs.save(rt, shop.tenant_id, Program(point_value_minor=100), actor=audit.SYSTEM)
    assert 'id="next-steps"' not in client.get("/console").text


def test_only_those_who_set_up_see_the_steps(client: TestClient, rt: Runtime,
                                             shop: Shop) -> None:
    signed_in(client, rt, shop, "analyst")
    assert 'id="next-steps"' not in client.get("/console").text


def test_a_business_the_command_line_named_has_its_first_step_done(
        client: TestClient, rt: Runtime) -> None:
    made = staff_access.create_business(
        rt, name="Bean There", currency="EUR", locale="en_GB", timezone="Europe/London",
        phone_region="GB", owner_name="Ann", owner_email="ann@example.com")
    web_auth.set_password(rt, made.tenant_id, made.owner.staff_id, "correct horse")
    sign_in(client, "ann@example.com")
    home = client.get("/console")
    assert _states(home.text) == {"business": "done", "store": "todo", "till": "todo",
                                  "cashier": "todo", "program": "todo"}
