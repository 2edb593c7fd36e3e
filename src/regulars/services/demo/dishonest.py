"""The demo's one dishonest cashier: over the last weeks of the year, at Grafton Street, they
put many anonymous customers' purchases on a friend's card (a regular of the store), typing
the friend's phone number in. The fraud page (:mod:`regulars.services.analytics.fraud`) finds
the pair. Its draws come from a generator of its own, so the rest of the year plays out as it
would without it."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from regulars.services.members.members import MemberRef

CASHIER = "Darragh Ryan"
STORE = 0
WEEKS = 4
SHARE = 0.6
"""Of the anonymous purchases at the store in those weeks, the share the cashier takes."""


@dataclass
class DishonestCashier:
    staff_id: int
    since: datetime
    rng: random.Random
    friend: MemberRef | None = None

    def takes(self, store: int, now: datetime) -> bool:
        """Whether the cashier puts this anonymous purchase on the friend's card."""
        return store == STORE and now >= self.since and self.rng.random() < SHARE

    def friend_of(self, phones: Sequence[str]) -> MemberRef | None:
        """The friend's card: chosen once among the store's registered regulars (their
        ``phones``); None while there are none."""
        if self.friend is None and phones:
            self.friend = MemberRef(phone=self.rng.choice(sorted(phones)))
        return self.friend


def dishonest_cashier(staff: dict[str, int], end: datetime, seed: int) -> DishonestCashier:
    return DishonestCashier(staff_id=staff[CASHIER], since=end - timedelta(weeks=WEEKS),
                            rng=random.Random(seed + 19))
