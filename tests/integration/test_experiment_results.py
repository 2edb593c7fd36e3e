"""An experiment's results over three variants read from real receipts: two variants that
both beat the first by the same amount name no winner (the page says which beat it), and one
that then pulls clear of the other wins; the sample size plans for the same comparisons
(SQLite, and PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from regulars.analytics import uplift as stats
from regulars.domain.analytics.experiments import Verdict
from regulars.domain.promotions.experiments import variant_of
from regulars.domain.promotions.promotions import BonusPoints
from regulars.services.analytics import experiments as results
from regulars.services.audit import audit
from regulars.services.promotions import experiments, promotions
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line

PER_VARIANT = 30


@dataclass
class Trial:
    pos: Pos
    experiment_id: int
    members: list[list[int]]  # by variant


def three_variants(rt: Runtime, shop: Shop, clock: FakeClock) -> Trial:
    """An experiment of three bonus promotions (so they leave what members pay alone) and at
    least 30 members in each variant, every one of whom pays about 100.00 in the first and
    about 150.00 in the other two (a few roubles of spread, by member)."""
    pos = Pos(rt, shop)
    ids = [promotions.create(rt, shop.tenant_id, promotions.Draft(
        name=f"Bonus {n}", effects=(BonusPoints(points=n + 1),)), actor=audit.SYSTEM).id
        for n in range(3)]
    made = experiments.create(rt, shop.tenant_id, experiments.ExperimentDraft(
        name="Three bonuses", variants=tuple(
            experiments.VariantDraft(name=name, promotion_id=p)
            for name, p in zip(("Small", "Middle", "Large"), ids, strict=True))),
        actor=audit.SYSTEM)
    with rt.db.read() as conn:
        key = experiments.assignment_key(conn, shop.tenant_id)
    members: list[list[int]] = [[], [], []]
    n = 0
    while min(len(m) for m in members) < PER_VARIANT:
        member_id = int(pos.register(n)["id"])
        variant = variant_of(key, experiment_id=made.id, member_id=member_id, variants=3)
        members[variant].append(member_id)
        price = (10_000 if variant == 0 else 15_000) + (n % 7) * 100
        pos.commit(member_id, (line("tea", price),), receipt=f"r{n}")
        n += 1
    clock.now += timedelta(hours=1)
    return Trial(pos=pos, experiment_id=made.id, members=members)


@pytest.fixture
def trial(rt: Runtime, shop: Shop, clock: FakeClock) -> Trial:
    return three_variants(rt, shop, clock)


@pytest.mark.postgres
def test_two_variants_that_beat_the_first_alike_name_no_winner_until_one_pulls_clear(
        rt: Runtime, clock: FakeClock, trial: Trial) -> None:
    found = results.experiment_results(rt, trial.pos.tenant_id, trial.experiment_id)
    assert [v.members for v in found.variants] == [len(m) for m in trial.members]
    assert (found.verdict, found.winner_position, found.beats_baseline) == (
        Verdict.NO_BEST_YET, None, [1, 2])
    for v in found.variants[1:]:
        assert v.always_valid is not None and v.always_valid.low_minor is not None
        assert v.always_valid.low_minor > 0
    # The largest bonus's members come back and pay 100.00 more each.
    for n, member_id in enumerate(trial.members[2]):
        trial.pos.commit(member_id, (line("cake", 10_000 + (n % 5) * 100),),
                         receipt=f"again{n}")
    clock.now += timedelta(hours=1)
    found = results.experiment_results(rt, trial.pos.tenant_id, trial.experiment_id)
    assert (found.verdict, found.winner_position, found.beats_baseline) == (
        Verdict.WINNER, 2, [1, 2])


def test_the_sample_size_plans_for_every_pair_of_variants(rt: Runtime, shop: Shop) -> None:
    sized = results.sample_size(rt, shop.tenant_id, effect_minor=500, sd_minor=1000,
                                variants=3)
    assert sized.per_arm is not None
    assert sized.per_arm == stats.sample_size(effect=500, sd=1000, alpha=0.05 / 3)
    assert sized.total == 3 * sized.per_arm
    assert sized.per_arm_always_valid == stats.sequential_sample_size(effect=500, sd=1000,
                                                                      alpha=0.05 / 3)
    two = results.sample_size(rt, shop.tenant_id, effect_minor=500, sd_minor=1000)
    assert two.per_arm == 64
