"""The console's rewards catalogue over HTTP: every problem of a reward beside its field with
what was typed kept, edits and withdrawal, and another business's reward not found."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.rewards.catalog import RewardDraft
from regulars.services.audit import audit
from regulars.services.rewards import catalog
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in

COFFEE = {"kind": "product", "points_cost": "200", "sku": "CAP-M", "max_price": "4.00",
          "claim_days": "14", "title_en": "Free coffee", "title_ru": "Кофе в подарок",
          "refund_on_expiry": "1"}


def test_a_reward_with_problems_shows_them_all_and_keeps_what_was_typed(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/rewards")
    assert page.status_code == 200 and "No rewards yet" in page.text
    wrong = client.post("/console/rewards", data={
        **form_of(page.text), "kind": "percent", "points_cost": "many", "rate": "",
        "max_price": "-1", "title_en": "", "description_ru": "Скидка", "claim_days": "30"})
    assert wrong.status_code == 422
    for name in ("points_cost", "rate", "max_price", "title_en"):
        assert f'id="e-{name}"' in wrong.text, name
    assert 'value="many"' in wrong.text and ">Скидка</textarea>" in wrong.text
    assert catalog.list_page(rt, shop.tenant_id).total == 0
    done = client.post("/console/rewards", data={**form_of(page.text), **COFFEE},
                       follow_redirects=False)
    assert done.status_code == 303
    [made] = catalog.list_page(rt, shop.tenant_id).items
    assert (made.kind, made.points_cost, made.max_price_minor, made.claim_days) == (
        "product", 200, 400, 14)
    assert made.titles == {"en": "Free coffee", "ru": "Кофе в подарок"}
    listed = client.get("/console/rewards").text
    assert "Кофе в подарок" in listed or "Free coffee" in listed


def test_a_reward_is_edited_and_withdrawn(client: TestClient, rt: Runtime,
                                          shop: Shop) -> None:
    made = catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="percent", points_cost=300, rate_bp=1000, titles={"en": "10% off"},
        descriptions={}), actor=audit.SYSTEM)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/rewards/{made.id}")
    assert page.status_code == 200 and 'value="10.00"' in page.text
    saved = client.post(f"/console/rewards/{made.id}", data={
        **form_of(page.text), "kind": "percent", "points_cost": "250", "rate": "15",
        "claim_days": "30", "title_en": "15% off"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    changed = catalog.get(rt, shop.tenant_id, made.id)
    assert (changed.points_cost, changed.rate_bp, changed.refund_on_expiry) == (
        250, 1500, False)
    off = client.post(f"/console/rewards/{made.id}/active",
                      data={**form_of(page.text), "active": "0"}, follow_redirects=False)
    assert off.status_code == 303
    assert catalog.get(rt, shop.tenant_id, made.id).active is False
    assert "withdrawn" in client.get(f"/console/rewards/{made.id}").text


def test_another_businesss_reward_is_not_found(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    other = make_shop(rt, "Other Café")
    theirs = catalog.create(rt, other.tenant_id, RewardDraft(
        kind="perk", points_cost=50, titles={"en": "Upgrade"}, descriptions={}),
        actor=audit.SYSTEM)
    signed_in(client, rt, shop, "owner")
    assert client.get(f"/console/rewards/{theirs.id}").status_code == 404
    page = client.get("/console/rewards")
    edit = client.post(f"/console/rewards/{theirs.id}", data={**form_of(page.text), **COFFEE})
    assert edit.status_code == 404
    assert catalog.get(rt, other.tenant_id, theirs.id).points_cost == 50
