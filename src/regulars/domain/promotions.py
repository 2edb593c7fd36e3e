"""Promotions: effects from an explicit registry, schedules, and how promotions stack.

A :class:`Promotion` is one immutable version of a marketer's offer. Its condition (CEL) is
evaluated by the service layer, which hands the result in as :attr:`Candidate.condition_met`;
everything here is pure and reads only its arguments.

Effects are small strategies: each effect type is registered in :data:`STRATEGIES` with a pure
function that reads an :class:`EffectInput` (the lines and what is left to pay on each) and
returns an :class:`EffectResult` (discount per line, points). No strategy changes its input.

Stacking (deterministic):

1. A promotion is *eligible* when its condition holds, its schedule covers the local time and
   its stores include the receipt's store (and, for a targeted one, the member is in its
   segment and not in its control group, see :mod:`regulars.domain.control_groups`); it
   *applies* only if it gives the customer something (money off or points) on the basket as
   the till's own discounts left it.
2. Candidates are ordered by ``priority`` (higher first), then by ``id``.
3. ``best_of``: among all applying ``best_of`` promotions only the one worth most to the
   customer (discount money + points × point value, measured on the basket as the till left
   it) stays in the order; ties go to the earlier one in the order.
4. The order is walked: an ``exclusive`` promotion met first applies alone and ends the walk;
   an ``exclusive`` one met after any other has applied is skipped; ``stackable`` ones (and the
   ``best_of`` winner) apply on top, each working on what earlier ones left to pay. A
   promotion whose effects give nothing at its turn is left out.
5. Budgets: a promotion whose discount or points at its turn exceed its
   :class:`~regulars.domain.budgets.Allowance`, or whose cost (discount + points × point
   value) exceeds what is left of its bucket's shared pool (``Offers.pool_minor``, the mass
   bucket, for promotions for everyone; ``Offers.targeted_pool_minor`` for promotions
   targeted at a segment), is left out, and the walk goes on; a ``best_of`` promotion that
   does not fit on the till's basket cannot win. A limited promotion's points are then
   capped at what the walk counted, so the final settlement never exceeds what was checked.

Points effects are settled after the program's discount and points spend, on the final earn
basis (see :func:`regulars.domain.engine.evaluate`); the walk above uses the basis before
points are spent to value them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from regulars.domain.budgets import NO_LIMITS, UNLIMITED, Allowance, Limits
from regulars.domain.control_groups import MAX_CONTROL_SHARE_BP, Group, group_of
from regulars.domain.money import BASIS_POINTS, Rounding, allocate, apply_rate, divide

QUANTITY_SCALE = 1000
MAX_EFFECTS = 10


class Stacking(StrEnum):
    EXCLUSIVE = "exclusive"
    BEST_OF = "best_of"
    STACKABLE = "stackable"


# Effects --------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class _Matching:
    """Lines an effect works on: those whose sku or category is listed; both empty: all."""

    categories: frozenset[str] = field(default_factory=frozenset)
    skus: frozenset[str] = field(default_factory=frozenset)

    def matches(self, line: LineView) -> bool:
        if not self.categories and not self.skus:
            return True
        return line.sku in self.skus or line.category in self.categories


@dataclass(frozen=True, kw_only=True)
class PercentDiscount(_Matching):
    rate_bp: int

    def __post_init__(self) -> None:
        if not 0 < self.rate_bp <= BASIS_POINTS:
            raise ValueError("rate_bp must lie between 1 and 10000")


@dataclass(frozen=True, kw_only=True)
class FixedDiscount(_Matching):
    amount_minor: int

    def __post_init__(self) -> None:
        if self.amount_minor <= 0:
            raise ValueError("amount_minor must be positive")


@dataclass(frozen=True, kw_only=True)
class SetPrice(_Matching):
    unit_price_minor: int

    def __post_init__(self) -> None:
        if self.unit_price_minor < 0:
            raise ValueError("unit_price_minor must not be negative")
        if not self.categories and not self.skus:
            raise ValueError("skus: set_price needs skus or categories to match")


@dataclass(frozen=True, kw_only=True)
class BonusPoints:
    points: int

    def __post_init__(self) -> None:
        if self.points <= 0:
            raise ValueError("points must be positive")


@dataclass(frozen=True, kw_only=True)
class PointsPercent:
    rate_bp: int

    def __post_init__(self) -> None:
        if not 0 < self.rate_bp <= BASIS_POINTS:
            raise ValueError("rate_bp must lie between 1 and 10000")


@dataclass(frozen=True, kw_only=True)
class PointsMultiplier:
    factor_percent: int  # 200 = the base points twice over

    def __post_init__(self) -> None:
        if not 100 < self.factor_percent <= 10_000:
            raise ValueError("factor_percent must lie between 101 and 10000")


@dataclass(frozen=True, kw_only=True)
class CheapestFree(_Matching):
    """Of every ``every_n`` whole matching items, the cheapest is free."""

    every_n: int

    def __post_init__(self) -> None:
        if not 2 <= self.every_n <= 1000:
            raise ValueError("every_n must lie between 2 and 1000")


@dataclass(frozen=True, kw_only=True)
class VolumeStep:
    from_milli: int
    rate_bp: int

    def __post_init__(self) -> None:
        if self.from_milli <= 0:
            raise ValueError("from_milli must be positive")
        if not 0 < self.rate_bp <= BASIS_POINTS:
            raise ValueError("rate_bp must lie between 1 and 10000")


@dataclass(frozen=True, kw_only=True)
class VolumeSteps(_Matching):
    """The rate of the highest step the matching quantity reaches, off the matching lines."""

    steps: tuple[VolumeStep, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("steps: at least one step is required")
        starts = [s.from_milli for s in self.steps]
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            raise ValueError("steps: from_milli must strictly increase")


Effect = (PercentDiscount | FixedDiscount | SetPrice | BonusPoints | PointsPercent
          | PointsMultiplier | CheapestFree | VolumeSteps)


@dataclass(frozen=True, kw_only=True)
class LineView:
    sku: str
    category: str
    quantity_milli: int
    unit_price_minor: int
    amount_minor: int  # what is left to pay on the line at this point


@dataclass(frozen=True, kw_only=True)
class EffectInput:
    lines: tuple[LineView, ...]
    earn_basis_minor: tuple[int, ...]
    base_points: int
    point_value_minor: int
    rounding: Rounding
    per_line: bool  # round each line (the program's ``line`` rounding scope)


@dataclass(frozen=True, kw_only=True)
class EffectResult:
    discount_minor: tuple[int, ...]
    points: int = 0


def _none(inp: EffectInput) -> tuple[int, ...]:
    return (0,) * len(inp.lines)


def _rate_off(inp: EffectInput, matching: _Matching, rate_bp: int) -> tuple[int, ...]:
    base = [ln.amount_minor if matching.matches(ln) else 0 for ln in inp.lines]
    if inp.per_line:
        return tuple(apply_rate(b, rate_bp, inp.rounding) for b in base)
    total = min(apply_rate(sum(base), rate_bp, inp.rounding), sum(base))
    return tuple(allocate(total, base)) if total else _none(inp)


def percent_discount(effect: PercentDiscount, inp: EffectInput) -> EffectResult:
    return EffectResult(discount_minor=_rate_off(inp, effect, effect.rate_bp))


def fixed_discount(effect: FixedDiscount, inp: EffectInput) -> EffectResult:
    base = [ln.amount_minor if effect.matches(ln) else 0 for ln in inp.lines]
    total = min(effect.amount_minor, sum(base))
    return EffectResult(discount_minor=tuple(allocate(total, base)) if total else _none(inp))


def set_price(effect: SetPrice, inp: EffectInput) -> EffectResult:
    discounts = []
    for ln in inp.lines:
        if not effect.matches(ln):
            discounts.append(0)
            continue
        price = divide(effect.unit_price_minor * ln.quantity_milli, QUANTITY_SCALE,
                       Rounding.HALF_UP)
        discounts.append(max(0, ln.amount_minor - price))
    return EffectResult(discount_minor=tuple(discounts))


def bonus_points(effect: BonusPoints, inp: EffectInput) -> EffectResult:
    return EffectResult(discount_minor=_none(inp), points=effect.points)


def points_percent(effect: PointsPercent, inp: EffectInput) -> EffectResult:
    denominator = BASIS_POINTS * inp.point_value_minor
    if inp.per_line:
        points = sum(divide(b * effect.rate_bp, denominator, inp.rounding)
                     for b in inp.earn_basis_minor)
    else:
        points = divide(sum(inp.earn_basis_minor) * effect.rate_bp, denominator, inp.rounding)
    return EffectResult(discount_minor=_none(inp), points=points)


def points_multiplier(effect: PointsMultiplier, inp: EffectInput) -> EffectResult:
    extra = divide(inp.base_points * (effect.factor_percent - 100), 100, inp.rounding)
    return EffectResult(discount_minor=_none(inp), points=extra)


def cheapest_free(effect: CheapestFree, inp: EffectInput) -> EffectResult:
    units = [(ln.unit_price_minor, index) for index, ln in enumerate(inp.lines)
             if effect.matches(ln) for _ in range(ln.quantity_milli // QUANTITY_SCALE)]
    free = sorted(units)[:len(units) // effect.every_n]
    discounts = [0] * len(inp.lines)
    for price, index in free:
        discounts[index] += price
    return EffectResult(discount_minor=tuple(
        min(d, ln.amount_minor) for d, ln in zip(discounts, inp.lines, strict=True)))


def volume_steps(effect: VolumeSteps, inp: EffectInput) -> EffectResult:
    quantity = sum(ln.quantity_milli for ln in inp.lines if effect.matches(ln))
    reached = [s for s in effect.steps if quantity >= s.from_milli]
    if not reached:
        return EffectResult(discount_minor=_none(inp))
    return EffectResult(discount_minor=_rate_off(inp, effect, reached[-1].rate_bp))


Strategy = Callable[[Any, EffectInput], EffectResult]

STRATEGIES: Mapping[str, tuple[type[Effect], Strategy]] = {
    "percent_discount": (PercentDiscount, percent_discount),
    "fixed_discount": (FixedDiscount, fixed_discount),
    "set_price": (SetPrice, set_price),
    "bonus_points": (BonusPoints, bonus_points),
    "points_percent": (PointsPercent, points_percent),
    "points_multiplier": (PointsMultiplier, points_multiplier),
    "cheapest_free": (CheapestFree, cheapest_free),
    "volume_steps": (VolumeSteps, volume_steps),
}
_KIND_OF: Mapping[type[Effect], str] = {cls: kind for kind, (cls, _) in STRATEGIES.items()}


def kind_of(effect: Effect) -> str:
    return _KIND_OF[type(effect)]


def apply_effect(effect: Effect, inp: EffectInput) -> EffectResult:
    """Run the registered strategy of ``effect``; the result never exceeds what is left."""
    _, strategy = STRATEGIES[kind_of(effect)]
    return strategy(effect, inp)


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
    # Held-back share of the segment (see regulars.domain.control_groups), and the seed,
    # stored with the promotion and the same for all its versions, that assigns members.
    control_share_bp: int = 0
    control_seed: str = ""

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

    def group_of(self, member_id: int) -> Group:
        """The member's group for this promotion (everyone is in the test group without a
        control share)."""
        return group_of(seed=self.control_seed, promotion_id=self.id, member_id=member_id,
                        control_share_bp=self.control_share_bp)

    def runs(self, *, store_id: int | None, local: datetime) -> bool:
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


# Choosing and applying ------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Applied:
    """A promotion that applied: its discount on each line, in the walk's order."""

    promotion: Promotion
    discount_minor: tuple[int, ...]
    points_cap: int | None = None  # a limited promotion's points as the walk counted them


@dataclass(frozen=True, kw_only=True)
class Pricing:
    """The program's terms the effects need, plus the basis for valuing points."""

    point_value_minor: int
    rounding: Rounding
    per_line: bool
    base_rate_bp: int  # the rate base points accrue at (0 when the member earns none)
    may_earn: bool  # whether promotion points can accrue at all
    earnable: tuple[bool, ...]


def _input(lines: tuple[LineView, ...], pricing: Pricing) -> EffectInput:
    basis = tuple(ln.amount_minor if ok else 0
                  for ln, ok in zip(lines, pricing.earnable, strict=True))
    base = divide(sum(basis) * pricing.base_rate_bp, BASIS_POINTS * pricing.point_value_minor,
                  pricing.rounding)
    return EffectInput(lines=lines, earn_basis_minor=basis, base_points=base,
                       point_value_minor=pricing.point_value_minor, rounding=pricing.rounding,
                       per_line=pricing.per_line)


def _run(promotion: Promotion, lines: tuple[LineView, ...],
         pricing: Pricing) -> tuple[tuple[int, ...], int]:
    """A promotion's effects in turn, each on what the previous left: (discounts, points)."""
    discounts = [0] * len(lines)
    points = 0
    for effect in promotion.effects:
        result = apply_effect(effect, _input(lines, pricing))
        points += result.points if pricing.may_earn else 0
        discounts = [d + r for d, r in zip(discounts, result.discount_minor, strict=True)]
        lines = _less(lines, result.discount_minor)
    return tuple(discounts), points


def _less(lines: tuple[LineView, ...], discounts: tuple[int, ...]) -> tuple[LineView, ...]:
    return tuple(LineView(sku=ln.sku, category=ln.category, quantity_milli=ln.quantity_milli,
                          unit_price_minor=ln.unit_price_minor,
                          amount_minor=ln.amount_minor - d)
                 for ln, d in zip(lines, discounts, strict=True))


def choose(offers: Offers, lines: tuple[LineView, ...], pricing: Pricing) -> tuple[Applied, ...]:
    """The promotions that apply, in order, with their discounts (see the module docstring)."""
    allowances = {c.promotion.id: c.allowance for c in offers.candidates}
    ordered = sorted(
        (c.promotion for c in offers.candidates
         if c.condition_met and c.promotion.runs(store_id=offers.store_id,
                                                 local=offers.local_now)),
        key=lambda p: (-p.priority, p.id))
    pools = {False: offers.pool_minor, True: offers.targeted_pool_minor}

    def fits(promotion: Promotion, discounts: tuple[int, ...], points: int,
             left: int | None) -> bool:
        cost = sum(discounts) + points * pricing.point_value_minor
        return (allowances[promotion.id].fits(discount_minor=sum(discounts), points=points)
                and (left is None or cost <= left))

    values: dict[int, int] = {}
    fit_alone: dict[int, bool] = {}
    for promotion in ordered:
        discounts, points = _run(promotion, lines, pricing)
        values[promotion.id] = sum(discounts) + points * pricing.point_value_minor
        fit_alone[promotion.id] = fits(promotion, discounts, points,
                                       pools[promotion.targeted])
    applying = [p for p in ordered if values[p.id] > 0]
    best_of = [p for p in applying if p.stacking is Stacking.BEST_OF and fit_alone[p.id]]
    winner = max(best_of, key=lambda p: values[p.id], default=None)  # max keeps the first
    walk = [p for p in applying if p.stacking is not Stacking.BEST_OF or p is winner]

    applied: list[Applied] = []
    for promotion in walk:
        if promotion.stacking is Stacking.EXCLUSIVE and applied:
            continue
        discounts, points = _run(promotion, lines, pricing)
        if not sum(discounts) and not points:
            continue
        pool = pools[promotion.targeted]
        if not fits(promotion, discounts, points, pool):
            continue
        limited = allowances[promotion.id].points is not None or pool is not None
        if pool is not None:
            pools[promotion.targeted] = pool - (sum(discounts)
                                                + points * pricing.point_value_minor)
        applied.append(Applied(promotion=promotion, discount_minor=discounts,
                               points_cap=points if limited else None))
        lines = _less(lines, discounts)
        if promotion.stacking is Stacking.EXCLUSIVE:
            break
    return tuple(applied)


def points_of(promotion: Promotion, inp: EffectInput) -> int:
    """The points ``promotion`` earns on the final basis in ``inp``."""
    return sum(apply_effect(e, inp).points for e in promotion.effects)
