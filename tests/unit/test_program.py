"""The program: what makes a valid scheme, and which level a member's spend reaches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.program.program import (
    DowngradePolicy,
    Level,
    LevelWindow,
    Program,
    SpendWindows,
    level_status,
    window_starts,
)

BASE = Level(code="base", name="Base", threshold_minor=0, rate_bp=100)
SILVER = Level(code="silver", name="Silver", threshold_minor=100_000, rate_bp=300)  # 1,000.00
GOLD = Level(code="gold", name="Gold", threshold_minor=1_000_000, rate_bp=1_000)  # 10,000.00
LEVELS = (BASE, SILVER, GOLD)


def tiered(
    window: LevelWindow = LevelWindow.LIFETIME,
    policy: DowngradePolicy = DowngradePolicy.WINDOW_END,
) -> Program:
    return Program(levels=LEVELS, level_window=window, downgrade_policy=policy)


def spend(
    *, lifetime: int = 0, rolling: int = 0, this_year: int = 0, last_year: int = 0
) -> SpendWindows:
    return SpendWindows(lifetime_minor=lifetime, rolling_12_months_minor=rolling,
                        this_year_minor=this_year, last_year_minor=last_year)


# --- Level validation ---------------------------------------------------------------------


def level(**overrides: Any) -> Level:
    fields: dict[str, Any] = {"code": "silver", "name": "Silver", "threshold_minor": 0,
                              "rate_bp": 300}
    fields.update(overrides)
    return Level(**fields)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": ""}, "level code"),
        ({"code": "sil ver"}, "level code"),
        ({"code": "silver!"}, "level code"),
        ({"code": "_"}, "level code"),
        ({"name": ""}, "name must not be empty"),
        ({"name": "   "}, "name must not be empty"),
        ({"threshold_minor": -1}, "threshold_minor"),
        ({"rate_bp": -1}, "rate_bp"),
        ({"rate_bp": 10_001}, "rate_bp"),
    ],
)
def test_an_invalid_level_cannot_be_built(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        level(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"code": "gold-plus_2"},
        {"rate_bp": 0},
        {"rate_bp": 10_000},
        {"threshold_minor": 0},
    ],
)
def test_boundary_levels_are_accepted(overrides: dict[str, Any]) -> None:
    level(**overrides)


def test_levels_are_frozen() -> None:
    with pytest.raises(AttributeError):
        BASE.rate_bp = 5  # type: ignore[misc]


# --- Program validation -------------------------------------------------------------------


def test_the_default_program_is_valid() -> None:
    program = Program()
    assert program.levels[0].threshold_minor == 0
    assert program.level_for_spend(10**9) is program.levels[0]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"levels": ()}, "at least one level"),
        ({"levels": (level(code="a", threshold_minor=1),)}, "threshold_minor 0"),
        (
            {"levels": (level(code="a"), level(code="b", threshold_minor=100),
                        level(code="c", threshold_minor=100))},
            "strictly increase",
        ),
        (
            {"levels": (level(code="a"), level(code="b", threshold_minor=200),
                        level(code="c", threshold_minor=100))},
            "strictly increase",
        ),
        (
            {"levels": (level(code="a"), level(code="a", threshold_minor=100))},
            "codes must be unique",
        ),
        ({"point_value_minor": 0}, "point_value_minor"),
        ({"point_value_minor": -100}, "point_value_minor"),
        ({"redeem_share_max_bp": -1}, "redeem_share_max_bp"),
        ({"redeem_share_max_bp": 10_001}, "redeem_share_max_bp"),
        ({"redeem_min_balance_points": -1}, "redeem_min_balance_points"),
        ({"pending_days": -1}, "pending_days"),
        ({"welcome_bonus_points": -1}, "welcome_bonus_points"),
        ({"void_window_minutes": -1}, "void_window_minutes"),
        ({"expire_after_days": 0}, "expire_after_days"),
        ({"expire_after_days": -5}, "expire_after_days"),
        ({"hold_ttl_seconds": 0}, "hold_ttl_seconds"),
        ({"pending_days": 30, "expire_after_days": 30}, "shorter than expire_after_days"),
        ({"pending_days": 31, "expire_after_days": 30}, "shorter than expire_after_days"),
    ],
)
def test_an_invalid_program_cannot_be_built(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Program(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"redeem_share_max_bp": 0},
        {"redeem_share_max_bp": 10_000},
        {"expire_after_days": None, "pending_days": 10_000},
        {"pending_days": 29, "expire_after_days": 30},
        {"void_window_minutes": 0, "welcome_bonus_points": 0, "redeem_min_balance_points": 0},
    ],
)
def test_boundary_programs_are_accepted(overrides: dict[str, Any]) -> None:
    Program(**overrides)


# --- Levels by spend ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spend_minor", "expected"),
    [
        (0, BASE),
        (99_999, BASE),  # 999.99
        (100_000, SILVER),  # 1,000.00
        (999_999, SILVER),  # 9,999.99
        (1_000_000, GOLD),  # 10,000.00
        (10**12, GOLD),
        (-500, BASE),  # refunds can drive a window's spend below zero
    ],
)
def test_level_for_spend(spend_minor: int, expected: Level) -> None:
    assert tiered().level_for_spend(spend_minor) == expected


def test_level_lookup_and_next_level() -> None:
    program = tiered()
    assert program.level_by_code("silver") == SILVER
    assert program.level_by_code("platinum") is None
    assert program.level_by_code(None) is None
    assert program.next_level(BASE) == SILVER
    assert program.next_level(SILVER) == GOLD
    assert program.next_level(GOLD) is None


def test_lot_dates_follow_pending_and_expiry_days() -> None:
    earned_at = datetime(2024, 2, 10, 12, 0, tzinfo=UTC)
    program = Program(pending_days=14, expire_after_days=365)
    assert program.lot_dates(earned_at) == (
        earned_at + timedelta(days=14), earned_at + timedelta(days=365))
    never = Program(pending_days=0, expire_after_days=None)
    assert never.lot_dates(earned_at) == (earned_at, None)


# --- level_status: the classic three-tier example -----------------------------------------


def test_just_below_silver_is_base_one_cent_short() -> None:
    status = level_status(tiered(), spend(lifetime=99_999), None)
    assert status.level == BASE
    assert status.level.rate_bp == 100
    assert status.window_spend_minor == 99_999
    assert status.next_level == SILVER
    assert status.to_next_minor == 1


def test_exactly_one_thousand_is_silver_at_three_percent() -> None:
    status = level_status(tiered(), spend(lifetime=100_000), None)
    assert status.level == SILVER
    assert status.level.rate_bp == 300
    assert status.next_level == GOLD
    assert status.to_next_minor == 900_000


def test_exactly_ten_thousand_is_gold_at_ten_percent_with_nothing_above() -> None:
    status = level_status(tiered(), spend(lifetime=1_000_000), None)
    assert status.level == GOLD
    assert status.level.rate_bp == 1_000
    assert status.next_level is None
    assert status.to_next_minor is None


# --- level_status by window ---------------------------------------------------------------


def test_lifetime_window_reads_lifetime_spend_only() -> None:
    status = level_status(tiered(LevelWindow.LIFETIME),
                          spend(lifetime=150_000, rolling=2_000_000, this_year=2_000_000), None)
    assert status.level == SILVER
    assert status.window_spend_minor == 150_000


def test_rolling_window_reads_rolling_spend_only() -> None:
    status = level_status(tiered(LevelWindow.ROLLING_12_MONTHS),
                          spend(lifetime=5_000_000, rolling=120_000), None)
    assert status.level == SILVER
    assert status.window_spend_minor == 120_000
    assert status.to_next_minor == 1_000_000 - 120_000


def test_rolling_window_downgrades_when_spend_falls_out_of_the_window() -> None:
    program = tiered(LevelWindow.ROLLING_12_MONTHS, DowngradePolicy.WINDOW_END)
    # Was gold (the stored floor says so), but the last 12 months only hold 50.00.
    status = level_status(program, spend(lifetime=5_000_000, rolling=5_000), "gold")
    assert status.level == BASE
    assert status.to_next_minor == 95_000


def test_calendar_year_keeps_last_years_level_through_this_year() -> None:
    program = tiered(LevelWindow.CALENDAR_YEAR, DowngradePolicy.WINDOW_END)
    status = level_status(program, spend(this_year=0, last_year=1_200_000), None)
    assert status.level == GOLD
    assert status.window_spend_minor == 0
    assert status.next_level is None
    assert status.to_next_minor is None


def test_calendar_year_progress_counts_this_years_spend() -> None:
    program = tiered(LevelWindow.CALENDAR_YEAR, DowngradePolicy.WINDOW_END)
    status = level_status(program, spend(this_year=200_000, last_year=150_000), None)
    assert status.level == SILVER
    assert status.window_spend_minor == 200_000
    assert status.next_level == GOLD
    assert status.to_next_minor == 800_000


def test_calendar_year_upgrades_on_this_years_spend() -> None:
    program = tiered(LevelWindow.CALENDAR_YEAR, DowngradePolicy.WINDOW_END)
    status = level_status(program, spend(this_year=1_000_000, last_year=100_000), None)
    assert status.level == GOLD


def test_calendar_year_drops_a_level_held_two_years_ago() -> None:
    program = tiered(LevelWindow.CALENDAR_YEAR, DowngradePolicy.WINDOW_END)
    # Gold two years ago counts for nothing: neither this nor last year reaches silver.
    status = level_status(program, spend(lifetime=3_000_000, this_year=10, last_year=20), "gold")
    assert status.level == BASE


# --- level_status by downgrade policy -----------------------------------------------------


@pytest.mark.parametrize("window", list(LevelWindow))
def test_window_end_ignores_the_stored_floor(window: LevelWindow) -> None:
    program = tiered(window, DowngradePolicy.WINDOW_END)
    status = level_status(program, spend(), "gold")
    assert status.level == BASE


@pytest.mark.parametrize("window", list(LevelWindow))
def test_never_keeps_the_highest_level_reached(window: LevelWindow) -> None:
    program = tiered(window, DowngradePolicy.NEVER)
    status = level_status(program, spend(lifetime=10, rolling=10, this_year=10), "gold")
    assert status.level == GOLD
    assert status.next_level is None
    assert status.to_next_minor is None


def test_never_reports_progress_from_the_kept_level() -> None:
    program = tiered(LevelWindow.ROLLING_12_MONTHS, DowngradePolicy.NEVER)
    status = level_status(program, spend(rolling=30_000), "silver")
    assert status.level == SILVER
    assert status.window_spend_minor == 30_000
    assert status.next_level == GOLD
    assert status.to_next_minor == 970_000


def test_never_still_upgrades_above_the_floor() -> None:
    program = tiered(LevelWindow.LIFETIME, DowngradePolicy.NEVER)
    status = level_status(program, spend(lifetime=1_000_000), "silver")
    assert status.level == GOLD


@pytest.mark.parametrize("floor_code", [None, "no-such-level"])
def test_never_without_a_known_floor_uses_the_window(floor_code: str | None) -> None:
    program = tiered(LevelWindow.LIFETIME, DowngradePolicy.NEVER)
    status = level_status(program, spend(lifetime=150_000), floor_code)
    assert status.level == SILVER


def test_a_single_level_program_is_always_at_the_top() -> None:
    program = Program(levels=(BASE,))
    status = level_status(program, spend(lifetime=10**9), None)
    assert status.level == BASE
    assert status.next_level is None
    assert status.to_next_minor is None


amounts = st.integers(min_value=-10_000, max_value=3_000_000)


@given(
    window=st.sampled_from(LevelWindow),
    policy=st.sampled_from(DowngradePolicy),
    lifetime=amounts, rolling=amounts, this_year=amounts, last_year=amounts,
    floor_code=st.sampled_from([None, "base", "silver", "gold", "unknown"]),
)
def test_level_status_invariants(
    window: LevelWindow, policy: DowngradePolicy, lifetime: int, rolling: int,
    this_year: int, last_year: int, floor_code: str | None,
) -> None:
    program = tiered(window, policy)
    windows = spend(lifetime=lifetime, rolling=rolling, this_year=this_year,
                    last_year=last_year)
    status = level_status(program, windows, floor_code)
    # The window's own spend always earns at least the level it reaches.
    assert status.level.threshold_minor >= program.level_for_spend(
        status.window_spend_minor).threshold_minor
    assert status.next_level == program.next_level(status.level)
    if status.next_level is None:
        assert status.to_next_minor is None
    else:
        assert status.to_next_minor == status.next_level.threshold_minor - (
            status.window_spend_minor)
        assert status.to_next_minor > 0
    floor = program.level_by_code(floor_code)
    if policy is DowngradePolicy.NEVER and floor is not None:
        assert status.level.threshold_minor >= floor.threshold_minor


# --- window_starts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 6, 15), (date(2024, 6, 15), date(2025, 1, 1), date(2024, 1, 1))),
        (date(2025, 1, 1), (date(2024, 1, 1), date(2025, 1, 1), date(2024, 1, 1))),
        (date(2025, 12, 31), (date(2024, 12, 31), date(2025, 1, 1), date(2024, 1, 1))),
        (date(2025, 2, 28), (date(2024, 2, 28), date(2025, 1, 1), date(2024, 1, 1))),
        (date(2025, 3, 1), (date(2024, 3, 1), date(2025, 1, 1), date(2024, 1, 1))),
        # 29 February has no twin a year earlier: the window starts on the 28th.
        (date(2024, 2, 29), (date(2023, 2, 28), date(2024, 1, 1), date(2023, 1, 1))),
    ],
)
def test_window_starts(today: date, expected: tuple[date, date, date]) -> None:
    assert window_starts(today) == expected


def test_a_level_earning_less_than_the_best_below_it_is_an_inversion() -> None:
    levels = (Level(code="a", name="A", threshold_minor=0, rate_bp=500),
              Level(code="b", name="B", threshold_minor=100, rate_bp=300),
              Level(code="c", name="C", threshold_minor=200, rate_bp=400),
              Level(code="d", name="D", threshold_minor=300, rate_bp=600))
    assert [(h.code, lo.code) for h, lo in Program(levels=levels).earning_inversions()] == [
        ("b", "a"), ("c", "a")]
    assert Program().earning_inversions() == ()
