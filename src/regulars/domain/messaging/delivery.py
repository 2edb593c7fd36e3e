"""When a failed delivery is tried again: exponential backoff from ``base``, each wait at
most ``cap``, and no attempt later than ``give_up_after`` from the first try."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, kw_only=True)
class Backoff:
    base: timedelta
    cap: timedelta
    give_up_after: timedelta

    def retry_at(self, *, attempts: int, first_at: datetime, now: datetime) -> datetime | None:
        """The time of the next attempt after ``attempts`` failed ones (at least 1), or None
        when the message is given up."""
        if attempts < 1:
            raise ValueError("attempts counts the failed attempts, from 1")
        wait = min(self.cap, self.base * (2 ** min(attempts - 1, 40)))
        at = now + wait
        return at if at <= first_at + self.give_up_after else None


MESSAGES = Backoff(base=timedelta(seconds=30), cap=timedelta(hours=1),
                   give_up_after=timedelta(hours=24))
"""Messages to members: a code or a notice a day late is no use."""

WEBHOOKS = Backoff(base=timedelta(seconds=30), cap=timedelta(hours=8),
                   give_up_after=timedelta(days=3))
"""Webhooks: at least once, for up to three days, as Standard Webhooks recommends."""
