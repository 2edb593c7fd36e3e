"""Pure rules of action rewards: referrals, birthdays, a completed profile and the business's
own events. The services decide *when* to ask; these functions say *what* is due.

    RewardSettings
    ├── referral   points for both sides, paid at registration or at the first purchase,
    │              and optionally for the referrer's own referrer and up (levels 2..5)
    ├── birthday   points once per member per year, on the birthday in the tenant's zone
    ├── profile    points once, when first name, last name, e-mail and birthday are all set
    └── events     per event type: points, and how many may pay per member per period

Nothing here reads the clock: local times are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

MAX_POINTS = 10**9
MAX_REFERRAL_LEVELS = 5  # the referrer (level 1) and up to four above


class Trigger(StrEnum):
    """When a referral pays: as soon as the invited member registers, or once that member's
    first receipt is committed."""

    REGISTRATION = "registration"
    FIRST_PURCHASE = "first_purchase"


class Period(StrEnum):
    """The window an event type's per-member limit counts over, in the tenant's time zone."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    LIFETIME = "lifetime"


class Refusal(StrEnum):
    """Why a referral was not linked (the registration itself still succeeds)."""

    UNKNOWN_CODE = "unknown_code"
    ALREADY_MEMBER = "already_member"
    SELF_REFERRAL = "self_referral"
    SAME_PHONE = "same_phone"
    REFERRER_CARD = "referrer_card"
    SAME_DEVICE = "same_device"
    KNOWN_DEVICE = "known_device"


def _points(name: str, value: int) -> None:
    if not 0 <= value <= MAX_POINTS:
        raise ValueError(f"{name} must lie between 0 and {MAX_POINTS}")


@dataclass(frozen=True, kw_only=True)
class ReferralRule:
    enabled: bool = False
    referrer_points: int = 0
    referred_points: int = 0
    trigger: Trigger = Trigger.REGISTRATION
    link_base: str | None = None
    # Points for level 2 (the referrer's own referrer), level 3, ...; empty: one level.
    upper_level_points: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _points("referrer_points", self.referrer_points)
        _points("referred_points", self.referred_points)
        if len(self.upper_level_points) > MAX_REFERRAL_LEVELS - 1:
            raise ValueError(f"upper_level_points: at most {MAX_REFERRAL_LEVELS - 1} levels "
                             "above the referrer")
        for points in self.upper_level_points:
            _points("upper_level_points", points)
        if self.link_base is not None and not self.link_base.startswith(("https://",
                                                                         "http://")):
            raise ValueError("link_base must start with https:// or http://")

    def link(self, code: str | None) -> str | None:
        """The text of a member's invitation link, or ``None`` without a base or a code."""
        if code is None or self.link_base is None:
            return None
        return f"{self.link_base.rstrip('/')}/r/{code}"


@dataclass(frozen=True, kw_only=True)
class FixedReward:
    """A reward of ``points`` while ``enabled`` (birthday, completed profile)."""

    enabled: bool = False
    points: int = 0

    def __post_init__(self) -> None:
        _points("points", self.points)

    @property
    def pays(self) -> bool:
        return self.enabled and self.points > 0


@dataclass(frozen=True, kw_only=True)
class EventRule:
    """An event type the business posts: ``points`` each, at most ``limit`` rewarded events
    per member per ``period`` (``None``: no limit)."""

    type: str
    points: int
    limit: int | None = None
    period: Period = Period.LIFETIME

    def __post_init__(self) -> None:
        if not self.type or not self.type.replace("_", "").replace("-", "").isalnum():
            raise ValueError("type must be letters, digits, '-' or '_'")
        _points("points", self.points)
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be at least 1, or null for no limit")


@dataclass(frozen=True, kw_only=True)
class RewardSettings:
    referral: ReferralRule = ReferralRule()
    birthday: FixedReward = FixedReward()
    profile: FixedReward = FixedReward()
    events: tuple[EventRule, ...] = ()

    def __post_init__(self) -> None:
        types = [rule.type for rule in self.events]
        if len(set(types)) != len(types):
            raise ValueError("events: each type may be configured once")

    def event(self, type_: str) -> EventRule | None:
        return next((rule for rule in self.events if rule.type == type_), None)


def period_start(period: Period, local_now: datetime) -> datetime | None:
    """The local start of the period that contains ``local_now`` (weeks start on Monday);
    ``None`` for a lifetime limit."""
    today = local_now.date()
    if period is Period.LIFETIME:
        return None
    if period is Period.DAY:
        start = today
    elif period is Period.WEEK:
        start = today - timedelta(days=today.weekday())
    elif period is Period.MONTH:
        start = today.replace(day=1)
    else:
        start = today.replace(month=1, day=1)
    return datetime.combine(start, time(0), tzinfo=local_now.tzinfo)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def birthday_in(year: int, birthday: date) -> date:
    """The date a birthday falls on in ``year``: 29 February is kept on 28 February in
    years without it."""
    if birthday.month == 2 and birthday.day == 29 and not _is_leap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def birthday_today(birthday: date, local_today: date) -> bool:
    return birthday_in(local_today.year, birthday) == local_today


def profile_complete(*, first_name: str | None, last_name: str | None, email: str | None,
                     birthday: date | None) -> bool:
    return all(value is not None and (not isinstance(value, str) or value.strip())
               for value in (first_name, last_name, email, birthday))


def chain_payouts(*, referred_id: int, referrer_id: int, chain: tuple[int, ...],
                  level_points: tuple[int, ...]) -> tuple[tuple[int, int, int], ...]:
    """Who is paid what above the referrer: ``(level, member id, points)`` for levels 2, 3,
    ... where ``chain`` is the referrer's referrer, theirs, and so on, and ``level_points``
    the points per level from 2. The walk stops at the first member met twice or at the
    referred member (a cycle, which linking never makes but a merge of members could), and
    levels worth 0 points are left out."""
    seen = {referred_id, referrer_id}
    paid: list[tuple[int, int, int]] = []
    for level, (member_id, points) in enumerate(zip(chain, level_points, strict=False),
                                                start=2):
        if member_id in seen:
            break
        seen.add(member_id)
        if points > 0:
            paid.append((level, member_id, points))
    return tuple(paid)


def referral_refusal(*, new_phone: str | None, referrer_phone: str | None,
                     card_of_referrer: bool, device_hash: str | None,
                     referrer_device_hash: str | None,
                     device_known: bool) -> Refusal | None:
    """Why a new member may not be credited to this referrer, or ``None``.

    The same phone, a card the referrer holds, or the referrer's device mean the referrer is
    inviting themselves; a device another member registered from already means accounts are
    being farmed.
    """
    if new_phone is not None and new_phone == referrer_phone:
        return Refusal.SAME_PHONE
    if card_of_referrer:
        return Refusal.REFERRER_CARD
    if device_hash is not None and device_hash == referrer_device_hash:
        return Refusal.SAME_DEVICE
    if device_hash is not None and device_known:
        return Refusal.KNOWN_DEVICE
    return None
