"""The row a member's net receipts make in ``repeat_gaps``: whole days to the next purchase,
rounded up, so that "within n days, to the microsecond" is a comparison of integers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from regulars.db.analytics import repeats

FIRST = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # Europe's clocks go forward the next night
LONDON = ZoneInfo("Europe/London")


def test_a_next_purchase_exactly_n_days_later_is_within_n_days_and_a_microsecond_more_is_not() -> (
    None
):
    assert repeats.within_days(FIRST, FIRST + timedelta(days=90)) == 90
    assert repeats.within_days(FIRST, FIRST + timedelta(days=90, microseconds=1)) == 91
    assert repeats.within_days(FIRST, FIRST + timedelta(microseconds=1)) == 1


def test_days_are_of_86400_seconds_across_a_daylight_saving_change() -> None:
    # 24 h later is one day, although the local clock shows 25 h more.
    assert repeats.within_days(FIRST, FIRST + timedelta(hours=24)) == 1
    assert repeats.within_days(FIRST, FIRST + timedelta(hours=24, seconds=1)) == 2


def test_the_row_is_the_local_day_of_the_first_purchase_and_the_gap_to_the_next() -> None:
    same = [FIRST, FIRST, FIRST + timedelta(days=3), FIRST + timedelta(days=1, hours=1)]
    assert repeats.key(same, LONDON) == (date(2026, 3, 28), 2)
    assert repeats.key([FIRST, FIRST], LONDON) is None  # the same instant twice
    assert repeats.key([FIRST], LONDON) is None
    assert repeats.key([FIRST, FIRST + timedelta(days=730)], LONDON) == (date(2026, 3, 28), 730)
    assert repeats.key([FIRST, FIRST + timedelta(days=730, seconds=1)], LONDON) is None


def test_a_refunded_first_purchase_moves_the_row() -> None:
    # The new first purchase, 23:30 UTC, is half past midnight in London (summer time).
    before = [FIRST, FIRST + timedelta(days=2), FIRST + timedelta(days=10)]
    assert repeats.moved(before[1:], before, LONDON) == {
        (date(2026, 3, 28), 2): -1,
        (date(2026, 3, 31), 8): 1,
    }
    assert repeats.moved(before, before, LONDON) == {}
