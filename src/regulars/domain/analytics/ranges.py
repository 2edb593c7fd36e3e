"""The periods reports cover: presets relative to the tenant's local today, or a custom span,
and the period before it of equal length (what a figure is compared with).

A period is a run of whole local days, ``first_day`` to ``last_day`` inclusive; turning days
into instants is the caller's (it knows the tenant's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

MAX_DAYS = 3660
"""The longest period a report covers (about ten years): bounds every query's work."""


class Preset(StrEnum):
    THIS_MONTH = "this_month"
    LAST_30_DAYS = "last_30_days"
    LAST_90_DAYS = "last_90_days"
    LAST_365_DAYS = "last_365_days"
    YEAR_TO_DATE = "year_to_date"
    CUSTOM = "custom"


class RangeError(ValueError):
    """A period that cannot be reported on: ``reason`` is one of ``no_first_day``,
    ``no_last_day``, ``ends_before_start``, ``too_long``; ``field`` names the input."""

    def __init__(self, reason: str, field: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True, kw_only=True)
class Period:
    first_day: date
    last_day: date
    """Inclusive."""

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> Period:
        """The period of equal length that ends the day before this one starts."""
        last = self.first_day - timedelta(days=1)
        return Period(first_day=last - timedelta(days=self.days - 1), last_day=last)

    def each_day(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]


_TRAILING = {Preset.LAST_30_DAYS: 30, Preset.LAST_90_DAYS: 90, Preset.LAST_365_DAYS: 365}


def resolve(preset: Preset, today: date, *, first_day: date | None = None,
            last_day: date | None = None) -> Period:
    """The period ``preset`` means on local day ``today``; a custom period needs both days.

    Raises :class:`RangeError` (field ``from`` or ``to``) for a custom period with a day
    missing, ending before it starts, or longer than :data:`MAX_DAYS`.
    """
    if preset is Preset.CUSTOM:
        if first_day is None:
            raise RangeError("no_first_day", "from")
        if last_day is None:
            raise RangeError("no_last_day", "to")
        if last_day < first_day:
            raise RangeError("ends_before_start", "to")
        period = Period(first_day=first_day, last_day=last_day)
        if period.days > MAX_DAYS:
            raise RangeError("too_long", "to")
        return period
    if preset is Preset.THIS_MONTH:
        return Period(first_day=today.replace(day=1), last_day=today)
    if preset is Preset.YEAR_TO_DATE:
        return Period(first_day=today.replace(month=1, day=1), last_day=today)
    days = _TRAILING[preset]
    return Period(first_day=today - timedelta(days=days - 1), last_day=today)


def buckets(period: Period) -> list[date]:
    """The first days of the chart's bars over ``period``: days up to 62 days, weeks (from
    the first day) up to 371 days, else calendar months (the first bar may start before the
    period). At most about 120 bars."""
    if period.days <= 62:
        return period.each_day()
    if period.days <= 371:
        return [period.first_day + timedelta(days=7 * i) for i in range((period.days + 6) // 7)]
    months, day = [], period.first_day.replace(day=1)
    while day <= period.last_day:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months
