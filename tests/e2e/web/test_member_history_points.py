"""A member's points history lists points only: the wallet's top-ups, cashback and payments
and the gift cards' sales and uses are money, shown on the wallet, not as points, on the
customer page (in every language), the console's member page and the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stored_value import wallets
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import Shop
from tests.e2e.web.console_data import signed_in
from tests.e2e.web.customer_support import sign_in_member
from tests.e2e.web.test_receipt_stored_value_pages import paid_by_card_and_wallet
from tests.integration.support import Pos

# The money entries' codes and reasons as they showed, raw, in a points history.
MONEY_CODES = ("wallet_top_up", "certificate_issued", "tender_paid", ">cashback<", ">top_up<",
               ">tender<", ">issue<")


def _with_money_moves(client: TestClient, rt: Runtime, shop: Shop) -> dict[str, object]:
    sold = paid_by_card_and_wallet(client, shop)
    wallets.top_up(rt, Pos(rt, shop).till(), MemberRef(id=int(sold["member"])),
                   amount_minor=3000, paid_by=PaidBy.CARD, key="top-1", payload={"n": 1})
    return sold


@pytest.mark.parametrize("language", ["en", "ru", "uk", "bg"])
def test_the_customer_history_lists_points_only(
        client: TestClient, rt: Runtime, shop: Shop, language: str) -> None:
    _with_money_moves(client, rt, shop)
    client.cookies.set("rg_lang", language)
    sign_in_member(client, rt, shop.tenant_id, "+78007750112")
    page = client.get(f"/c/{shop.tenant_id}/history")
    assert page.status_code == 200, page.text
    assert page.text.count('class="card entry"') == 2  # the two purchases' points
    assert not any(code in page.text for code in MONEY_CODES)


def test_the_console_and_the_api_history_list_points_only(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    sold = _with_money_moves(client, rt, shop)
    api = client.get(f"/v1/admin/members/{sold['member']}/history", headers=shop.owner)
    assert api.status_code == 200, api.text
    assert [e["code"] for e in api.json()] == ["earn", "earn"]
    client.cookies.set("rg_lang", "en")
    signed_in(client, rt, shop, "analyst")
    page = client.get(f"/console/members/{sold['member']}")
    assert page.status_code == 200, page.text
    history = page.text.split('id="history"')[1].split("</table>")[0]
    assert history.count("<tr>") == 3  # the heading and the two purchases
    assert not any(code in history for code in MONEY_CODES)
