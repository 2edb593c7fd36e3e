"""The customer page: a signed-in member erases their own data after typing their phone
number again; the session ends and the number then belongs to nobody."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members import members
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.customer_support import buy, register, sign_in_member
from tests.e2e.web.support import csrf_of
from tests.integration.support import Pos, phone


def test_a_member_erases_their_own_data_after_typing_their_number(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1, first_name="Vera")
    buy(Pos(rt, shop), member_id, 100_000, "R-1")
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/profile")
    assert f'action="/c/{shop.tenant_id}/erase"' in page.text
    wrong = client.post(f"/c/{shop.tenant_id}/erase",
                        data={"csrf": csrf_of(page.text), "confirm": phone(2)})
    assert wrong.status_code == 422 and 'id="e-confirm"' in wrong.text
    assert f'value="{phone(2)}"' in wrong.text
    done = client.post(f"/c/{shop.tenant_id}/erase",
                       data={"csrf": csrf_of(page.text), "confirm": phone(1)[2:]},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/c/{shop.tenant_id}/sign-in?erased=1"
    gone = client.get(f"/c/{shop.tenant_id}", follow_redirects=False)
    assert gone.status_code in (302, 303, 401)
    assert members.search(rt, shop.tenant_id, text=phone(1), limit=5, offset=0) == []
    assert ledger_admin.check(rt, shop.tenant_id) == []
    trail = audit.entries(rt, shop.tenant_id, Filters(action="member.erase"))
    assert [e.actor for e in trail] == [f"member {member_id}"]
