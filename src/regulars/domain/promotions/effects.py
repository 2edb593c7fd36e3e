"""Effects of promotions and coupons: small strategies from an explicit registry.

Each effect type is registered in :data:`STRATEGIES` with a pure function that reads an
:class:`EffectInput` (the lines and what is left to pay on each) and returns an
:class:`EffectResult`: a discount per line, points, cashback (money into the member's wallet
at commit) and what it says about itself (notes the engine turns into explanations, coupon
series to issue at commit). No strategy changes its
input: a gift is a discount on a gift line already in the basket, never a line added.

Every strategy is *monotone*: on the same lines with less (or as much) left to pay on each,
it never gives more money off or more points, and so never gives something where it gave
nothing. The promotion walk relies on it (an effect that gives nothing on the till's basket
is not valued there first, see :func:`regulars.domain.promotions.walk.choose_explained`); a new
strategy must keep it, and the property test of the registry checks every one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from regulars.domain.money import BASIS_POINTS, Rounding, allocate, apply_rate, divide

QUANTITY_SCALE = 1000

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


@dataclass(frozen=True, kw_only=True)
class GiftWithPurchase(_Matching):
    """For every ``buy_milli`` of matching quantity (lines whose sku or category is listed,
    the gift's own lines never counting), one unit of ``gift_sku`` in the basket is free, at
    most ``max_gifts`` per receipt (``None``: no cap). A gift that is not in the basket is
    not added: the till must ring it up for the discount to apply."""

    gift_sku: str
    buy_milli: int
    max_gifts: int | None = None

    def __post_init__(self) -> None:
        if not self.gift_sku.strip():
            raise ValueError("gift_sku must not be empty")
        if not 1 <= self.buy_milli <= 10**12:
            raise ValueError("buy_milli must lie between 1 and 10^12")
        if self.max_gifts is not None and not 1 <= self.max_gifts <= 1000:
            raise ValueError("max_gifts must lie between 1 and 1000 (or null for no cap)")

    def qualifies(self, line: LineView) -> bool:
        return line.sku != self.gift_sku and self.matches(line)


@dataclass(frozen=True, kw_only=True)
class IssueCoupon:
    """At commit, one code of coupon series ``series_id`` is issued to the receipt's member
    (none on an anonymous receipt); the quote only announces it. It takes nothing off the
    receipt and adds no points."""

    series_id: int

    def __post_init__(self) -> None:
        if self.series_id <= 0:
            raise ValueError("series_id must be positive")


class CashbackOn(StrEnum):
    """What a cashback effect is a share of: what is left to pay on the matching lines at
    the promotion's turn, or the part of it that earns points (the program's earning basis:
    excluded categories left out)."""

    PAID = "paid"
    EARN_BASIS = "earn_basis"


@dataclass(frozen=True, kw_only=True)
class Cashback(_Matching):
    """``rate_bp`` of the matching lines' ``basis`` returned as money into the member's
    wallet at commit (the wallet opened by the first cashback; an anonymous receipt gets
    none), rounded once per receipt by ``rounding``, at most ``max_minor`` per receipt
    (``None``: no cap). It takes nothing off the receipt and adds no points; its money counts
    against the promotion's money budget and caps as a discount does."""

    rate_bp: int
    basis: CashbackOn = CashbackOn.PAID
    rounding: Rounding = Rounding.FLOOR
    max_minor: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.rate_bp <= BASIS_POINTS:
            raise ValueError("rate_bp must lie between 1 and 10000")
        if self.max_minor is not None and not 1 <= self.max_minor <= 10**12:
            raise ValueError("max_minor must lie between 1 and 10^12 (or null for no cap)")


Effect = (PercentDiscount | FixedDiscount | SetPrice | BonusPoints | PointsPercent
          | PointsMultiplier | CheapestFree | VolumeSteps | GiftWithPurchase | IssueCoupon
          | Cashback)


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
class Note:
    """Something an effect tells the customer beyond money and points (a code and its
    parameters, for the explanation)."""

    code: str
    params: tuple[tuple[str, int | str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class EffectResult:
    discount_minor: tuple[int, ...]
    points: int = 0
    notes: tuple[Note, ...] = ()
    coupon_series_ids: tuple[int, ...] = ()  # series to issue one code of at commit
    cashback_minor: int = 0  # money into the member's wallet at commit

    @property
    def gives(self) -> bool:
        """Whether the effect gives the customer anything: money off, points, a coupon,
        cashback."""
        return bool(sum(self.discount_minor) or self.points or self.coupon_series_ids
                    or self.cashback_minor)


def _none(inp: EffectInput) -> tuple[int, ...]:
    return (0,) * len(inp.lines)


def _rate_off(inp: EffectInput, matching: _Matching, rate_bp: int) -> tuple[int, ...]:
    if not matching.categories and not matching.skus:  # every line
        base = [ln.amount_minor for ln in inp.lines]
    else:
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
    return EffectResult(discount_minor=tuple([
        min(d, ln.amount_minor) for d, ln in zip(discounts, inp.lines, strict=True)]))


def volume_steps(effect: VolumeSteps, inp: EffectInput) -> EffectResult:
    quantity = sum(ln.quantity_milli for ln in inp.lines if effect.matches(ln))
    reached = [s for s in effect.steps if quantity >= s.from_milli]
    if not reached:
        return EffectResult(discount_minor=_none(inp))
    return EffectResult(discount_minor=_rate_off(inp, effect, reached[-1].rate_bp))


def gift_with_purchase(effect: GiftWithPurchase, inp: EffectInput) -> EffectResult:
    bought = sum(ln.quantity_milli for ln in inp.lines if effect.qualifies(ln))
    due = bought // effect.buy_milli
    if effect.max_gifts is not None:
        due = min(due, effect.max_gifts)
    discounts = [0] * len(inp.lines)
    given = 0
    for index, ln in enumerate(inp.lines):
        if ln.sku != effect.gift_sku or given >= due:
            continue
        units = min(ln.quantity_milli // QUANTITY_SCALE, due - given)
        discounts[index] = min(units * ln.unit_price_minor, ln.amount_minor)
        given += units
    if not sum(discounts):
        return EffectResult(discount_minor=_none(inp))
    return EffectResult(discount_minor=tuple(discounts), notes=(Note(
        code="promotion_gift", params=(("gift_sku", effect.gift_sku), ("gifts", given),
                                       ("buy_milli", effect.buy_milli))),))


def issue_coupon(effect: IssueCoupon, inp: EffectInput) -> EffectResult:
    return EffectResult(discount_minor=_none(inp), coupon_series_ids=(effect.series_id,),
                        notes=(Note(code="promotion_coupon",
                                    params=(("series_id", effect.series_id),)),))


def cashback(effect: Cashback, inp: EffectInput) -> EffectResult:
    on_paid = effect.basis is CashbackOn.PAID
    basis = sum([ln.amount_minor if on_paid else earnable
                 for ln, earnable in zip(inp.lines, inp.earn_basis_minor, strict=True)
                 if effect.matches(ln)])
    amount = apply_rate(basis, effect.rate_bp, effect.rounding)
    if effect.max_minor is not None:
        amount = min(amount, effect.max_minor)
    if amount <= 0:
        return EffectResult(discount_minor=_none(inp))
    return EffectResult(discount_minor=_none(inp), cashback_minor=amount, notes=(Note(
        code="promotion_cashback", params=(("rate_bp", effect.rate_bp),
                                           ("basis_minor", basis), ("amount_minor", amount))),))


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
    "gift_with_purchase": (GiftWithPurchase, gift_with_purchase),
    "issue_coupon": (IssueCoupon, issue_coupon),
    "cashback": (Cashback, cashback),
}
_KIND_OF: Mapping[type[Effect], str] = {cls: kind for kind, (cls, _) in STRATEGIES.items()}
# The effects whose strategy can give points; every other one gives money off, a gift or a
# coupon and always returns ``points=0``, so settling points need not run it again.
GIVES_POINTS: tuple[type, ...] = (BonusPoints, PointsPercent, PointsMultiplier)


_STRATEGY_OF: Mapping[type[Effect], Strategy] = {
    cls: strategy for cls, strategy in STRATEGIES.values()}


def kind_of(effect: Effect) -> str:
    return _KIND_OF[type(effect)]


def apply_effect(effect: Effect, inp: EffectInput) -> EffectResult:
    """Run the registered strategy of ``effect``; the result never exceeds what is left."""
    return _STRATEGY_OF[type(effect)](effect, inp)
