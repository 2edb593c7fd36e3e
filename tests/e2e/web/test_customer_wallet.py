"""The customer page's wallet: the balance and each movement (top-up, payment, refund)
as the ledger has them, and the gift cards the member bought or paid with; the console's
member page shows the same."""

from __future__ import annotations

import re
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
from tests.e2e.web.console_data import signed_in
from tests.e2e.web.customer_support import register, sign_in_member
from tests.e2e.web.test_receipt_stored_value_pages import paid_by_card_and_wallet
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


def test_the_wallet_lists_the_gift_cards_the_member_bought_or_paid_with(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    sold = paid_by_card_and_wallet(client, shop)
    sign_in_member(client, rt, shop.tenant_id, "+78007750112")
    page = client.get(f"/c/{shop.tenant_id}/wallet")
    assert page.status_code == 200, page.text
    cards = page.text.split('id="wallet-certificates"')[1].split("</div>\n{%")[0]
    # The card bought (30.00) and the corporate one that paid 40.00 of its 50.00.
    assert f"Ending in {sold['code'][-4:]}" in cards
    assert f"Ending in {sold['corporate'][-4:]}" in cards
    assert sold["code"] not in cards and sold["corporate"] not in cards
    for left in (3000, 1000):
        assert format_currency(left / 100, "RUB", locale="en_GB") in cards
    links = re.findall(rf'href="(/c/{shop.tenant_id}/wallet/certificates/\d+)"', cards)
    assert len(links) == 2
    one = client.get(links[0])
    assert one.status_code == 200 and 'id="certificate-balance"' in one.text
    # The newest card first: the corporate one, loaded and then paying 40.00, in words.
    lines = one.text.split('id="certificate-lines"')[1]
    assert "Loaded onto the card" in lines and "Paid with the card" in lines
    assert format_currency(40, "RUB", locale="en_GB") in lines
    assert "tender" not in lines and "issue" not in lines
    assert client.get(f"/c/{shop.tenant_id}/wallet/certificates/999999").status_code == 404
    # Another member of the business does not see the first one's cards.
    register(rt, shop.tenant_id, 2)
    with TestClient(client.app) as another:
        sign_in_member(another, rt, shop.tenant_id, phone(2))
        assert another.get(links[0]).status_code == 404
        assert 'id="wallet-certificates"' not in another.get(f"/c/{shop.tenant_id}/wallet").text


def test_the_console_member_page_shows_the_wallet_and_the_gift_cards(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    sold = paid_by_card_and_wallet(client, shop)
    signed_in(client, rt, shop, "analyst")
    page = client.get(f"/console/members/{sold['member']}")
    assert page.status_code == 200, page.text
    wallet = page.text.split('id="wallet"')[1]
    left = wallets.statement(rt, shop.tenant_id, int(sold["member"])).balance_minor
    assert f'id="wallet-balance">{format_currency(left / 100, "RUB", locale="en_GB")}<' in wallet
    assert "Cashback" in wallet and "Paid from the wallet" in wallet
    assert f"<td>{sold['code'][-4:]}</td>" in wallet
    assert f"<td>{sold['corporate'][-4:]}</td>" in wallet
