"""The demo's one dishonest cashier: over the last weeks of the year, at Grafton Street, they
put many anonymous customers' purchases on a friend's card (a regular of the store), typing
the friend's phone number in, and now and then add points to it by hand. The fraud page
(:mod:`regulars.services.analytics.fraud`) finds the pair. Its draws come from a generator of
its own, so the rest of the year plays out as it would without it."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from regulars.services.ledger import member_ledger
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime

CASHIER = "Darragh Ryan"
STORE = 0
WEEKS = 4
SHARE = 0.6
"""Of the anonymous purchases at the store in those weeks, the share the cashier takes."""
TOP_UP_EVERY, TOP_UP_POINTS = 4, 300


@dataclass
class DishonestCashier:
    staff_id: int
    since: datetime
    rng: random.Random
    friend: MemberRef | None = None
    taken: int = 0

    def takes(self, store: int, now: datetime) -> bool:
        """Whether the cashier puts this anonymous purchase on the friend's card."""
        return store == STORE and now >= self.since and self.rng.random() < SHARE

    def after_sale(self, rt: Runtime, tenant_id: int, member_id: int, number: str) -> None:
        """Now and then the cashier also adds points to the friend by hand."""
        self.taken += 1
        if self.taken % TOP_UP_EVERY == 0:
            member_ledger.adjust(rt, tenant_id, member_id, points=TOP_UP_POINTS,
                                 reason="goodwill", key=f"demo-top-up-{number}",
                                 staff_id=self.staff_id)

    def friend_of(self, phones: Sequence[str]) -> MemberRef | None:
        """The friend's card: chosen once among the store's registered regulars (their
        ``phones``); None while there are none."""
        if self.friend is None and phones:
            self.friend = MemberRef(phone=self.rng.choice(sorted(phones)))
        return self.friend


def dishonest_cashier(staff: dict[str, int], end: datetime, seed: int) -> DishonestCashier:
    return DishonestCashier(staff_id=staff[CASHIER], since=end - timedelta(weeks=WEEKS),
                            rng=random.Random(seed + 19))
