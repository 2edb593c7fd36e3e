"""The demo's one dishonest cashier: over the last weeks of the year, at Grafton Street, they
put many anonymous customers' purchases on a friend's card, typing its number in. The fraud
page (:mod:`regulars.services.analytics.fraud`) finds the pair; nothing else in the demo
depends on it. Its draws come from a generator of its own, so the rest of the year plays out
as it would without it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import Principal

CASHIER = "Darragh Ryan"
STORE = 0
WEEKS = 4
SHARE = 0.6
"""Of the anonymous purchases at the store in those weeks, the share the cashier takes."""
# Numbers the demo's customers never get: their phones' last seven digits start at 2 000 000
# and their cards have ten digits after BL with no leading zero.
FRIEND = Registration(phone="085 123 4567", card="BL0000000019", first_name="Sean",
                      last_name="Ryan", consent="full")


@dataclass
class DishonestCashier:
    staff_id: int
    since: datetime
    rng: random.Random
    friend_id: int | None = None

    def takes(self, store: int, now: datetime) -> bool:
        """Whether the cashier puts this anonymous purchase on the friend's card."""
        return store == STORE and now >= self.since and self.rng.random() < SHARE

    def friend(self, rt: Runtime, tenant_id: int, till: Principal) -> MemberRef:
        """The friend's card, registered the first time it is used."""
        if self.friend_id is None:
            view, _ = member_registration.register(rt, tenant_id, FRIEND,
                                                   store_id=till.store_id,
                                                   terminal_id=till.terminal_id)
            self.friend_id = view.id
        return MemberRef(card=FRIEND.card)


def dishonest_cashier(staff: dict[str, int], end: datetime, seed: int) -> DishonestCashier:
    return DishonestCashier(staff_id=staff[CASHIER], since=end - timedelta(weeks=WEEKS),
                            rng=random.Random(seed + 19))
