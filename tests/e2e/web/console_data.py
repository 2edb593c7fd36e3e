"""Data for the console page tests: staff of each role signed in, members and receipts made
through the real services (the same calls a till makes)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from regulars.domain.checkout.quote import BasketLine
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import Principal
from tests.conftest import Shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in

PHONE = "+78007750111"
BASKET = (("coffee", "Coffee", "drinks", 2, 15000), ("cake", "Cake", "food", 1, 30000))
KEY = re.compile(r'name="key" value="([^"]+)"')


def signed_in(client: TestClient, rt: Runtime, shop: Shop, role: str = "owner") -> None:
    email = f"{role}-{shop.tenant_id}@example.com"
    add_staff(rt, shop.tenant_id, role=role, email=email)
    sign_in(client, email)


def member(rt: Runtime, shop: Shop, phone: str = PHONE, **names: str) -> dict[str, Any]:
    """A new member, as JSON the way the API sends it."""
    found, _ = member_registration.register(rt, shop.tenant_id, Registration(phone=phone, **names))
    body: dict[str, Any] = to_json(found)
    return body


def till(shop: Shop, index: int = 0) -> Principal:
    return Principal(tenant_id=shop.tenant_id, kind="till", key_id=0,
                     terminal_id=shop.terminal_ids[index], store_id=shop.store_id)


def sale(rt: Runtime, shop: Shop, receipt_no: str, *, phone: str | None = PHONE,
         spend: int = 0, till_index: int = 0) -> dict[str, Any]:
    lines = tuple(BasketLine(sku=sku, name=name, category=category, quantity_milli=qty * 1000,
                             unit_price_minor=price)
                  for sku, name, category, qty, price in BASKET)
    body = checkout_commit.commit(rt, till(shop, till_index), CommitRequest(
        sale=Sale(member=MemberRef(phone=phone) if phone else None, lines=lines,
                  points_to_spend=spend),
        receipt_id=receipt_no), key=f"k-{receipt_no}",
        payload={"receipt": receipt_no, "spend": spend, "phone": phone}).body
    return body


def form_of(html: str) -> dict[str, str]:
    """The CSRF token and the idempotency key of the first form that carries one."""
    found = KEY.search(html)
    return {"csrf": csrf_of(html), **({"key": found.group(1)} if found else {})}
