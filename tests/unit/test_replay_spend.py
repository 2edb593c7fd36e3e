"""The replay's spend tracker keeps each member's window sums as receipts go by and gives a
status again while it holds: the level it gives is, receipt after receipt, the one
:func:`level_status` finds from the member's whole history (every window, downgrade policy,
refunds that take spend back, history before the replay, years turning)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from regulars.domain.checkout.replay import SpendTracker
from regulars.domain.program.program import (
    DowngradePolicy,
    Level,
    LevelWindow,
    Program,
    SpendWindows,
    level_status,
    window_starts,
)

LEVELS = (Level(code="base", name="Base", threshold_minor=0, rate_bp=100),
          Level(code="silver", name="Silver", threshold_minor=20_000, rate_bp=300),
          Level(code="gold", name="Gold", threshold_minor=60_000, rate_bp=600))


class _Reference:
    """One member's level the slow way: every window summed from the whole history."""

    def __init__(self, program: Program, history: list[tuple[date, int]],
                 lifetime_minor: int) -> None:
        self.program, self.days = program, list(history)
        self.before = lifetime_minor - sum(amount for _, amount in history)
        self.floor: str | None = None

    def status(self, day: date) -> str:
        rolling_day, this_year, last_year = window_starts(day)
        windows = SpendWindows(
            lifetime_minor=self.before + sum(a for _, a in self.days),
            rolling_12_months_minor=sum(a for d, a in self.days if d >= rolling_day),
            this_year_minor=sum(a for d, a in self.days if d >= this_year),
            last_year_minor=sum(a for d, a in self.days if last_year <= d < this_year))
        found = level_status(self.program, windows, self.floor)
        floor = self.program.level_by_code(self.floor)
        if floor is None or found.level.threshold_minor > floor.threshold_minor:
            self.floor = found.level.code
        return found.level.code


@pytest.mark.parametrize("policy", list(DowngradePolicy))
@pytest.mark.parametrize("window", list(LevelWindow))
@pytest.mark.parametrize("seed", range(6))
def test_the_tracked_level_is_the_one_the_whole_history_gives(
        window: LevelWindow, policy: DowngradePolicy, seed: int) -> None:
    rng = random.Random(seed)
    program = Program(levels=LEVELS, level_window=window, downgrade_policy=policy)
    tracker = SpendTracker(program)
    first = date(2024, 11, 1)
    references = {}
    for member_id in range(1, 9):
        history = [(first - timedelta(days=rng.randint(1, 700)), rng.randint(100, 9_000))
                   for _ in range(rng.randint(0, 12))]
        lifetime = sum(a for _, a in history) + rng.choice((0, 0, 5_000, 80_000))
        tracker.start(member_id, lifetime_minor=lifetime, days=list(history))
        references[member_id] = _Reference(program, history, lifetime)
    day = first
    for _ in range(1_500):
        day += timedelta(days=rng.choice((0, 0, 0, 1, 1, 3, 20)))
        member_id = rng.randint(1, 8)
        reference = references[member_id]
        assert tracker.status(member_id, day).level.code == reference.status(day), (
            member_id, day)
        amount = rng.randint(200, 12_000) if rng.random() < 0.9 else -rng.randint(1, 9_000)
        tracker.add(member_id, day, amount)
        reference.days.append((day, amount))
    counts: dict[str, int] = {}
    for reference in references.values():
        code = reference.status(day)
        counts[code] = counts.get(code, 0) + 1
    assert tracker.levels(day) == counts
