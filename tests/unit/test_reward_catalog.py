"""The rewards catalogue's pure rules: what a reward takes off a basket, whether a member may
claim it, the checks of a new reward, and the engine paying a reward with its points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from regulars.domain.checkout.engine import evaluate
from regulars.domain.checkout.quote import RewardUse
from regulars.domain.rewards.catalog import (
    Claimable,
    LineFacts,
    Refusal,
    RewardDraft,
    RewardKind,
    RewardTerms,
    discount_by_line,
    problems,
    refusal,
)
from tests.unit.test_engine import line, member, program

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LINES = (LineFacts("CAP-M", "coffee", 350, 700), LineFacts("LAT-L", "coffee", 420, 420),
         LineFacts("BUN", "bakery", 200, 200))


def test_a_product_reward_frees_one_unit_of_the_dearest_matching_line() -> None:
    coffee = RewardTerms(kind=RewardKind.PRODUCT, category="coffee")
    assert discount_by_line(coffee, LINES) == (0, 420, 0)


def test_a_product_reward_is_capped_by_its_price_and_by_what_is_left_to_pay() -> None:
    assert discount_by_line(RewardTerms(kind=RewardKind.PRODUCT, category="coffee",
                                        max_price_minor=400), LINES) == (0, 400, 0)
    left = (LineFacts("CAP-M", "coffee", 350, 100),)
    assert discount_by_line(RewardTerms(kind=RewardKind.PRODUCT, sku="CAP-M"), left) == (100,)


def test_a_fixed_discount_is_spread_over_the_matching_lines_and_never_exceeds_them() -> None:
    coffee = RewardTerms(kind=RewardKind.FIXED, category="coffee", amount_minor=560)
    off = discount_by_line(coffee, LINES)
    assert sum(off) == 560 and off[2] == 0
    assert discount_by_line(RewardTerms(kind=RewardKind.FIXED, amount_minor=10_000),
                            LINES) == (700, 420, 200)


def test_a_percentage_is_rounded_down_over_every_line_when_none_is_named() -> None:
    assert sum(discount_by_line(RewardTerms(kind=RewardKind.PERCENT, rate_bp=1000),
                                LINES)) == 132  # 10 % of 13.20


def test_a_perk_and_a_reward_without_a_matching_line_take_nothing() -> None:
    assert discount_by_line(RewardTerms(kind=RewardKind.PERK), LINES) == (0, 0, 0)
    assert discount_by_line(RewardTerms(kind=RewardKind.PRODUCT, sku="TEA"), LINES) == (0, 0, 0)


def _claimable(**changes: object) -> Claimable:
    values: dict[str, object] = {"active": True, "points_cost": 200, "valid_from": None,
                                 "valid_until": None, "store_ids": (), "level_codes": (),
                                 **changes}
    return Claimable(**values)  # type: ignore[arg-type]


def test_a_member_may_claim_only_within_validity_store_level_and_points() -> None:
    def why(reward: Claimable, points: int = 500, store: int | None = 1,
            level: str = "base") -> Refusal | None:
        return refusal(reward, now=NOW, store_id=store, level_code=level,
                       spendable_points=points)

    assert why(_claimable()) is None
    assert why(_claimable(active=False)) is Refusal.INACTIVE
    assert why(_claimable(valid_from=NOW + timedelta(days=1))) is Refusal.NOT_YET
    assert why(_claimable(valid_until=NOW)) is Refusal.ENDED
    assert why(_claimable(store_ids=(2,))) is Refusal.STORE
    assert why(_claimable(store_ids=(2,)), store=None) is None  # a claim in advance
    assert why(_claimable(level_codes=("gold",))) is Refusal.LEVEL
    assert why(_claimable(), points=199) is Refusal.POINTS
    assert why(_claimable(), points=200) is None


def test_a_new_reward_reports_every_problem_by_field() -> None:
    draft = RewardDraft(kind="percent", points_cost=0, titles={"en": " ", "xx": "A"},
                        descriptions={}, picture_url="ftp://x", claim_days=0,
                        valid_from=NOW, valid_until=NOW, stock_per_day=0)
    fields = {p.field for p in problems(draft)}
    assert fields == {"points_cost", "rate_bp", "picture_url", "claim_days", "valid_until",
                      "stock_per_day", "titles.xx"}
    assert problems(RewardDraft(kind="product", points_cost=1, titles={},
                                descriptions={}))[0].field == "sku"
    assert problems(RewardDraft(kind="perk", points_cost=5, titles={"ru": "Подарок"},
                                descriptions={"uk": "Опис"})) == []


def test_the_engine_pays_a_reward_with_its_points_and_keeps_them_from_points_to_spend() -> None:
    prog = program(redeem_share_max_bp=10_000, point_value_minor=1)
    basket = (line("CAP-M", 350, category="coffee"), line("BUN", 200, category="bakery"))
    reward = RewardUse(id=4, title="Free coffee", points=200,
                       terms=RewardTerms(kind=RewardKind.PRODUCT, sku="CAP-M"))
    quote = evaluate(prog, basket, member(prog, spendable_points=250), reward=reward)
    assert quote.reward is not None and quote.reward.discount_minor == 350
    assert quote.lines[0].points_spent == 200 and quote.lines[0].paid_minor == 0
    assert quote.points_spent == 200 and quote.points_discount_minor == 350
    assert quote.paid_minor == 200
    assert quote.max_spendable_points == 50  # what is left after the reward's points
    assert any(e.code == "reward_claimed" for e in quote.explanations)


def test_a_code_claimed_in_advance_is_explained_with_the_points_its_claim_cost() -> None:
    prog = program(point_value_minor=1)
    reward = RewardUse(id=4, title="Free coffee", points=0, claimed_points=200,
                       terms=RewardTerms(kind=RewardKind.PRODUCT, sku="CAP-M"))
    quote = evaluate(prog, (line("CAP-M", 350, category="coffee"),),
                     member(prog, spendable_points=0), reward=reward)
    why = [e for e in quote.explanations if e.code.startswith("reward_")]
    assert [(e.code, e.param("points")) for e in why] == [("reward_redeemed", 200)]
    assert quote.points_spent == 0 and quote.paid_minor == 0
