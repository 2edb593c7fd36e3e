"""RFM: recency, frequency and monetary quintile scores, and named groups built from them.

Each score runs from 1 (worst fifth) to 5 (best fifth) and depends only on how many members
are strictly worse: ``score = 1 + ⌊5 · worse / n⌋``. Equal values always get equal scores (a
member is never pushed into another fifth by an arbitrary tie-break), so when many members
share a value, as most one-time buyers share a purchase count, a fifth may be empty.

- R from ``days_since_last`` (fewer days is better),
- F from purchases (purchase days, ``frequency + 1``),
- M from ``spend_minor`` (everything up to the calibration end).

The group comes from R and F (:data:`GROUPS`, rules as data); M is reported beside it. Group
codes are stable: a segment rule may name them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from regulars.analytics.summary import CalibrationSummary

SCORES = 5


class RfmGroup(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALIST = "potential_loyalist"
    NEW = "new"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANNOT_LOSE = "cannot_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"


_G = RfmGroup
# GROUPS[r - 1][f - 1]: rows are recency scores 1..5, columns frequency scores 1..5.
GROUPS: tuple[tuple[RfmGroup, ...], ...] = (
    (_G.LOST, _G.LOST, _G.AT_RISK, _G.AT_RISK, _G.CANNOT_LOSE),
    (_G.HIBERNATING, _G.HIBERNATING, _G.AT_RISK, _G.AT_RISK, _G.CANNOT_LOSE),
    (_G.ABOUT_TO_SLEEP, _G.ABOUT_TO_SLEEP, _G.NEED_ATTENTION, _G.LOYAL, _G.LOYAL),
    (_G.PROMISING, _G.POTENTIAL_LOYALIST, _G.POTENTIAL_LOYALIST, _G.LOYAL, _G.LOYAL),
    (_G.NEW, _G.POTENTIAL_LOYALIST, _G.POTENTIAL_LOYALIST, _G.CHAMPIONS, _G.CHAMPIONS),
)


@dataclass(frozen=True, kw_only=True)
class RfmScore:
    """One member's scores (each 1..5), the figures they came from, and the group."""

    member_id: Hashable
    days_since_last: int
    purchases: int
    spend_minor: int
    recency_score: int
    frequency_score: int
    monetary_score: int
    group: RfmGroup

    @property
    def code(self) -> str:
        """The three scores as digits, recency first: ``"545"``."""
        return f"{self.recency_score}{self.frequency_score}{self.monetary_score}"


SmallArray = npt.NDArray[np.int8]
SCORE_ROWS = 65_536
"""Values scored together: the searches' eight-byte positions are this many rows long."""


def quintile_scores(values: npt.NDArray[np.integer[Any]], *,
                    higher_is_better: bool) -> SmallArray:
    """``1 + ⌊5 · worse / n⌋`` per value, ``worse`` counting the values strictly worse;
    one byte a value, worked out ``SCORE_ROWS`` values at a time over one sorted copy."""
    n = len(values)
    ordered = np.sort(values)
    scores: SmallArray = np.empty(n, dtype=np.int8)
    for start in range(0, n, SCORE_ROWS):
        found = np.searchsorted(ordered, values[start:start + SCORE_ROWS],
                                side="left" if higher_is_better else "right")
        if not higher_is_better:
            np.subtract(n, found, out=found)
        found *= SCORES
        found //= max(n, 1)
        found += 1
        scores[start:start + SCORE_ROWS] = found
    return scores


@dataclass(frozen=True, kw_only=True)
class RfmArrays:
    """Every member's scores (each 1..5) and group, as arrays of one byte a member in the
    order of ``summary.member_ids``: what :func:`rfm_scores` gives, without an object per
    member."""

    recency: SmallArray
    frequency: SmallArray
    monetary: SmallArray
    group: SmallArray
    """The index of each member's group in :data:`GROUP_ORDER`."""

    @property
    def code(self) -> npt.NDArray[np.int16]:
        """The three scores as one number, recency first: ``545``."""
        wide = self.recency.astype(np.int16)
        found: npt.NDArray[np.int16] = wide * 100 + self.frequency * 10 + self.monetary
        return found


GROUP_ORDER: tuple[RfmGroup, ...] = tuple(RfmGroup)
_GROUP_INDEX = np.array([[GROUP_ORDER.index(g) for g in row] for row in GROUPS],
                        dtype=np.int8)


def rfm_arrays(summary: CalibrationSummary) -> RfmArrays:
    """Every member's scores and group as arrays (see :class:`RfmArrays`)."""
    recency = quintile_scores(summary.days_since_last, higher_is_better=False)
    # Purchases are frequency + 1: the same order, so the same scores, without a copy.
    frequency = quintile_scores(summary.frequency, higher_is_better=True)
    return RfmArrays(recency=recency, frequency=frequency,
                     monetary=quintile_scores(summary.spend_minor, higher_is_better=True),
                     group=_GROUP_INDEX[recency - 1, frequency - 1])


def rfm_scores(summary: CalibrationSummary) -> list[RfmScore]:
    """Every member's :class:`RfmScore`, in the order of ``summary.member_ids``."""
    found = rfm_arrays(summary)
    return [
        RfmScore(member_id=member_id, days_since_last=int(summary.days_since_last[i]),
                 purchases=int(summary.frequency[i]) + 1, spend_minor=int(summary.spend_minor[i]),
                 recency_score=int(found.recency[i]), frequency_score=int(found.frequency[i]),
                 monetary_score=int(found.monetary[i]),
                 group=GROUP_ORDER[int(found.group[i])])
        for i, member_id in enumerate(summary.member_ids)
    ]
