"""Coupons: series and the rules for using a code; pure.

Codes (16 characters with a check character, stored as keyed digests) are those of
:mod:`regulars.domain.codes`, shared with gift certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from regulars.domain.promotions.effects import Cashback, Effect, IssueCoupon

# Using a code ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Series:
    id: int
    name: str
    effect: Effect
    max_uses: int  # per code; 1: single-use
    starts_on: date | None = None  # local dates, inclusive
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name must not be empty")
        if self.max_uses < 1:
            raise ValueError("max_uses must be at least 1")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        if isinstance(self.effect, IssueCoupon):
            raise ValueError("effect: a coupon cannot issue another coupon")
        if isinstance(self.effect, Cashback):
            raise ValueError("effect: cashback is a promotion's effect, not a coupon's")

    def valid_on(self, day: date) -> bool:
        return ((self.starts_on is None or self.starts_on <= day)
                and (self.ends_on is None or day <= self.ends_on))


@dataclass(frozen=True, kw_only=True)
class CodeState:
    """A stored code as a checkout sees it: its uses and the live holds of other tills."""

    id: int
    series: Series
    member_id: int | None  # bound to this member only; None: anyone
    uses: int
    held_by_others: int
    # The code's own number of uses: the series' unless a refund voided it (0).
    max_uses: int | None = None


class Refusal(StrEnum):
    NOT_YET = "coupon_not_yet_valid"
    EXPIRED = "coupon_expired"
    NOT_YOURS = "coupon_not_yours"
    USED = "coupon_used"


def refusal(state: CodeState, *, member_id: int | None, day: date) -> Refusal | None:
    """Why the code cannot be used on a receipt of ``member_id`` on local ``day``, if so."""
    series = state.series
    if series.starts_on is not None and day < series.starts_on:
        return Refusal.NOT_YET
    if series.ends_on is not None and day > series.ends_on:
        return Refusal.EXPIRED
    if state.member_id is not None and state.member_id != member_id:
        return Refusal.NOT_YOURS
    most = series.max_uses if state.max_uses is None else state.max_uses
    if state.uses + state.held_by_others >= most:
        return Refusal.USED
    return None


@dataclass(frozen=True, kw_only=True)
class CouponOffer:
    """A code accepted for a receipt: the engine applies its series' effect."""

    code_id: int
    series: Series
