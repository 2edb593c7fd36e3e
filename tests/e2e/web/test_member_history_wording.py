"""A member's history speaks of the member's own points: a purchase that spent none leaves out
how many points could have been spent there (the till's working), one that spent some keeps it
and gives each reason once (on the entry it explains, old purchases too), and a reward claimed
ahead, or expired unused, reads in words, in every language, not as its code."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.domain.checkout import reasons
from regulars.domain.rewards.catalog import RewardDraft
from regulars.services.audit import audit
from regulars.services.checkout import commit
from regulars.services.ledger import member_ledger
from regulars.services.rewards import catalog, claims
from regulars.services.runtime import Runtime
from regulars.text.wording import render_code
from tests.conftest import FakeClock, Shop
from tests.e2e.web.customer_support import buy, register, sign_in_member, with_levels
from tests.integration.support import Pos, phone

LIMIT = "can be spent here"
CLAIMED = {"en": "Reward “Free coffee” claimed ahead for 200 points.",
           "ru": "Награда «Free coffee» получена заранее за 200 баллов.",
           "uk": "Винагороду «Free coffee» отримано заздалегідь за 200 балів.",
           "bg": "Награда „Free coffee“ е взета предварително за 200 точки."}
EXPIRED = {"en": "Reward expired unused — points returned",
           "ru": "Награда не использована вовремя — баллы возвращены",
           "uk": "Винагороду не використано вчасно — бали повернуто",
           "bg": "Наградата не е използвана навреме — точките са върнати"}
RETURN = {"en": ">Return<", "ru": ">Возврат<", "uk": ">Повернення<", "bg": ">Връщане<"}


def test_the_spend_limit_shows_only_on_a_purchase_that_spent_points(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    with_levels(rt, shop.tenant_id)
    member_id = register(rt, shop.tenant_id, 1)
    pos = Pos(rt, shop)
    buy(pos, member_id, 100_000, "r1")
    client.cookies.set("rg_lang", "en")
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/history")
    assert page.status_code == 200, page.text
    assert "Base level: 3" in page.text  # the points earned are explained
    assert LIMIT not in page.text
    buy(pos, member_id, 100_000, "r2", spend=10)
    page = client.get(f"/c/{shop.tenant_id}/history")
    assert LIMIT in page.text
    assert "10 points pay" in page.text


def _claimed_ahead(rt: Runtime, shop: Shop) -> int:
    """A member with 250 points who claimed a reward of 200 ahead (valid 7 days): its id."""
    member_id = register(rt, shop.tenant_id, 1)
    Pos(rt, shop).grant(member_id, 250)
    reward = catalog.create(rt, shop.tenant_id, RewardDraft(
        kind="product", sku="CAP-M", points_cost=200, titles={"en": "Free coffee"},
        descriptions={}, claim_days=7), actor=audit.SYSTEM).id
    claims.claim_in_advance(rt, shop.tenant_id, member_id, reward)
    return int(reward)


@pytest.mark.parametrize("language", ["en", "ru", "uk", "bg"])
def test_a_reward_claimed_ahead_reads_in_words(
        client: TestClient, rt: Runtime, shop: Shop, language: str) -> None:
    reward = _claimed_ahead(rt, shop)
    client.cookies.set("rg_lang", language)
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/history")
    assert page.status_code == 200, page.text
    assert "reward_claimed_ahead" not in page.text
    assert CLAIMED[language] in page.text  # the reward's title, not its id
    assert f"#{reward}" not in page.text and f"№{reward}" not in page.text


@pytest.mark.parametrize("code", ["reward_refunded", "reward_expired"])
@pytest.mark.parametrize("locale", ["en_GB", "ru_RU", "uk_UA", "bg_BG"])
def test_the_points_of_a_reward_given_back_read_in_words(code: str, locale: str) -> None:
    params: dict[str, int | str] = {"reward_id": 7, "reward": "Free coffee"}
    said = render_code(code, params, locale=locale, currency="EUR")
    english = render_code(code, params, locale="en_GB", currency="EUR")
    assert code not in said
    assert "Free coffee" in said and "7" not in said
    assert (said == english) == (locale == "en_GB")


class _RecordedBefore:
    """Reasons as purchases recorded them before each entry kept its own: all on both."""

    @staticmethod
    def of_spend(why: list[Any], *, earned: bool) -> list[Any]:
        return reasons.of_spend(why, earned=earned and False)

    @staticmethod
    def of_earn(why: list[Any], *, spent: bool) -> list[Any]:
        return reasons.of_earn(why, spent=spent and False)


@pytest.mark.parametrize("recorded", ["now", "before"])
def test_a_purchase_that_spent_points_gives_each_reason_once(
        client: TestClient, rt: Runtime, shop: Shop, monkeypatch: pytest.MonkeyPatch,
        recorded: str) -> None:
    with_levels(rt, shop.tenant_id)
    member_id = register(rt, shop.tenant_id, 1)
    pos = Pos(rt, shop)
    buy(pos, member_id, 100_000, "r1")
    if recorded == "before":
        monkeypatch.setattr(commit, "reasons", _RecordedBefore)
    buy(pos, member_id, 100_000, "r2", spend=10)
    monkeypatch.undo()
    history = member_ledger.history(rt, shop.tenant_id, member_id, locale="en_GB")
    assert [e.code for e in history[:2]] == ["earn", "spend"]
    earned, spent = history[0].explanations, history[1].explanations
    assert any("10 points pay" in text for text in spent)
    assert not any("points pay" in text for text in earned)
    assert any("Base level: 3" in text for text in earned)
    assert not any("Base level: 3" in text for text in spent)
    client.cookies.set("rg_lang", "en")
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/history").text
    assert page.count("10 points pay") == 1
    assert page.count("Base level: 3") == 2  # one per purchase


@pytest.mark.parametrize("language", ["en", "ru", "uk", "bg"])
def test_a_reward_that_expired_unused_is_named_so_not_a_return(
        client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock, language: str) -> None:
    _claimed_ahead(rt, shop)
    clock.advance(days=8)
    assert claims.expire_claims(rt).points_returned == 200
    client.cookies.set("rg_lang", language)
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    page = client.get(f"/c/{shop.tenant_id}/history").text
    returned = page.split('class="card entry"')[1]  # the newest entry
    assert EXPIRED[language] in returned
    assert RETURN[language] not in returned
