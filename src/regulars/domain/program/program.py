"""The base program: how members earn, climb levels, spend and lose points.

A :class:`Program` is immutable; changing the scheme saves a new version, and every accrual
records the version that produced it. Invariants are checked in ``__post_init__`` so that an
invalid program cannot be built, whichever edge it came from (the API validates these same
dataclasses with pydantic, so a broken rule answers 422 naming the field).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from regulars.domain.money import BASIS_POINTS, Rounding


class EarnMode(StrEnum):
    """``points``: the level's rate of the amount paid accrues as points.
    ``discount``: the level's rate is taken off the receipt at once; no points accrue."""

    POINTS = "points"
    DISCOUNT = "discount"


class LevelWindow(StrEnum):
    """The period over which qualifying spend is summed."""

    LIFETIME = "lifetime"
    ROLLING_12_MONTHS = "rolling_12_months"
    CALENDAR_YEAR = "calendar_year"


class DowngradePolicy(StrEnum):
    """``window_end``: a level lasts while its window's spend holds it (for a calendar year, the
    level reached last year is kept to the end of this one). ``never``: the highest level ever
    reached is kept."""

    WINDOW_END = "window_end"
    NEVER = "never"


class RoundingScope(StrEnum):
    RECEIPT = "receipt"
    LINE = "line"


class DebtPolicy(StrEnum):
    """What a refund does when the points it must take back were already spent."""

    ALLOW_NEGATIVE = "allow_negative"
    REFUSE = "refuse"


class CashbackBasis(StrEnum):
    """What cashback is a share of: the money paid on the lines, after every discount and
    points (``paid``), or the program's earning basis (``earn_basis``: the lines that earn
    points, after discounts)."""

    PAID = "paid"
    EARN_BASIS = "earn_basis"


@dataclass(frozen=True, kw_only=True)
class Level:
    """A level reached once qualifying spend over the window is at least ``threshold_minor``."""

    code: str
    name: str
    threshold_minor: int
    rate_bp: int

    def __post_init__(self) -> None:
        if not self.code or not self.code.replace("_", "").replace("-", "").isalnum():
            raise ValueError("level code must be letters, digits, '-' or '_'")
        if not self.name.strip():
            raise ValueError("level name must not be empty")
        if self.threshold_minor < 0:
            raise ValueError("threshold_minor must not be negative")
        if not 0 <= self.rate_bp <= BASIS_POINTS:
            raise ValueError("rate_bp must lie between 0 and 10000 (0 % to 100 %)")


@dataclass(frozen=True, kw_only=True)
class Program:
    """One version of a tenant's base scheme. All amounts are integers (minor units, points,
    basis points, days)."""

    earn_mode: EarnMode = EarnMode.POINTS
    levels: tuple[Level, ...] = (Level(code="base", name="Base", threshold_minor=0, rate_bp=300),)
    level_window: LevelWindow = LevelWindow.LIFETIME
    downgrade_policy: DowngradePolicy = DowngradePolicy.WINDOW_END
    point_value_minor: int = 100
    redeem_share_max_bp: int = 3000
    redeem_min_balance_points: int = 0
    redeem_excluded_categories: frozenset[str] = field(default_factory=frozenset)
    earn_excluded_categories: frozenset[str] = field(default_factory=frozenset)
    expire_after_days: int | None = 365
    pending_days: int = 0
    rounding: Rounding = Rounding.FLOOR
    rounding_scope: RoundingScope = RoundingScope.RECEIPT
    debt_policy: DebtPolicy = DebtPolicy.ALLOW_NEGATIVE
    welcome_bonus_points: int = 0
    void_window_minutes: int = 30
    hold_ttl_seconds: int = 300
    otp_above_points: int | None = None
    """Spending more points than this on one receipt needs a one-time code sent to the
    member's phone; ``None`` never asks for one."""
    cashback_rate_bp: int = 0
    """A share of each member's purchase returned as money into their wallet (0: none),
    beside the points; of ``cashback_basis`` less ``cashback_excluded_categories``, rounded
    by ``cashback_rounding`` once per receipt."""
    cashback_basis: CashbackBasis = CashbackBasis.PAID
    cashback_rounding: Rounding = Rounding.FLOOR
    cashback_excluded_categories: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("levels: at least one level is required")
        if self.levels[0].threshold_minor != 0:
            raise ValueError("levels: the first level must have threshold_minor 0")
        thresholds = [level.threshold_minor for level in self.levels]
        if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
            raise ValueError("levels: thresholds must strictly increase")
        codes = [level.code for level in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError("levels: codes must be unique")
        if self.point_value_minor <= 0:
            raise ValueError("point_value_minor must be positive")
        if not 0 <= self.redeem_share_max_bp <= BASIS_POINTS:
            raise ValueError("redeem_share_max_bp must lie between 0 and 10000")
        for name in ("redeem_min_balance_points", "pending_days", "welcome_bonus_points",
                     "void_window_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.expire_after_days is not None and self.expire_after_days <= 0:
            raise ValueError("expire_after_days must be positive, or null for never")
        if self.otp_above_points is not None and self.otp_above_points < 0:
            raise ValueError("otp_above_points must not be negative, or null for never")
        if self.hold_ttl_seconds <= 0:
            raise ValueError("hold_ttl_seconds must be positive")
        if not 0 <= self.cashback_rate_bp <= BASIS_POINTS:
            raise ValueError("cashback_rate_bp must lie between 0 and 10000")
        if self.expire_after_days is not None and self.pending_days >= self.expire_after_days:
            raise ValueError("pending_days must be shorter than expire_after_days")

    def level_by_code(self, code: str | None) -> Level | None:
        for level in self.levels:
            if level.code == code:
                return level
        return None

    def level_for_spend(self, spend_minor: int) -> Level:
        """The highest level whose threshold ``spend_minor`` reaches."""
        reached = self.levels[0]
        for level in self.levels:
            if spend_minor >= level.threshold_minor:
                reached = level
        return reached

    def next_level(self, level: Level) -> Level | None:
        index = self.levels.index(level)
        return self.levels[index + 1] if index + 1 < len(self.levels) else None

    def earning_inversions(self) -> tuple[tuple[Level, Level], ...]:
        """``(higher, lower)`` for each level that earns a smaller rate than a level below
        it (the lower one: the best-earning level below): allowed, but most likely a typo,
        since reaching the higher level would cost members."""
        found = []
        best = self.levels[0]
        for level in self.levels[1:]:
            if level.rate_bp < best.rate_bp:
                found.append((level, best))
            elif level.rate_bp > best.rate_bp:
                best = level
        return tuple(found)

    def lot_dates(self, earned_at: datetime) -> tuple[datetime, datetime | None]:
        """When points earned at ``earned_at`` become spendable, and when they expire."""
        available_at = earned_at + timedelta(days=self.pending_days)
        expires_at = (
            None
            if self.expire_after_days is None
            else earned_at + timedelta(days=self.expire_after_days)
        )
        return available_at, expires_at


@dataclass(frozen=True, kw_only=True)
class SpendWindows:
    """Qualifying spend of one member, in minor units, summed over the periods a level rule can
    look at. ``start`` values say where each window began (for the progress message)."""

    lifetime_minor: int
    rolling_12_months_minor: int
    this_year_minor: int
    last_year_minor: int


@dataclass(frozen=True, kw_only=True)
class LevelStatus:
    level: Level
    window_spend_minor: int
    next_level: Level | None
    to_next_minor: int | None


def window_starts(local_today: date) -> tuple[date, date, date]:
    """(rolling 12 months start, this calendar year start, last calendar year start)."""
    try:
        rolling = local_today.replace(year=local_today.year - 1)
    except ValueError:  # 29 February
        rolling = local_today.replace(year=local_today.year - 1, day=28)
    return rolling, date(local_today.year, 1, 1), date(local_today.year - 1, 1, 1)


def level_status(program: Program, spend: SpendWindows, floor_code: str | None) -> LevelStatus:
    """The level a member holds now and what is left to reach the next one.

    Upgrades take effect as soon as the window's spend reaches a threshold. Downgrades follow
    ``program.downgrade_policy``: under ``window_end`` a calendar-year level is kept through
    the following year; under ``never`` the stored floor (highest level reached) is kept.
    """
    if program.level_window is LevelWindow.LIFETIME:
        window_spend = spend.lifetime_minor
        level = program.level_for_spend(window_spend)
    elif program.level_window is LevelWindow.ROLLING_12_MONTHS:
        window_spend = spend.rolling_12_months_minor
        level = program.level_for_spend(window_spend)
    else:
        window_spend = spend.this_year_minor
        level = max(
            program.level_for_spend(spend.this_year_minor),
            program.level_for_spend(spend.last_year_minor),
            key=lambda lv: lv.threshold_minor,
        )
    if program.downgrade_policy is DowngradePolicy.NEVER:
        floor = program.level_by_code(floor_code)
        if floor is not None and floor.threshold_minor > level.threshold_minor:
            level = floor
    nxt = program.next_level(level)
    to_next = None if nxt is None else max(0, nxt.threshold_minor - window_spend)
    return LevelStatus(level=level, window_spend_minor=window_spend, next_level=nxt,
                       to_next_minor=to_next)
