"""A member's history names the member a merge brought points from, in the reader's
language, where the entry keeps only the member's id, and stored reasons that keep only ids
read the reward's title, the coupon series' and the member's names; on both databases."""

from __future__ import annotations

import pytest

from regulars.domain.promotions.effects import PercentDiscount
from regulars.domain.rewards.catalog import RewardDraft
from regulars.services.audit import audit
from regulars.services.checkout import reason_names
from regulars.services.ledger import member_ledger
from regulars.services.members import privacy, registration
from regulars.services.members.registration import Registration
from regulars.services.promotions import coupons
from regulars.services.rewards import catalog
from regulars.services.runtime import Runtime
from regulars.text.wording import render_code
from tests.conftest import make_shop
from tests.integration.support import Pos, phone

SAID = {"en_GB": "40 points moved in from member Anna Petrova.",
        "ru_RU": "40 баллов перенесено от участника Anna Petrova.",
        "uk_UA": "40 балів перенесено від учасника Anna Petrova.",
        "bg_BG": "40 точки са прехвърлени от член Anna Petrova."}


def _anna_merged(rt: Runtime, shop: str) -> tuple[Pos, int, int]:
    """Anna Petrova's 40 points merged into another member: (pos, Anna's id, the other's)."""
    pos = Pos(rt, make_shop(rt, shop))
    source, _ = registration.register(rt, pos.tenant_id, Registration(
        phone=phone(1), first_name="Anna", last_name="Petrova"))
    target = pos.register(2)["id"]
    pos.grant(source.id, 40)
    member_ledger.merge(rt, pos.tenant_id, source_id=source.id, target_id=target, key="m")
    return pos, source.id, target


def _merge_said(rt: Runtime, pos: Pos, target: int, locale: str) -> tuple[str, ...]:
    [moved] = [e for e in member_ledger.history(rt, pos.tenant_id, target, locale=locale)
               if e.code == "merge"]
    return moved.explanations


@pytest.mark.parametrize("locale", sorted(SAID))
def test_a_merge_names_the_member_it_came_from(rt: Runtime, locale: str) -> None:
    pos, source, target = _anna_merged(rt, "Names")
    said = _merge_said(rt, pos, target, locale)
    assert said == (SAID[locale],)
    assert f"#{source}" not in said[0]


def test_reasons_stored_with_ids_only_read_the_names(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt, "Stored"))
    friend, _ = registration.register(rt, pos.tenant_id, Registration(
        phone=phone(3), first_name="Boris"))
    series = coupons.create_series(rt, pos.tenant_id, coupons.SeriesDraft(
        name="Next coffee", effect=PercentDiscount(rate_bp=2000)), actor=audit.SYSTEM)
    reward = catalog.create(rt, pos.tenant_id, RewardDraft(
        kind="product", sku="CAP-M", points_cost=200,
        titles={"en": "Free coffee", "ru": "Кофе в подарок"}, descriptions={},
        claim_days=7), actor=audit.SYSTEM)
    stored = [{"code": "promotion_coupon", "params": {
                  "promotion": "Come back", "promotion_id": 1, "version": 2,
                  "series_id": series.id}},
              {"code": "reward_expired", "params": {"reward_id": reward.id}},
              {"code": "referral_referrer", "params": {"points": 5, "member_id": friend.id}},
              {"code": "coupon_discount", "params": {
                  "series": "Kept as it was", "series_id": series.id, "discount_minor": 100}}]
    with rt.db.read() as conn:
        named = reason_names.named(conn, pos.tenant_id, stored, language="ru")
    said = [render_code(r["code"], r["params"], locale="ru_RU", currency="RUB") for r in named]
    assert said[0].endswith("вы получите купон «Next coffee» на следующий визит.")
    assert said[1].startswith("Награда «Кофе в подарок»:")
    assert said[2] == "Бонус за приглашение участника Boris: 5 баллов."
    assert said[3].startswith("Купон «Kept as it was»:")  # a name it carries stays
    assert stored[0]["params"].get("series") is None  # the stored reasons are not changed


def test_a_merge_from_a_member_erased_since_names_nobody(rt: Runtime) -> None:
    """The name is looked up when the history is read, never kept in the entry: once the
    member the points came from is erased, the sentence reads their id alone."""
    pos, source, target = _anna_merged(rt, "Erased")
    privacy.erase(rt, pos.tenant_id, source, actor=audit.SYSTEM)
    assert _merge_said(rt, pos, target, "en_GB") == (
        f"40 points moved in from member #{source}.",)
