"""Which variant of an experiment is shown best, from its pairwise always-valid intervals.

A variant wins only when its interval against *every* other variant lies above zero: beating
the first (the baseline) is not enough while another variant that also beats it may be as
good. With ``k`` variants there are ``k(k − 1)/2`` pairs, and each interval is computed at
``α / (k(k − 1)/2)`` (Bonferroni): the chance that any of them misses the true difference, at
any look, is then at most ``α``, and a false winner needs at least one to miss. Holm's
step-down would reject a little more often at the same ``α``, but it adjusts p-values rather
than intervals, and its thresholds depend on how the pairs rank at each look; one fixed level
per pair keeps every interval shown on the page the one the decision used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Interval(Protocol):
    """An interval of ``mean[test] − mean[control]``."""

    @property
    def low(self) -> float: ...

    @property
    def high(self) -> float: ...


class Verdict(StrEnum):
    WINNER = "winner"  # one variant clears every other
    NO_BEST_YET = "no_best_yet"  # some clear the first, none yet clears all the others
    NO_WINNER_YET = "no_winner_yet"  # nothing clears the first
    TOO_SMALL = "too_small"  # a variant has too few members to tell


@dataclass(frozen=True, kw_only=True)
class Decision:
    """``winner`` is the index of the variant shown best (``None`` while none is);
    ``beats_first`` the indexes of the variants whose interval against the first clears
    zero, in order."""

    winner: int | None
    beats_first: tuple[int, ...]
    verdict: Verdict


def pair_count(variants: int) -> int:
    """How many pairs ``variants`` make, ``k(k − 1)/2``."""
    return variants * (variants - 1) // 2


def pair_alpha(alpha: float, *, variants: int) -> float:
    """The level each pairwise interval is computed at so that all hold together at
    ``alpha`` (Bonferroni)."""
    return alpha / max(1, pair_count(variants))


def pairs(variants: int) -> list[tuple[int, int]]:
    """Every ``(test, control)`` with ``test > control``: the keys :func:`decide` reads."""
    return [(test, control) for test in range(1, variants) for control in range(test)]


def clears(intervals: Mapping[tuple[int, int], Interval], better: int, worse: int) -> bool:
    """Whether ``better`` is shown above ``worse``: the interval of their difference lies
    wholly above zero (read from whichever way round the pair is keyed)."""
    if better > worse:
        return intervals[better, worse].low > 0
    return intervals[worse, better].high < 0


def decide(variants: int, intervals: Mapping[tuple[int, int], Interval]) -> Decision:
    """The winner, if one variant clears every other, and which clear the first.
    ``intervals`` holds one interval per key of :func:`pairs`, all at the level of
    :func:`pair_alpha`. Raises ``KeyError`` for a missing pair."""
    others = range(variants)
    winner = next((i for i in others
                   if all(clears(intervals, i, j) for j in others if j != i)), None)
    beats_first = tuple(i for i in range(1, variants) if clears(intervals, i, 0))
    if winner is not None:
        verdict = Verdict.WINNER
    elif beats_first:
        verdict = Verdict.NO_BEST_YET
    else:
        verdict = Verdict.NO_WINNER_YET
    return Decision(winner=winner, beats_first=beats_first, verdict=verdict)
