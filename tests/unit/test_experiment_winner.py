"""An experiment names a winner only when its always-valid interval against every other
variant clears zero, each at 5 % over the number of pairs (Bonferroni): beating the first is
not enough while another variant that beats it too may be as good. Simulated experiments,
looked at again and again, name a false winner no more than 5 % of the time, and find a
variant that is clearly better."""

from __future__ import annotations

import numpy as np
import pytest

from regulars.analytics.uplift import LEVEL, Difference, pairwise_sequential
from regulars.domain.analytics.experiments import (
    Decision,
    Verdict,
    decide,
    pair_alpha,
    pair_count,
    pairs,
)

ALPHA = 1 - LEVEL


def _interval(low: float, high: float) -> Difference:
    return Difference(test_mean=0.0, control_mean=0.0, test_n=100, control_n=100,
                      estimate=(low + high) / 2, low=low, high=high, p_value=0.01)


def _three(one_vs_first: tuple[float, float], two_vs_first: tuple[float, float],
           two_vs_one: tuple[float, float]) -> Decision:
    return decide(3, {(1, 0): _interval(*one_vs_first), (2, 0): _interval(*two_vs_first),
                      (2, 1): _interval(*two_vs_one)})


def test_the_pairs_are_every_later_variant_against_every_earlier_one() -> None:
    assert pairs(3) == [(1, 0), (2, 0), (2, 1)]
    assert [pair_count(k) for k in (2, 3, 4, 10)] == [1, 3, 6, 45]
    assert pair_alpha(0.05, variants=2) == pytest.approx(0.05)
    assert pair_alpha(0.05, variants=4) == pytest.approx(0.05 / 6)


def test_two_variants_that_both_beat_the_first_name_no_winner_until_one_beats_the_other() -> None:
    both = _three((5, 90), (1, 60), (-40, 20))
    assert both == Decision(winner=None, beats_first=(1, 2), verdict=Verdict.NO_BEST_YET)
    assert _three((5, 90), (1, 60), (-40, -2)).winner == 1
    assert _three((5, 90), (1, 60), (3, 40)).winner == 2


def test_a_variant_that_beats_the_first_but_not_a_third_is_not_the_winner() -> None:
    # Only 1 is clear above the first, yet 2 may be as good as 1: no winner.
    assert _three((5, 90), (-10, 60), (-40, 20)) == Decision(
        winner=None, beats_first=(1,), verdict=Verdict.NO_BEST_YET)
    assert _three((5, 90), (-10, 60), (-40, -1)) == Decision(
        winner=1, beats_first=(1,), verdict=Verdict.WINNER)


def test_the_first_wins_only_when_every_other_is_clear_below_it() -> None:
    assert _three((-90, -5), (-60, -1), (-10, 10)).winner == 0
    assert _three((-90, -5), (-60, 3), (-10, 10)) == Decision(
        winner=None, beats_first=(), verdict=Verdict.NO_WINNER_YET)


def test_with_two_variants_the_one_interval_decides() -> None:
    assert decide(2, {(1, 0): _interval(1, 9)}).winner == 1
    assert decide(2, {(1, 0): _interval(-9, -1)}).winner == 0
    assert decide(2, {(1, 0): _interval(-1, 9)}).verdict is Verdict.NO_WINNER_YET


def _peeking_winner(rng: np.random.Generator, means: list[float], *, looks: int,
                    per_look: int) -> int | None:
    """Run one experiment, deciding after every ``per_look`` members per variant and stopping
    at the first winner (the peeking the always-valid intervals allow)."""
    arms = [rng.normal(mean, 300.0, size=looks * per_look) for mean in means]
    alpha = pair_alpha(ALPHA, variants=len(means))
    for look in range(1, looks + 1):
        seen = [arm[: look * per_look] for arm in arms]
        winner = decide(len(means), pairwise_sequential(seen, alpha=alpha)).winner
        if winner is not None:
            return winner
    return None


RUNS = 400


@pytest.mark.parametrize("means", [[1000.0, 1000.0, 1000.0], [1000.0, 1100.0, 1100.0]],
                         ids=["three equal", "two equally better than the first"])
def test_peeking_at_variants_no_better_than_another_names_a_false_winner_rarely(
        means: list[float]) -> None:
    rng = np.random.default_rng(20261207)
    winners = [_peeking_winner(rng, means, looks=8, per_look=100) for _ in range(RUNS)]
    assert sum(w is not None for w in winners) <= ALPHA * RUNS


def test_a_clearly_better_variant_is_found() -> None:
    rng = np.random.default_rng(7)
    winners = [_peeking_winner(rng, [1000.0, 1000.0, 1200.0], looks=8, per_look=100)
               for _ in range(50)]
    assert winners.count(2) >= 45 and set(winners) <= {2, None}
