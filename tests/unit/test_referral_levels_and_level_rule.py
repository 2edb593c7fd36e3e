"""Pure rules: who a referral pays above the referrer, and the ``level`` segment rule's
choice of levels."""

from __future__ import annotations

import pytest

from regulars.domain.promotions.segments import LevelIn, Segment
from regulars.domain.rewards.rewards import ReferralRule, chain_payouts

LEVELS = (("base", "Base"), ("silver", "Silver"), ("gold", "Gold"))


def test_each_level_above_the_referrer_is_paid_its_points() -> None:
    assert chain_payouts(referred_id=9, referrer_id=8, chain=(7, 6, 5),
                         level_points=(50, 20)) == ((2, 7, 50), (3, 6, 20))


def test_a_short_chain_pays_the_levels_it_has() -> None:
    assert chain_payouts(referred_id=9, referrer_id=8, chain=(7,),
                         level_points=(50, 20)) == ((2, 7, 50),)
    assert chain_payouts(referred_id=9, referrer_id=8, chain=(), level_points=(50,)) == ()


def test_a_cycle_ends_the_chain_and_nobody_is_paid_twice() -> None:
    assert chain_payouts(referred_id=9, referrer_id=8, chain=(7, 9, 6),
                         level_points=(50, 20, 10)) == ((2, 7, 50),)
    assert chain_payouts(referred_id=9, referrer_id=8, chain=(8, 7),
                         level_points=(50, 20)) == ()
    assert chain_payouts(referred_id=9, referrer_id=8, chain=(7, 7),
                         level_points=(50, 20)) == ((2, 7, 50),)


def test_levels_worth_nothing_are_left_out_but_the_walk_goes_on() -> None:
    assert chain_payouts(referred_id=9, referrer_id=8, chain=(7, 6),
                         level_points=(0, 20)) == ((3, 6, 20),)


def test_at_most_four_levels_above_the_referrer() -> None:
    ReferralRule(upper_level_points=(1, 2, 3, 4))
    with pytest.raises(ValueError, match="upper_level_points"):
        ReferralRule(upper_level_points=(1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match="upper_level_points"):
        ReferralRule(upper_level_points=(-1,))


def test_level_rule_names_levels_by_code_or_name() -> None:
    assert LevelIn(levels=frozenset({"silver", "Gold"})).ranks(LEVELS) == {1, 2}
    assert LevelIn(levels=frozenset({"platinum"})).ranks(LEVELS) == frozenset()
    assert Segment(id=1, name="S", rules=(LevelIn(levels=frozenset({"base"})),)).needs_levels
    with pytest.raises(ValueError, match="levels"):
        LevelIn(levels=frozenset())
