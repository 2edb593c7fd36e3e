"""Refunds at the till over HTTP: one line's quantity with a reason, confirmed after the
amount is shown; an owner's PIN above the business's limit (a wrong one refuses, nothing
written); a void; every problem beside its field."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import authenticate
from regulars.services.web_sessions import till_refunds
from tests.conftest import Shop
from tests.e2e.web.support import add_staff
from tests.e2e.web.test_terminal import add_cashier, member_with_points, pair, sign_in

HIDDEN = re.compile(r'type="hidden" name="([a-z_0-9-]+)" value="([^"]*)"')


@pytest.fixture
def till(client: TestClient, rt: Runtime, shop: Shop) -> TestClient:
    client.cookies.set("rg_lang", "en")
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    return client


def _hidden(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


def _sale(till: TestClient, rt: Runtime, shop: Shop) -> str:
    """A receipt of two lines (2 cakes at 100.00, a coffee at 50.00); its page's address."""
    member_id = member_with_points(rt, shop)
    page = till.get(f"/terminal/sale?member={member_id}")
    form = {**_hidden(page.text), "price": ["100", "50"], "name": ["Cake", "Coffee"],
            "category": ["food", "drinks"], "qty": ["2", "1"], "sku": ["", ""]}
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(done.headers["location"].split("?")[0])


def _receipt(rt: Runtime, shop: Shop, location: str) -> checkout.ReceiptView:
    return checkout.receipt(rt, authenticate(rt, shop.till_keys[0]),
                            int(location.rsplit("/", 1)[-1]))


def test_one_line_refunded_by_quantity_with_a_reason(till: TestClient, rt: Runtime,
                                                     shop: Shop) -> None:
    location = _sale(till, rt, shop)
    page = till.get(location)
    assert 'id="f-qty-1"' in page.text and 'id="f-qty-2"' in page.text
    wrong = till.post(f"{location}/refund", data={**_hidden(page.text), "qty-1": "3",
                                                  "qty-2": "x", "reason": ""})
    assert wrong.status_code == 422
    for name in ("e-qty-1", "e-qty-2", "e-reason"):
        assert f'id="{name}"' in wrong.text, name
    assert 'value="3"' in wrong.text  # what was typed stays
    asked = till.post(f"{location}/refund", data={**_hidden(page.text), "qty-1": "1",
                                                  "reason": "dropped on the floor"})
    assert asked.status_code == 200
    assert 'id="refund-amount"' in asked.text and "100" in asked.text
    assert _receipt(rt, shop, location).status == "committed"  # nothing until confirmed
    done = till.post(f"{location}/refund", data=_hidden(asked.text), follow_redirects=False)
    assert done.status_code == 303
    receipt = _receipt(rt, shop, location)
    assert receipt.status == "partially_refunded"
    assert [(ln.line_no, ln.refunded_quantity_milli) for ln in receipt.lines] == [(1, 1000),
                                                                                   (2, 0)]
    after = till.get(done.headers["location"])
    assert "Reason: dropped on the floor" in after.text and "Vera" in after.text
    assert 'id="void"' not in after.text  # a refunded receipt is no longer voided


def test_a_refund_at_the_till_is_the_signed_in_cashiers_on_the_trail(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    client.cookies.set("rg_lang", "en")
    pair(client, shop.till_keys[0])
    cashier = add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id)
    sign_in(client, cashier)
    location = _sale(client, rt, shop)
    page = client.get(location)
    asked = client.post(f"{location}/refund", data={**_hidden(page.text), "qty-2": "1",
                                                    "reason": "cold"})
    assert client.post(f"{location}/refund", data=_hidden(asked.text),
                       follow_redirects=False).status_code == 303
    entry = audit.entries(rt, shop.tenant_id, Filters(action="receipt.refund"))[0]
    assert entry.actor == f"staff {cashier}"
    assert json.loads(entry.detail)["till"] == shop.terminal_ids[0]


def test_a_refund_above_the_limit_needs_an_owners_pin(till: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    till_refunds.set_manager_pin_above(rt, shop.tenant_id, 12_000, actor=audit.SYSTEM)  # 120.00
    owner = add_staff(rt, shop.tenant_id, role="owner", email="boss@example.com", pin="9753")
    location = _sale(till, rt, shop)
    page = till.get(location)
    small = till.post(f"{location}/refund", data={**_hidden(page.text), "qty-2": "1",
                                                  "reason": "cold"})
    assert 'id="manager"' not in small.text  # 50.00: no PIN needed
    asked = till.post(f"{location}/refund", data={**_hidden(page.text), "reason": "all"})
    assert 'id="manager"' in asked.text and f'value="{owner}"' in asked.text
    form = _hidden(asked.text)
    wrong = till.post(f"{location}/refund",
                      data={**form, "manager_id": str(owner), "manager_pin": "0000"})
    assert wrong.status_code == 401 and 'id="e-manager_pin"' in wrong.text
    assert _receipt(rt, shop, location).status == "committed"
    done = till.post(f"{location}/refund", data={**form, "manager_id": str(owner),
                                                 "manager_pin": "9753"},
                     follow_redirects=False)
    assert done.status_code == 303
    assert _receipt(rt, shop, location).status == "refunded"
    assert "allowed by Owner Person" in till.get(done.headers["location"]).text


def test_a_void_within_the_window(till: TestClient, rt: Runtime, shop: Shop) -> None:
    location = _sale(till, rt, shop)
    page = till.get(location)
    asked = till.post(f"{location}/refund", data={**_hidden(page.text), "void": "1",
                                                  "reason": "wrong customer"})
    assert asked.status_code == 200 and "Confirm the void" in asked.text
    done = till.post(f"{location}/refund", data=_hidden(asked.text), follow_redirects=False)
    assert done.status_code == 303
    assert _receipt(rt, shop, location).status == "voided"


def test_the_console_sets_the_limit(client: TestClient, rt: Runtime, shop: Shop) -> None:
    from tests.e2e.web.console_data import form_of, signed_in

    signed_in(client, rt, shop, "owner")
    page = client.get("/console/settings/refunds")
    assert page.status_code == 200
    wrong = client.post("/console/settings/refunds",
                        data={**form_of(page.text), "manager_pin_above": "-5"})
    assert wrong.status_code == 422 and "must be 0 or more" in wrong.text
    assert 'value="-5"' in wrong.text
    saved = client.post("/console/settings/refunds",
                        data={**form_of(page.text), "manager_pin_above": "75,50"},
                        follow_redirects=False)
    assert saved.status_code == 303
    assert till_refunds.manager_pin_above(rt, shop.tenant_id) == 7550
    shown = client.get("/console/settings/refunds").text
    assert 'value="75.50"' in shown and 'id="no-pin"' in shown  # no owner could allow it
    add_staff(rt, shop.tenant_id, role="owner", email="boss@example.com", pin="4321")
    assert 'id="no-pin"' not in client.get("/console/settings/refunds").text
