"""The customer page's rewards: the catalogue with what the member can claim, a claim confirmed
before its points are spent, the code and its QR shown once, and a till redeeming the code."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from regulars.domain.rewards.catalog import RewardDraft
from regulars.services.audit import audit
from regulars.services.rewards import catalog, claims
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import signed_in
from tests.e2e.web.customer_support import register, sign_in_member
from tests.e2e.web.support import csrf_of
from tests.integration.support import Pos, phone

CODE = re.compile(r'id="reward-code"><strong>([0-9A-Z-]{19})</strong>')


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("rg_lang", "en")


def _reward(rt: Runtime, shop: Shop, title: str, points: int, **terms: object) -> int:
    return catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="product", sku="CAP-M", points_cost=points, titles={"en": title},
        descriptions={}, **terms), actor=audit.SYSTEM).id  # type: ignore[arg-type]


def test_a_member_claims_a_reward_and_a_till_redeems_its_code(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    pos = Pos(rt, shop)
    pos.grant(member_id, 250)
    coffee = _reward(rt, shop, "Free coffee", 200, claim_days=7)
    _reward(rt, shop, "Big breakfast", 900)
    sign_in_member(client, rt, shop.tenant_id, phone(1))

    page = client.get(f"/c/{shop.tenant_id}/rewards")
    assert page.status_code == 200
    assert "Free coffee" in page.text and "Big breakfast" in page.text
    assert f'href="/c/{shop.tenant_id}/rewards/{coffee}/claim"' in page.text
    assert "too few points" in page.text  # the breakfast, with only 250 points
    confirm = client.get(f"/c/{shop.tenant_id}/rewards/{coffee}/claim")
    assert "Spend 200 points" in confirm.text and pos.balance(member_id) == 250

    done = client.post(f"/c/{shop.tenant_id}/rewards/{coffee}/claim",
                       data={"csrf": csrf_of(confirm.text)})
    assert done.status_code == 200, done.text
    found = CODE.search(done.text)
    assert found and "<svg" in done.text
    assert pos.balance(member_id) == 50
    assert "Claimed, not used yet" in client.get(f"/c/{shop.tenant_id}/rewards").text

    again = client.post(f"/c/{shop.tenant_id}/rewards/{coffee}/claim",
                        data={"csrf": csrf_of(confirm.text)})
    assert again.status_code == 409 and "too few points" in again.text
    assert pos.balance(member_id) == 50

    sale = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "k-1"},
                       json={"receipt_id": "R-1", "member": {"id": member_id},
                             "reward_code": found.group(1),
                             "lines": [{"sku": "CAP-M", "quantity": 1,
                                        "unit_price_minor": 350}]})
    assert sale.status_code == 200, sale.text
    assert sale.json()["reward"]["discount_minor"] == 350
    assert sale.json()["paid_minor"] == 0


def test_another_businesss_reward_is_not_found(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    other = make_shop(rt, "Other Café")
    theirs = _reward(rt, other, "Theirs", 10)
    register(rt, shop.tenant_id, 1)
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    assert client.get(f"/c/{shop.tenant_id}/rewards/{theirs}/claim").status_code == 404
    page = client.get(f"/c/{shop.tenant_id}/rewards")
    assert client.post(f"/c/{shop.tenant_id}/rewards/{theirs}/claim",
                       data={"csrf": csrf_of(page.text)}).status_code == 404


def test_the_member_and_the_console_see_a_redeemed_code_as_a_discount_line(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    pos = Pos(rt, shop)
    pos.grant(member_id, 250)
    coffee = _reward(rt, shop, "Free coffee", 200)
    code = claims.claim_in_advance(rt, shop.tenant_id, member_id, coffee).code
    sale = client.post("/v1/pos/commit", headers={**shop.till(), "Idempotency-Key": "k-1"},
                       json={"receipt_id": "R-1", "member": {"id": member_id},
                             "reward_code": code,
                             "lines": [{"sku": "CAP-M", "quantity": 1, "unit_price_minor": 350},
                                       {"sku": "BUN", "quantity": 1, "unit_price_minor": 220}]})
    assert sale.status_code == 200, sale.text
    receipt_id = sale.json()["receipt"]["id"]
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    signed_in(client, rt, shop, "analyst")

    mine = client.get(f"/c/{shop.tenant_id}/receipts/{receipt_id}").text
    console = client.get(f"/console/receipts/{receipt_id}").text

    line = re.search(r'<tr id="reward-line"><td>Reward “Free coffee”</td>'
                     r'<td class="num">−([^<]+)</td>', mine)
    assert line and "3.50" in line.group(1) and "Paid with" not in mine
    kpi = re.search(r'id="reward"><div class="label">Reward “Free coffee”</div>'
                    r'<div class="value">([^<]+)</div>', console)
    assert kpi and "3.50" in kpi.group(1)
    assert "claimed ahead for 200 points" in console
