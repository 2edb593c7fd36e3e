"""Promotions: a marketer's offer, its schedule and stores, and the candidates a receipt's
promotions are chosen from.

A :class:`Promotion` is one immutable version of a marketer's offer. Its condition (CEL) is
evaluated by the service layer, which hands the result in as :attr:`Candidate.condition_met`;
everything here is pure and reads only its arguments.

Effects are small strategies from the registry in :mod:`regulars.domain.promotions.effects`; no
strategy
changes its input. How promotions stack, and which of them apply within their limits, is in
:mod:`regulars.domain.promotions.walk`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from regulars.domain.promotions.budgets import NO_LIMITS, UNLIMITED, Allowance, Limits, Split
from regulars.domain.promotions.control_groups import MAX_CONTROL_SHARE_BP, Group, group_of
from regulars.domain.promotions.effects import (
    GIVES_POINTS,
    QUANTITY_SCALE,
    STRATEGIES,
    BonusPoints,
    Cashback,
    CashbackOn,
    CheapestFree,
    Effect,
    EffectInput,
    EffectResult,
    FixedDiscount,
    GiftWithPurchase,
    IssueCoupon,
    LineView,
    Note,
    PercentDiscount,
    PointsMultiplier,
    PointsPercent,
    SetPrice,
    Strategy,
    VolumeStep,
    VolumeSteps,
    apply_effect,
    kind_of,
)

# The effects live in regulars.domain.promotions.effects; they are named here too, where promotions
# are put together.
__all__ = [
    "QUANTITY_SCALE", "STRATEGIES", "BonusPoints", "Candidate", "Cashback", "CashbackOn",
    "CheapestFree", "Effect",
    "EffectInput", "EffectResult", "FixedDiscount", "GiftWithPurchase", "IssueCoupon",
    "LineView", "Note", "Offers", "PercentDiscount", "PointsMultiplier", "PointsPercent",
    "Promotion", "Schedule", "SetPrice", "Stacking", "Strategy", "VolumeStep", "VolumeSteps",
    "apply_effect", "kind_of",
]

MAX_EFFECTS = 10


class Stacking(StrEnum):
    EXCLUSIVE = "exclusive"
    BEST_OF = "best_of"
    STACKABLE = "stackable"


# Schedule and promotion -----------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When a promotion runs, in the tenant's local time. Dates are inclusive at both ends;
    ``weekdays`` are ISO (1 = Monday), empty for every day; hours ``from <= h < to``, and a
    window with ``hour_from > hour_to`` runs across midnight."""

    starts_on: date | None = None
    ends_on: date | None = None
    weekdays: frozenset[int] = field(default_factory=frozenset)
    hour_from: int = 0
    hour_to: int = 24

    def __post_init__(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        if any(not 1 <= d <= 7 for d in self.weekdays):
            raise ValueError("weekdays must lie between 1 (Monday) and 7 (Sunday)")
        if not 0 <= self.hour_from <= 23:
            raise ValueError("hour_from must lie between 0 and 23")
        if not 1 <= self.hour_to <= 24 or self.hour_to == self.hour_from:
            raise ValueError("hour_to must lie between 1 and 24 and differ from hour_from")

    def covers(self, local: datetime) -> bool:
        """Whether the local wall-clock time ``local`` (already in the tenant's zone) falls
        inside the schedule."""
        day = local.date()
        if self.starts_on is not None and day < self.starts_on:
            return False
        if self.ends_on is not None and day > self.ends_on:
            return False
        if self.weekdays and local.isoweekday() not in self.weekdays:
            return False
        if self.hour_from < self.hour_to:
            return self.hour_from <= local.hour < self.hour_to
        return local.hour >= self.hour_from or local.hour < self.hour_to


_EVERY_DAY = Schedule()


@dataclass(frozen=True, kw_only=True)
class Promotion:
    id: int
    version: int
    name: str
    effects: tuple[Effect, ...]
    stacking: Stacking = Stacking.STACKABLE
    priority: int = 0
    schedule: Schedule = field(default_factory=Schedule)
    store_ids: frozenset[int] | None = None  # None: every store
    limits: Limits = NO_LIMITS
    segment_id: int | None = None  # None: for everyone (the mass bucket)
    # Held-back share of the segment (see regulars.domain.promotions.control_groups), and the seed,
    # stored with the promotion and the same for all its versions, that assigns members.
    control_share_bp: int = 0
    control_seed: str = ""
    # Every store, every day and hour: runs() need not look (worked out once).
    _always: bool = field(default=False, init=False, repr=False, compare=False)
    # The effects that can give points, those settlement runs again (worked out once).
    points_effects: tuple[Effect, ...] = field(default=(), init=False, repr=False,
                                               compare=False)

    @property
    def targeted(self) -> bool:
        """Whether the promotion is for a segment only (and draws from the targeted bucket)."""
        return self.segment_id is not None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name must not be empty")
        if not 1 <= len(self.effects) <= MAX_EFFECTS:
            raise ValueError(f"effects: between 1 and {MAX_EFFECTS} effects are required")
        if self.store_ids is not None and not self.store_ids:
            raise ValueError("store_ids must name at least one store, or be null for all")
        if not 0 <= self.control_share_bp <= MAX_CONTROL_SHARE_BP:
            raise ValueError(f"control_share_bp must lie between 0 and {MAX_CONTROL_SHARE_BP}")
        if self.control_share_bp and self.segment_id is None:
            raise ValueError("control_share_bp: only a promotion targeted at a segment may "
                             "hold back a control group")
        object.__setattr__(self, "_always",
                           self.store_ids is None and self.schedule == _EVERY_DAY)
        object.__setattr__(self, "points_effects",
                           tuple([e for e in self.effects if isinstance(e, GIVES_POINTS)]))

    def group_of(self, member_id: int) -> Group:
        """The member's group for this promotion (everyone is in the test group without a
        control share)."""
        return group_of(seed=self.control_seed, promotion_id=self.id, member_id=member_id,
                        control_share_bp=self.control_share_bp)

    def runs(self, *, store_id: int | None, local: datetime) -> bool:
        if self._always:
            return True
        if self.store_ids is not None and store_id not in self.store_ids:
            return False
        return self.schedule.covers(local)


@dataclass(frozen=True, kw_only=True)
class Candidate:
    promotion: Promotion
    condition_met: bool
    allowance: Allowance = UNLIMITED


@dataclass(frozen=True, kw_only=True)
class Offers:
    """What the engine needs to choose promotions: candidates with their evaluated
    conditions, the receipt's store and the local time in the tenant's zone."""

    candidates: tuple[Candidate, ...]
    store_id: int | None
    local_now: datetime
    pool_minor: int | None = None  # money left in the mass bucket; None: no cap
    targeted_pool_minor: int | None = None  # money left in the targeted bucket; None: no cap
    split: Split = Split()  # the loyalty budget split the pools come from (the buckets' caps)
