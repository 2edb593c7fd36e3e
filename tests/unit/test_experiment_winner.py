"""An experiment names a winner only when the always-valid intervals against the first
variant support one: a variant clear above zero (the best of those that are), the first
variant when every other is clear below it, and none while any interval holds zero."""

from __future__ import annotations

import numpy as np

from regulars.analytics.uplift import Difference
from regulars.services.analytics.experiments import _winner


def _against_first(low: float, high: float) -> Difference:
    return Difference(test_mean=0.0, control_mean=0.0, test_n=100, control_n=100,
                      estimate=(low + high) / 2, low=low, high=high, p_value=0.01)


ARMS = [np.array([100.0, 110.0]), np.array([150.0, 160.0]), np.array([130.0, 140.0])]


def test_a_variant_clear_above_the_first_wins_the_best_of_those_clear() -> None:
    assert _winner(ARMS, [None, _against_first(5, 90), _against_first(-10, 60)]) == 1
    assert _winner(ARMS, [None, _against_first(5, 90), _against_first(1, 60)]) == 1


def test_the_first_wins_only_when_every_other_is_clear_below_it() -> None:
    assert _winner(ARMS, [None, _against_first(-90, -5), _against_first(-60, -1)]) == 0
    assert _winner(ARMS, [None, _against_first(-90, -5), _against_first(-60, 3)]) is None


def test_no_winner_while_every_interval_holds_zero() -> None:
    assert _winner(ARMS, [None, _against_first(-5, 90), _against_first(-60, 30)]) is None
