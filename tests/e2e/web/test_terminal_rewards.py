"""The cashier terminal offers the catalogue rewards the member can afford on the basket, the
cashier picks one, and the sale spends its points and takes it off its line; a code claimed in
advance is typed in and redeemed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from regulars.domain.rewards.catalog import RewardDraft
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.rewards import catalog, claims
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import authenticate
from tests.conftest import Shop
from tests.e2e.web.test_terminal import add_cashier, member_with_points, pair, sale_form, sign_in


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


@pytest.fixture
def till(client: TestClient, rt: Runtime, shop: Shop) -> TestClient:
    pair(client, shop.till_keys[0])
    sign_in(client, add_cashier(rt, shop.tenant_id, "Vera", store_id=shop.store_id))
    return client


def _coffee(rt: Runtime, shop: Shop) -> int:
    return catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="product", category="coffee", points_cost=200, titles={"en": "Free coffee"},
        descriptions={}), actor=audit.SYSTEM).id


def _claimed_ahead(till: TestClient, rt: Runtime, shop: Shop) -> tuple[int, int, str, str]:
    """A member of 500 points who claimed the free coffee on their page: the member, the
    reward, its code and the till's sale page for the member."""
    member_id = member_with_points(rt, shop, 500)
    coffee = _coffee(rt, shop)
    code = claims.claim_in_advance(rt, shop.tenant_id, member_id, coffee).code
    return member_id, coffee, code, till.get(f"/terminal/sale?member={member_id}").text


def test_the_cashier_picks_an_affordable_reward_and_the_sale_spends_its_points(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = member_with_points(rt, shop, 500)
    coffee = _coffee(rt, shop)
    page = till.get(f"/terminal/sale?member={member_id}")
    form = sale_form(page.text, price="3.50", name="Latte", category="coffee", qty="1")
    quoted = till.post("/terminal/quote", data=form)
    assert f'data-reward="{coffee}"' in quoted.text and "Free coffee" in quoted.text
    picked = till.post("/terminal/quote", data={**form, "reward_id": str(coffee)})
    assert f'name="reward_id" value="{coffee}" checked' in picked.text
    assert "Reward “Free coffee” for 200 points" in picked.text

    done = till.post("/terminal/commit", data={**form, "reward_id": str(coffee)},
                     follow_redirects=False)

    assert done.status_code == 303, done.text
    receipt_pk = int(done.headers["location"].split("/")[-1].split("?")[0])
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert (stored.points_spent, stored.paid_minor) == (200, 0)
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points == 300


def test_a_reward_code_claimed_in_advance_is_redeemed_and_a_wrong_one_shown_beside_it(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id, _, code, page = _claimed_ahead(till, rt, shop)
    form = sale_form(page, price="3.50", name="Latte", category="coffee", qty="1")
    wrong = till.post("/terminal/commit", data={**form, "reward_code": "0000-0000-0000-0000"})
    assert wrong.status_code == 422 and 'id="e-reward_code"' in wrong.text
    done = till.post("/terminal/commit", data={**form, "reward_code": code},
                     follow_redirects=False)
    assert done.status_code == 303, done.text
    receipt_pk = int(done.headers["location"].split("/")[-1].split("?")[0])
    stored = checkout.receipt(rt, authenticate(rt, shop.till_keys[0]), receipt_pk)
    assert (stored.points_spent, stored.paid_minor) == (0, 0)
    assert members.get(rt, shop.tenant_id, MemberRef(id=member_id)).balance_points == 300


def test_a_reward_code_shows_as_a_discount_line_the_totals_add_up_with(
        till: TestClient, rt: Runtime, shop: Shop) -> None:
    _, coffee, code, page = _claimed_ahead(till, rt, shop)
    form = sale_form(page, price=["3.50", "2.20"], name=["Latte", "Croissant"],
                     category=["coffee", "bakery"], qty=["1", "1"], reward_code=code)

    quoted = till.post("/terminal/quote", data=form)
    done = till.post("/terminal/commit", data=form, follow_redirects=False)
    receipt = till.get(done.headers["location"])

    for shown in (quoted.text, receipt.text):
        line = re.search(r'<tr id="reward-line"><th>Reward “Free coffee”</th>'
                         r'<td class="num pos">−([^<]+)</td>', shown)
        assert line and "3.50" in line.group(1), shown
        assert "Paid with" not in shown  # the code spent no points at this till
        assert "Reward “Free coffee”, claimed ahead for 200 points" in shown
        assert f"#{coffee}" not in shown
    assert re.search(r'id="to-pay">[^<]*2.20<', quoted.text)
    assert re.search(r'id="paid">[^<]*2.20<', receipt.text)
