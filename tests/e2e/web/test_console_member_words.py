"""A member's page in the words an owner reads: a receipt by the number its till gave it (as
every list shows it), a promotion by its name and version, each reason once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.promotions.promotions import PercentDiscount
from regulars.services.audit import audit
from regulars.services.promotions import promotions
from regulars.services.promotions.promotions import Draft
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import member, sale, signed_in


def test_the_history_names_the_receipt_and_the_promotion_as_other_pages_do(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "owner")
    promotions.create(rt, shop.tenant_id, Draft(
        name="Coffee happy hour", condition="true",
        effects=(PercentDiscount(rate_bp=1000, categories=frozenset({"drinks"})),)),
                      actor=audit.SYSTEM)
    found = member(rt, shop)
    receipt_id = sale(rt, shop, "R-7")["receipt"]["id"]
    page = client.get(f"/console/members/{found['id']}")
    assert page.status_code == 200, page.text
    assert f'<a href="/console/receipts/{receipt_id}">Receipt R-7</a>' in page.text
    assert "Receipt #" not in page.text
    assert "Promotion “Coffee happy hour”, version 1: " in page.text
    assert "(#" not in page.text
