"""The customer page's wallet: the balance and each movement (top-up, payment, refund)
as the ledger has them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stored_value import wallets
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import Shop
from tests.e2e.web.customer_support import register, sign_in_member
from tests.integration.support import Pos, line, phone


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def test_the_wallet_page_shows_the_balance_and_each_movement(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    pos = Pos(rt, shop)
    wallets.top_up(rt, pos.till(), MemberRef(id=member_id), amount_minor=50_000,
                   paid_by=PaidBy.CARD, key="top-1", payload={"n": 1})
    prepared = pos.prepare(member_id, (line("cake", 30_000),), receipt="R-1")
    sale = replace(prepared.request.sale,
                   tenders=(Tender(kind=TenderKind.WALLET, amount_minor=20_000),))
    pos.send(replace(prepared, request=replace(prepared.request, sale=sale),
                     payload={**prepared.payload, "tenders": [{"kind": "wallet",
                                                               "amount": 20_000}]}))
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/wallet")
    assert page.status_code == 200
    left = format_currency(300, "RUB", locale="en_GB")
    assert f'id="wallet-balance">{left}<' in page.text
    assert "Top-up" in page.text and "Paid from the wallet" in page.text
    assert page.text.count("<tr>") == 2
    assert f'href="/c/{shop.tenant_id}/wallet" aria-current="page"' in page.text
