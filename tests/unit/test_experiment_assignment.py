"""Assignment by hash for experiments and the holdout: stable, close to the shares asked for,
independent between experiments, and honoured by the checkout plan."""

from __future__ import annotations

from regulars.domain.promotions.experiments import (
    NO_PLAN,
    Arm,
    Plan,
    in_holdout,
    variant_of,
)

KEY = bytes.fromhex("11" * 32)
MEMBERS = range(1, 20_001)


def test_variants_split_members_evenly_and_stay_put() -> None:
    counts = [0, 0, 0]
    for m in MEMBERS:
        counts[variant_of(KEY, experiment_id=7, member_id=m, variants=3)] += 1
    assert all(abs(c - 20_000 / 3) < 300 for c in counts)
    assert [variant_of(KEY, experiment_id=7, member_id=m, variants=3) for m in range(50)] == \
        [variant_of(KEY, experiment_id=7, member_id=m, variants=3) for m in range(50)]


def test_two_experiments_assign_independently() -> None:
    same = sum(variant_of(KEY, experiment_id=1, member_id=m, variants=2)
               == variant_of(KEY, experiment_id=2, member_id=m, variants=2) for m in MEMBERS)
    assert abs(same - 10_000) < 300


def test_the_holdout_takes_its_share_and_growing_it_keeps_those_held() -> None:
    small = {m for m in MEMBERS if in_holdout(KEY, member_id=m, share_bp=500)}
    large = {m for m in MEMBERS if in_holdout(KEY, member_id=m, share_bp=1000)}
    assert abs(len(small) - 1000) < 120 and abs(len(large) - 2000) < 160
    assert small <= large
    assert not any(in_holdout(KEY, member_id=m, share_bp=0) for m in range(100))


def test_the_plan_gives_each_member_their_variant_and_anonymous_receipts_the_first() -> None:
    plan = Plan(key=KEY, arms={10: Arm(experiment_id=3, position=0, variants=2),
                               11: Arm(experiment_id=3, position=1, variants=2)})
    for m in range(1, 200):
        mine = variant_of(KEY, experiment_id=3, member_id=m, variants=2)
        assert plan.allows(10, m) is (mine == 0) and plan.allows(11, m) is (mine == 1)
        assert plan.allows(12, m)  # in no experiment
    assert plan.allows(10, None) and not plan.allows(11, None)
    assert NO_PLAN.empty and not NO_PLAN.held_out(5) and not plan.held_out(None)
