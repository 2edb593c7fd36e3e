"""The level review: when the program looks again at every member's level and tells each
whether they keep it. Pure; the local day is a parameter.

A level can only be lost where spend leaves its window: under ``window_end`` with a
calendar-year window the review is the start of each year (a level reached last year is kept
through this one, or lost), with a rolling 12-month window the start of each month. A
lifetime window, or a program that never downgrades, has no review: nothing is ever lost.
The review runs during its first :data:`REVIEW_DAYS` local days, so a job that was off for
a day still catches up, and is named by its period (``2027``, ``2027-03``) so that each
member is told once per review.
"""

from __future__ import annotations

from datetime import date

from regulars.domain.program.program import DowngradePolicy, LevelWindow, Program

REVIEW_DAYS = 7


def review_period(program: Program, local_day: date) -> str | None:
    """The review ``local_day`` falls in, or ``None`` when there is none on that day."""
    if len(program.levels) < 2 or program.downgrade_policy is DowngradePolicy.NEVER:
        return None
    if program.level_window is LevelWindow.CALENDAR_YEAR:
        if local_day.month == 1 and local_day.day <= REVIEW_DAYS:
            return f"{local_day.year}"
        return None
    if program.level_window is LevelWindow.ROLLING_12_MONTHS and local_day.day <= REVIEW_DAYS:
        return f"{local_day.year}-{local_day.month:02d}"
    return None
