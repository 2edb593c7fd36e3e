"""The promotion walk: which promotions apply to a basket, in what order, and what each
gives, within their budgets. Pure: it reads only its arguments.

Stacking (deterministic):

1. A promotion is *eligible* when its condition holds, its schedule covers the local time and
   its stores include the receipt's store (and, for a targeted one, the member is in its
   segment and not in its control group, see :mod:`regulars.domain.promotions.control_groups`); it
   *applies* only if it gives the customer something (money off, points, or a coupon or
   cashback for a member) on the basket as the till's own discounts left it.
2. Candidates are ordered by ``priority`` (higher first), then by ``id``.
3. ``best_of``: among all applying ``best_of`` promotions only the one worth most to the
   customer (discount money + cashback + points × point value, valued on the basket as
   the till left it) stays in the order; ties go to the earlier one in the order.
4. The order is walked: an ``exclusive`` promotion met first applies alone and ends the walk;
   an ``exclusive`` one met after any other has applied is skipped; ``stackable`` ones (and the
   ``best_of`` winner) apply on top, each working on what earlier ones left to pay. A
   promotion whose effects give nothing at its turn is left out.
5. Budgets: a promotion whose money (discount and cashback) or points at its turn exceed its
   :class:`~regulars.domain.promotions.budgets.Allowance`, or whose cost (discount + cashback +
   points × point value) exceeds what is left of its bucket's shared pool
   (``Offers.pool_minor``, the mass bucket, for promotions for everyone;
   ``Offers.targeted_pool_minor`` for promotions targeted at a segment), is left out, and
   the walk goes on; a ``best_of`` promotion that does not fit on the till's basket cannot
   win. A limited promotion's points are then
   capped at what the walk counted, so the final settlement never exceeds what was checked.
   A promotion that issues a coupon is left out once any of its caps is at zero (a coupon's
   value is not known when it is issued). Each promotion left out by a limit is reported
   with the reason (:func:`choose_explained`), so that the quote can say why.

Points effects are settled after the program's discount and points spend, on the final earn
basis (see :func:`regulars.domain.checkout.engine.evaluate`); the walk above uses the basis before
points are spent to value them.
"""

from __future__ import annotations

from dataclasses import dataclass

from regulars.domain.money import BASIS_POINTS, Rounding, divide
from regulars.domain.promotions.budgets import UNLIMITED, Allowance
from regulars.domain.promotions.effects import EffectInput, LineView, Note, apply_effect
from regulars.domain.promotions.promotions import Offers, Promotion, Stacking


@dataclass(frozen=True, kw_only=True)
class Applied:
    """A promotion that applied: its discount on each line, in the walk's order, what its
    effects say (notes) and the coupon series it issues a code of at commit."""

    promotion: Promotion
    discount_minor: tuple[int, ...]
    points_cap: int | None = None  # a limited promotion's points as the walk counted them
    notes: tuple[Note, ...] = ()
    coupon_series_ids: tuple[int, ...] = ()
    cashback_minor: int = 0  # money into the member's wallet at commit


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A promotion that would have given something but was left out by a limit: ``reason``
    is one of :data:`~regulars.domain.promotions.budgets.REASONS`."""

    promotion: Promotion
    reason: str


@dataclass(frozen=True, kw_only=True)
class Choice:
    applied: tuple[Applied, ...]
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Pricing:
    """The program's terms the effects need, plus the basis for valuing points."""

    point_value_minor: int
    rounding: Rounding
    per_line: bool
    base_rate_bp: int  # the rate base points accrue at (0 when the member earns none)
    may_earn: bool  # whether promotion points can accrue at all
    earnable: tuple[bool, ...]
    has_member: bool = True  # coupons are issued to members only


def _input(lines: tuple[LineView, ...], pricing: Pricing) -> EffectInput:
    basis = tuple([ln.amount_minor if ok else 0
                   for ln, ok in zip(lines, pricing.earnable, strict=True)])
    base = divide(sum(basis) * pricing.base_rate_bp, BASIS_POINTS * pricing.point_value_minor,
                  pricing.rounding)
    return EffectInput(lines=lines, earn_basis_minor=basis, base_points=base,
                       point_value_minor=pricing.point_value_minor, rounding=pricing.rounding,
                       per_line=pricing.per_line)


@dataclass(slots=True, kw_only=True)
class _Outcome:  # never changed once made
    discounts: tuple[int, ...]
    discount_minor: int  # the sum of ``discounts``
    points: int
    notes: tuple[Note, ...]
    coupons: tuple[int, ...]
    left: tuple[LineView, ...]  # what is left to pay after the promotion's discounts
    cashback: int = 0

    @property
    def gives(self) -> bool:
        return bool(self.discount_minor or self.points or self.coupons or self.cashback)

    @property
    def money_minor(self) -> int:
        """The money the promotion gives: its discount and its cashback."""
        return self.discount_minor + self.cashback

    def cost(self, point_value_minor: int) -> int:
        return self.money_minor + self.points * point_value_minor


class _Runs:
    """Runs promotions for one :func:`choose_explained` call, remembering what depends only
    on its arguments: the effect input of each basket state (an effect that takes nothing off
    leaves the very same lines, so the next effect reuses it) and each promotion's outcome on
    the till's basket (the walk reuses it while nothing before took money off)."""

    def __init__(self, lines: tuple[LineView, ...], pricing: Pricing) -> None:
        self.original = lines
        self.pricing = pricing
        self._inputs: list[EffectInput] = []
        self._first: dict[int, _Outcome] = {}

    def input(self, lines: tuple[LineView, ...]) -> EffectInput:
        for inp in self._inputs:
            if inp.lines is lines:
                return inp
        inp = _input(lines, self.pricing)
        self._inputs.append(inp)
        return inp

    def run(self, promotion: Promotion, lines: tuple[LineView, ...]) -> _Outcome:
        """A promotion's effects in turn, each on what the previous left."""
        if lines is self.original:
            found = self._first.get(promotion.id)
            if found is not None:
                return found
        pricing = self.pricing
        start = lines
        discounts: tuple[int, ...] | None = None
        points = cashback = 0
        notes: tuple[Note, ...] = ()
        coupons: tuple[int, ...] = ()
        for effect in promotion.effects:
            result = apply_effect(effect, self.input(lines))
            if pricing.may_earn:
                points += result.points
            if pricing.has_member:
                coupons += result.coupon_series_ids
                cashback += result.cashback_minor
                notes += result.notes
            elif result.notes:  # an anonymous receipt is told of no coupon it will not get
                notes += tuple([n for n in result.notes if n.code not in _MEMBERS_ONLY])
            off = result.discount_minor
            if any(off):
                discounts = (off if discounts is None else
                             tuple([d + r for d, r in zip(discounts, off, strict=True)]))
                lines = _less(lines, off)
        outcome = _Outcome(discounts=(0,) * len(lines) if discounts is None else discounts,
                           discount_minor=0 if discounts is None else sum(discounts),
                           points=points, notes=notes, coupons=coupons, left=lines,
                           cashback=cashback)
        if start is self.original:
            self._first[promotion.id] = outcome
        return outcome


# What only a member gets (a coupon, cashback into a wallet): not told to an anonymous receipt.
_MEMBERS_ONLY = frozenset({"promotion_coupon", "promotion_cashback"})


def _less(lines: tuple[LineView, ...], discounts: tuple[int, ...]) -> tuple[LineView, ...]:
    """What is left to pay after ``discounts``: the same tuple when they take nothing off."""
    if not any(discounts):
        return lines
    return tuple([ln if not d else
                  LineView(sku=ln.sku, category=ln.category, quantity_milli=ln.quantity_milli,
                           unit_price_minor=ln.unit_price_minor,
                           amount_minor=ln.amount_minor - d)
                  for ln, d in zip(lines, discounts, strict=True)])


def choose(offers: Offers, lines: tuple[LineView, ...], pricing: Pricing) -> tuple[Applied, ...]:
    """The promotions that apply, in order, with their discounts (see the module docstring)."""
    return choose_explained(offers, lines, pricing).applied


def choose_explained(offers: Offers, lines: tuple[LineView, ...], pricing: Pricing) -> Choice:
    """:func:`choose`, and the promotions a budget, cap, use limit or bucket left out, each
    with the reason (in the walk's order)."""
    allowances = {c.promotion.id: c.allowance for c in offers.candidates}
    ordered = sorted(
        [c.promotion for c in offers.candidates
         if c.condition_met and c.promotion.runs(store_id=offers.store_id,
                                                 local=offers.local_now)],
        key=lambda p: (-p.priority, p.id))
    pools = {False: offers.pool_minor, True: offers.targeted_pool_minor}
    runs = _Runs(lines, pricing)
    winner, skipped = _best_of(ordered, runs, allowances, pools)
    walk = [p for p in ordered if p.stacking is not Stacking.BEST_OF or p is winner]
    applied, refused = _walk(walk, runs, allowances, pools)
    return Choice(applied=applied, skipped=(*skipped, *refused))


def _refusal(allowance: Allowance, outcome: _Outcome, left: int | None,
             point_value_minor: int) -> str | None:
    """Why ``outcome`` may not apply: what its allowance refuses, else ``"bucket"`` when it
    costs more than the ``left`` of its pool (``None``: no pool), else ``None``."""
    why = None if allowance is UNLIMITED else allowance.refusal(
        discount_minor=outcome.money_minor, points=outcome.points,
        issues_coupon=bool(outcome.coupons))
    if why is None and left is not None and outcome.cost(point_value_minor) > left:
        why = "bucket"
    return why


def _best_of(ordered: list[Promotion], runs: _Runs, allowances: dict[int, Allowance],
             pools: dict[bool, int | None]) -> tuple[Promotion | None, list[Skipped]]:
    """The best_of promotion worth most to the customer on the till's basket among those
    their limits let apply alone (the first of equals), and those the limits left out.

    Only best_of promotions are valued on the till's basket before the walk. Another one
    that gives nothing there gives nothing at its turn in the walk either (effects never
    give more when less is left to pay, see :mod:`regulars.domain.promotions.effects`), so the walk
    leaves it out just the same."""
    point_value_minor = runs.pricing.point_value_minor
    values: dict[int, int] = {}
    skipped: list[Skipped] = []
    fitting: list[Promotion] = []
    for promotion in ordered:
        if promotion.stacking is not Stacking.BEST_OF:
            continue
        outcome = runs.run(promotion, runs.original)
        if not outcome.gives:
            continue
        reason = _refusal(allowances[promotion.id], outcome,
                          pools[promotion.segment_id is not None], point_value_minor)
        if reason is not None:
            skipped.append(Skipped(promotion=promotion, reason=reason))
            continue
        fitting.append(promotion)
        values[promotion.id] = outcome.cost(point_value_minor)
    winner = max(fitting, key=lambda p: values[p.id], default=None)  # max keeps the first
    return winner, skipped


def _walk(walk: list[Promotion], runs: _Runs, allowances: dict[int, Allowance],
          pools: dict[bool, int | None]) -> tuple[tuple[Applied, ...], tuple[Skipped, ...]]:
    """Apply ``walk`` in order, each on what the ones before left, drawing on ``pools``
    (changed in place); an exclusive promotion applies only first, and alone."""
    point_value_minor = runs.pricing.point_value_minor
    lines = runs.original
    applied: list[Applied] = []
    skipped: list[Skipped] = []
    for promotion in walk:
        if promotion.stacking is Stacking.EXCLUSIVE and applied:
            continue
        outcome = runs.run(promotion, lines)
        if not outcome.gives:
            continue
        targeted = promotion.segment_id is not None
        pool = pools[targeted]
        reason = _refusal(allowances[promotion.id], outcome, pool, point_value_minor)
        if reason is not None:
            skipped.append(Skipped(promotion=promotion, reason=reason))
            continue
        limited = allowances[promotion.id].points is not None or pool is not None
        if pool is not None:
            pools[targeted] = pool - outcome.cost(point_value_minor)
        applied.append(Applied(promotion=promotion, discount_minor=outcome.discounts,
                               points_cap=outcome.points if limited else None,
                               notes=outcome.notes, coupon_series_ids=outcome.coupons,
                               cashback_minor=outcome.cashback))
        lines = outcome.left
        if promotion.stacking is Stacking.EXCLUSIVE:
            break
    return tuple(applied), tuple(skipped)


def points_of(promotion: Promotion, inp: EffectInput) -> int:
    """The points ``promotion`` earns on the final basis in ``inp`` (only its effects that
    can give points are run)."""
    return sum([apply_effect(e, inp).points for e in promotion.points_effects])
