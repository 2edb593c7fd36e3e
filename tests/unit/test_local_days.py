"""A zone's offsets over a span of instants, and the local day the database works out with
them, agree with ``datetime.astimezone`` to the second, either side of every change."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from regulars.domain.analytics.local_days import EPOCH, OffsetSpan, day_ordinal, offset_spans

FIRST = datetime(2019, 6, 1, 13, 7, 5, 250_000, tzinfo=UTC)
END = datetime(2026, 12, 6, tzinfo=UTC)


def _offset_at(spans: tuple[OffsetSpan, ...], at: datetime) -> int:
    return next(s.offset_seconds for s in spans if s.until is None or at < s.until)


@pytest.mark.parametrize("name", ["Europe/Dublin", "Australia/Lord_Howe", "Pacific/Chatham",
                                  "Asia/Kathmandu", "America/St_Johns", "Africa/Casablanca",
                                  "UTC"])
def test_the_local_day_from_the_spans_is_the_zones_own(name: str) -> None:
    zone = ZoneInfo(name)
    spans = offset_spans(zone, FIRST, END)
    rng = random.Random(name)
    instants = [FIRST + timedelta(seconds=rng.uniform(0, (END - FIRST).total_seconds()))
                for _ in range(2000)]
    for change in (s.until for s in spans[:-1]):
        assert change is not None
        instants += [change - timedelta(microseconds=1), change, change + timedelta(hours=1)]
    for at in instants:
        seconds = int((at - EPOCH) // timedelta(seconds=1))
        assert day_ordinal(seconds, _offset_at(spans, at)) == (
            at.astimezone(zone).date().toordinal()), at


def test_a_summer_time_zone_changes_twice_a_year_at_the_hour_its_rules_say() -> None:
    spans = offset_spans(ZoneInfo("Europe/Dublin"), datetime(2026, 1, 1, tzinfo=UTC),
                         datetime(2027, 1, 1, tzinfo=UTC))
    assert spans == (OffsetSpan(datetime(2026, 3, 29, 1, tzinfo=UTC), 0),
                     OffsetSpan(datetime(2026, 10, 25, 1, tzinfo=UTC), 3600),
                     OffsetSpan(None, 0))


def test_a_zone_without_changes_has_one_offset_and_an_empty_span_too() -> None:
    assert offset_spans(ZoneInfo("Asia/Kathmandu"), FIRST, END) == (OffsetSpan(None, 20_700),)
    assert offset_spans(ZoneInfo("Europe/Dublin"), END, END) == (OffsetSpan(None, 0),)
