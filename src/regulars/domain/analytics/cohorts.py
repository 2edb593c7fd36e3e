"""Monthly cohorts: members grouped by the month they joined, and for each later month the
share of them who bought (a net receipt) in it; the retention curve is the same share by
months since joining, over every cohort old enough to have that month.

Months are numbered from the first month shown (0); a member's purchases before the month
they joined (history brought in from elsewhere) are not retention and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from regulars.domain.analytics.figures import share_bp


@dataclass(frozen=True, kw_only=True)
class Cohort:
    month_index: int
    members: int
    active: list[int]
    """Members who bought in the joining month, the month after, ... up to the last month."""
    shares_bp: list[int | None]


@dataclass(frozen=True, kw_only=True)
class Retention:
    cohorts: list[Cohort]
    curve_bp: list[int | None]
    """By months since joining: buyers over members, summed over the cohorts that have it."""


def retention(sizes: Mapping[int, int], buyers: Mapping[tuple[int, int], int],
                        months: int) -> Retention:
    """``sizes``: {month index joined: members}; ``buyers``: {(month index joined, month
    index bought): how many of those members bought in it}, as the database counts them;
    ``months``: how many months are shown."""
    active = {(start, month - start): n for (start, month), n in buyers.items()
              if start <= month < months}
    cohorts = []
    for start in range(months):
        if not sizes.get(start):
            continue
        counts = [active.get((start, age), 0) for age in range(months - start)]
        cohorts.append(Cohort(month_index=start, members=sizes[start], active=counts,
                              shares_bp=[share_bp(n, sizes[start]) for n in counts]))
    curve = []
    for age in range(months):
        having = [c for c in cohorts if len(c.active) > age]
        curve.append(share_bp(sum(c.active[age] for c in having),
                              sum(c.members for c in having)))
    return Retention(cohorts=cohorts, curve_bp=curve)
