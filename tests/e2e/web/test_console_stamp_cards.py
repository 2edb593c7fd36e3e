"""The console's stamp cards over HTTP: problems beside their fields with what was typed
kept, a card added and changed, and another business's card not found."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.stamps.cards import Reward, StampCard
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.stamps import cards
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in

CARD = {"name": "Coffee", "categories": "coffee", "per_card": "10", "reward": "free_item",
        "grant_at": "completing", "active": "1", "title_ru": "Кофейная карта"}


def test_a_card_with_problems_shows_them_and_keeps_what_was_typed(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/stamp-cards")
    assert page.status_code == 200 and "No stamp cards yet" in page.text
    wrong = client.post("/console/stamp-cards", data={
        **form_of(page.text), **CARD, "categories": "", "per_card": "1",
        "reward": "discount", "discount": ""})
    assert wrong.status_code == 422
    for name in ("per_card", "skus", "discount"):
        assert f'id="e-{name}"' in wrong.text, name
    assert 'value="Coffee"' in wrong.text and 'value="Кофейная карта"' in wrong.text
    assert cards.list_all(rt, shop.tenant_id) == ()
    done = client.post("/console/stamp-cards", data={**form_of(page.text), **CARD},
                       follow_redirects=False)
    assert done.status_code == 303
    [made] = cards.list_all(rt, shop.tenant_id)
    assert (made.per_card, made.categories, made.titles) == (
        10, frozenset({"coffee"}), {"ru": "Кофейная карта"})

    edit = client.get(f"/console/stamp-cards/{made.id}")
    assert edit.status_code == 200 and 'value="coffee"' in edit.text
    saved = client.post(f"/console/stamp-cards/{made.id}", data={
        **form_of(edit.text), **CARD, "reward": "discount", "discount": "2.00",
        "grant_at": "next", "expiry_days": "90"}, follow_redirects=False)
    assert saved.status_code == 303
    changed = cards.get(rt, shop.tenant_id, made.id)
    assert (changed.discount_minor, changed.grant_at.value, changed.expiry_days) == (
        200, "next", 90)


def test_another_business_card_is_not_found(client: TestClient, rt: Runtime,
                                            shop: Shop) -> None:
    other = make_shop(rt, "Other Café")
    theirs = cards.create(rt, other.tenant_id, StampCard(
        id=0, name="Tea", categories=frozenset({"tea"}), per_card=5, reward=Reward.FREE_ITEM),
        audit.staff(None))
    signed_in(client, rt, shop, "owner")
    assert client.get(f"/console/stamp-cards/{theirs.id}").status_code == 404
    assert "Tea" not in client.get("/console/stamp-cards").text
