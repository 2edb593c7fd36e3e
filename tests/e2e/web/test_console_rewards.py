"""The console's rewards catalogue over HTTP: every problem of a reward beside its field with
what was typed kept, edits (the days offered and the stores too) and withdrawal, and another
business's reward not found."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from regulars.domain.rewards.catalog import RewardDraft
from regulars.services.audit import audit
from regulars.services.rewards import catalog, claims
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, member, signed_in
from tests.integration.support import Pos

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


def test_the_days_offered_and_the_stores_are_edited_with_problems_beside_them(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    second = tenants.create_store(rt, shop.tenant_id, code="station", name="Station kiosk",
                                  actor=audit.SYSTEM)
    theirs = make_shop(rt, "Other Café").store_id
    made = catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="perk", points_cost=100, titles={"en": "Upgrade"}, descriptions={}),
        actor=audit.SYSTEM)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/rewards/{made.id}")
    assert 'name="valid_from"' in page.text and "Station kiosk" in page.text
    base = {**form_of(page.text), "kind": "perk", "points_cost": "100", "claim_days": "30",
            "title_en": "Upgrade"}

    wrong = client.post(f"/console/rewards/{made.id}", data={
        **base, "valid_from": "2026-04-31", "valid_until": "", "store": [str(theirs)]})
    assert wrong.status_code == 422
    assert 'id="e-valid_from"' in wrong.text and 'id="e-store"' in wrong.text
    assert 'value="2026-04-31"' in wrong.text
    backwards = client.post(f"/console/rewards/{made.id}", data={
        **base, "valid_from": "2026-05-10", "valid_until": "2026-05-01"})
    assert backwards.status_code == 422 and 'id="e-valid_until"' in backwards.text
    unchanged = catalog.get(rt, shop.tenant_id, made.id)
    assert (unchanged.valid_from, unchanged.valid_until, unchanged.store_ids) == (None, None, ())

    saved = client.post(f"/console/rewards/{made.id}", data={
        **base, "valid_from": "2026-05-01", "valid_until": "2026-05-31",
        "store": [str(shop.store_id), str(second.id)]}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    changed = catalog.get(rt, shop.tenant_id, made.id)
    # Moscow's days (UTC+3): from the first day's start to the last day's end.
    assert changed.valid_from == datetime(2026, 4, 30, 21, 0, tzinfo=UTC)
    assert changed.valid_until == datetime(2026, 5, 31, 21, 0, tzinfo=UTC)
    assert changed.store_ids == tuple(sorted((shop.store_id, second.id)))
    shown = client.get(f"/console/rewards/{made.id}").text
    assert 'value="2026-05-01"' in shown and 'value="2026-05-31"' in shown
    for store_id in (shop.store_id, second.id):
        assert f'name="store" value="{store_id}" checked' in shown

    cleared = client.post(f"/console/rewards/{made.id}", data={
        **base, "valid_from": "", "valid_until": "2026-05-31"}, follow_redirects=False)
    assert cleared.status_code == 303
    again = catalog.get(rt, shop.tenant_id, made.id)
    assert (again.valid_from, again.valid_until, again.store_ids) == (
        None, changed.valid_until, ())


def test_a_rewards_claims_name_the_member(client: TestClient, rt: Runtime, shop: Shop) -> None:
    buyer = member(rt, shop, first_name="Olga")["id"]
    Pos(rt, shop).grant(buyer, 250)
    reward = catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="product", sku="CAP-M", points_cost=200, titles={"en": "Free coffee"},
        descriptions={}, claim_days=7), actor=audit.SYSTEM).id
    claims.claim_in_advance(rt, shop.tenant_id, buyer, reward)
    signed_in(client, rt, shop, "owner")
    page = client.get(f"/console/rewards/{reward}").text
    assert f'<a href="/console/members/{buyer}">Olga</a>' in page
    assert f">#{buyer}<" not in page
