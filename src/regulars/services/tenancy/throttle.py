"""Growing delays after failed sign-ins and failed API keys, by client and by account.

A key (a client address, an account, or the pair) gets some attempts free; each attempt past
them makes the next one wait twice as long as the last (1 s, 2 s, 4 s, ...) up to a ceiling.
Nobody is locked out: a person's own address is throttled apart from an attacker's, and the
account's own ceiling is short (:data:`ACCOUNT`), so guessing from many addresses only slows
the real person down by seconds. Keys are the typed e-mail, never whether it exists, so the
answers do not tell which e-mails are staff.

The counts live in the process (:class:`Throttle` on the runtime): each API process throttles
on its own, so behind a load balancer over N processes an attacker gets at most N times the
free attempts; the delays still grow in every process. A restart forgets them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Policy:
    """``free_attempts`` without a wait, then ``first_delay`` doubling up to ``max_delay``."""

    free_attempts: int
    first_delay: timedelta
    max_delay: timedelta

    def delay_after(self, attempts: int) -> timedelta:
        if attempts <= self.free_attempts:
            return timedelta(0)
        doublings = min(attempts - self.free_attempts - 1, 20)
        return min(self.max_delay, self.first_delay * (1 << doublings))


PAIR = Policy(4, timedelta(seconds=1), timedelta(minutes=15))      # one client, one account
CLIENT = Policy(20, timedelta(seconds=1), timedelta(minutes=15))    # one client, any account
ACCOUNT = Policy(20, timedelta(seconds=1), timedelta(seconds=30))   # any client, one account


def api_client(free_attempts: int) -> Policy:
    """Wrong API keys from one client (``REGULARS_API_AUTH_FAILURES_FREE`` free)."""
    return Policy(free_attempts, timedelta(seconds=1), timedelta(minutes=5))


FORGET_AFTER = timedelta(hours=1)  # an idle key starts again from nothing
MAX_KEYS = 100_000


@dataclass
class _Count:
    attempts: int = 0
    wait_until: datetime | None = None
    last_at: datetime | None = None


@dataclass
class Throttle:
    """Attempts per key; safe to share between the threads of a process."""

    _counts: dict[str, _Count] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_seconds(self, keys: dict[str, Policy], now: datetime) -> int:
        """How long the longest wait of ``keys`` still runs (0: an attempt may go ahead)."""
        with self._lock:
            return self._wait(keys, now)

    def take(self, keys: dict[str, Policy], now: datetime) -> int:
        """Count an attempt on every key unless one of them must wait; the wait in seconds
        (nothing counted) or 0 (counted). Checked and counted under one lock, so attempts
        arriving together get no more than the free ones between them."""
        with self._lock:
            wait = self._wait(keys, now)
            if wait:
                return wait
            if len(self._counts) >= MAX_KEYS:
                self._forget_idle(now)
            for key, policy in keys.items():
                count = self._counts.setdefault(key, _Count())
                count.attempts += 1
                count.last_at = now
                delay = policy.delay_after(count.attempts)
                count.wait_until = now + delay if delay else None
            return 0

    def give_back(self, key: str, policy: Policy) -> None:
        """Uncount one attempt of ``key`` (one that succeeded) and the wait it set."""
        with self._lock:
            count = self._counts.get(key)
            if count is None:
                return
            count.attempts = max(count.attempts - 1, 0)
            delay = policy.delay_after(count.attempts)
            count.wait_until = count.last_at + delay if delay and count.last_at else None

    def clear(self, *keys: str) -> None:
        """Forget ``keys`` (after a right password: the person is who they said)."""
        with self._lock:
            for key in keys:
                self._counts.pop(key, None)

    def _wait(self, keys: dict[str, Policy], now: datetime) -> int:
        longest = timedelta(0)
        for key in keys:
            count = self._counts.get(key)
            if count is None:
                continue
            if count.last_at is not None and now - count.last_at >= FORGET_AFTER:
                del self._counts[key]
                continue
            if count.wait_until is not None and count.wait_until > now:
                longest = max(longest, count.wait_until - now)
        return -int(-longest.total_seconds() // 1)  # whole seconds, rounded up

    def _forget_idle(self, now: datetime) -> None:
        for key in [k for k, c in self._counts.items()
                    if c.last_at is None or now - c.last_at >= FORGET_AFTER]:
            del self._counts[key]
