"""The promotion walk's shortcuts against their contracts: every effect is monotone (less
left to pay never gives more), and :func:`choose_explained` chooses exactly what measuring
every promotion on the till's basket first, then walking, chooses."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.domain.money import Rounding
from regulars.domain.promotions.budgets import UNLIMITED, Allowance
from regulars.domain.promotions.effects import GIVES_POINTS, STRATEGIES, EffectInput, apply_effect
from regulars.domain.promotions.promotions import (
    BonusPoints,
    Candidate,
    Cashback,
    CashbackOn,
    CheapestFree,
    Effect,
    FixedDiscount,
    GiftWithPurchase,
    IssueCoupon,
    LineView,
    Offers,
    PercentDiscount,
    PointsMultiplier,
    PointsPercent,
    Promotion,
    SetPrice,
    Stacking,
    VolumeStep,
    VolumeSteps,
)
from regulars.domain.promotions.walk import (
    Applied,
    Choice,
    Pricing,
    Skipped,
    choose_explained,
    points_of,
)

NOON = datetime(2026, 3, 2, 12, 0)
SKUS = ("a", "b", "c")
CATEGORIES = ("x", "y")

skus = st.frozensets(st.sampled_from(SKUS), max_size=2)
categories = st.frozensets(st.sampled_from(CATEGORIES), max_size=1)
effects: st.SearchStrategy[Effect] = st.one_of(
    st.builds(PercentDiscount, rate_bp=st.integers(1, 10_000), skus=skus,
              categories=categories),
    st.builds(FixedDiscount, amount_minor=st.integers(1, 5_000), skus=skus,
              categories=categories),
    st.builds(SetPrice, unit_price_minor=st.integers(0, 3_000), skus=st.just(frozenset({"a"}))),
    st.builds(BonusPoints, points=st.integers(1, 500)),
    st.builds(PointsPercent, rate_bp=st.integers(1, 10_000)),
    st.builds(PointsMultiplier, factor_percent=st.integers(101, 500)),
    st.builds(CheapestFree, every_n=st.integers(2, 4), categories=categories),
    st.builds(VolumeSteps, steps=st.just((VolumeStep(from_milli=2000, rate_bp=500),
                                          VolumeStep(from_milli=4000, rate_bp=1500)))),
    st.builds(GiftWithPurchase, gift_sku=st.just("c"), buy_milli=st.integers(1000, 3000),
              max_gifts=st.one_of(st.none(), st.integers(1, 3))),
    st.builds(IssueCoupon, series_id=st.integers(1, 3)),
    st.builds(Cashback, rate_bp=st.integers(1, 10_000), basis=st.sampled_from(list(CashbackOn)),
              rounding=st.sampled_from(list(Rounding)),
              max_minor=st.one_of(st.none(), st.integers(1, 2_000)), skus=skus,
              categories=categories),
)


@st.composite
def baskets(draw: st.DrawFn) -> tuple[LineView, ...]:
    n = draw(st.integers(1, 4))
    found = []
    for _ in range(n):
        price = draw(st.integers(0, 4_000))
        qty = draw(st.integers(1, 4)) * 1000 + draw(st.sampled_from((0, 0, 500)))
        amount = price * qty // 1000
        found.append(LineView(sku=draw(st.sampled_from(SKUS)),
                              category=draw(st.sampled_from(CATEGORIES)), quantity_milli=qty,
                              unit_price_minor=price, amount_minor=amount))
    return tuple(found)


def pricing_for(lines: tuple[LineView, ...], draw: st.DrawFn) -> Pricing:
    return Pricing(point_value_minor=draw(st.sampled_from((1, 10, 100))),
                   rounding=draw(st.sampled_from(list(Rounding))),
                   per_line=draw(st.booleans()), base_rate_bp=draw(st.sampled_from((0, 300))),
                   may_earn=draw(st.booleans()),
                   earnable=tuple(draw(st.booleans()) for _ in lines),
                   has_member=draw(st.booleans()))


def _input(lines: tuple[LineView, ...], pricing: Pricing) -> EffectInput:
    from regulars.domain.promotions.walk import _input as build
    return build(lines, pricing)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), effect=effects, lines=baskets())
def test_every_effect_is_monotone_in_what_is_left_to_pay(data: st.DataObject, effect: Effect,
                                                         lines: tuple[LineView, ...]) -> None:
    pricing = pricing_for(lines, data.draw)
    less = tuple(LineView(sku=ln.sku, category=ln.category, quantity_milli=ln.quantity_milli,
                          unit_price_minor=ln.unit_price_minor,
                          amount_minor=data.draw(st.integers(0, ln.amount_minor)))
                 for ln in lines)
    full = apply_effect(effect, _input(lines, pricing))
    reduced = apply_effect(effect, _input(less, pricing))
    assert sum(reduced.discount_minor) <= sum(full.discount_minor)
    assert reduced.points <= full.points
    assert len(reduced.coupon_series_ids) <= len(full.coupon_series_ids)
    assert reduced.cashback_minor <= full.cashback_minor
    if not isinstance(effect, Cashback):
        assert full.cashback_minor == 0
    if not isinstance(effect, GIVES_POINTS):
        assert full.points == 0 and reduced.points == 0


def test_every_registered_effect_is_generated_above() -> None:
    drawn = {PercentDiscount, FixedDiscount, SetPrice, BonusPoints, PointsPercent,
             PointsMultiplier, CheapestFree, VolumeSteps, GiftWithPurchase, IssueCoupon,
             Cashback}
    assert drawn == {cls for cls, _ in STRATEGIES.values()}


# The walk as it was written before its shortcuts: every promotion measured on the till's
# basket first, every outcome computed afresh.

Outcome = tuple[tuple[int, ...], int, tuple[object, ...], tuple[int, ...], int]


def _run(promotion: Promotion, lines: tuple[LineView, ...], pricing: Pricing) -> Outcome:
    discounts = [0] * len(lines)
    points = cashback = 0
    notes: list[object] = []
    coupons: list[int] = []
    for effect in promotion.effects:
        result = apply_effect(effect, _input(lines, pricing))
        points += result.points if pricing.may_earn else 0
        if pricing.has_member:
            coupons.extend(result.coupon_series_ids)
            cashback += result.cashback_minor
            notes.extend(result.notes)
        else:
            notes.extend(n for n in result.notes
                         if n.code not in ("promotion_coupon", "promotion_cashback"))
        discounts = [d + r for d, r in zip(discounts, result.discount_minor, strict=True)]
        lines = _less(lines, result.discount_minor)
    return tuple(discounts), points, tuple(notes), tuple(coupons), cashback


def _less(lines: tuple[LineView, ...], discounts: tuple[int, ...]) -> tuple[LineView, ...]:
    return tuple(LineView(sku=ln.sku, category=ln.category, quantity_milli=ln.quantity_milli,
                          unit_price_minor=ln.unit_price_minor,
                          amount_minor=ln.amount_minor - d)
                 for ln, d in zip(lines, discounts, strict=True))


def reference(offers: Offers, lines: tuple[LineView, ...], pricing: Pricing) -> Choice:
    allowances = {c.promotion.id: c.allowance for c in offers.candidates}
    ordered = sorted((c.promotion for c in offers.candidates if c.condition_met),
                     key=lambda p: (-p.priority, p.id))
    pools = {False: offers.pool_minor, True: offers.targeted_pool_minor}

    def gives(o: Outcome) -> bool:
        return bool(sum(o[0]) or o[1] or o[3] or o[4])

    def cost(o: Outcome) -> int:
        return sum(o[0]) + o[4] + o[1] * pricing.point_value_minor

    def refusal(p: Promotion, o: Outcome, left: int | None) -> str | None:
        why = allowances[p.id].refusal(discount_minor=sum(o[0]) + o[4], points=o[1],
                                       issues_coupon=bool(o[3]))
        if why is None and left is not None and cost(o) > left:
            why = "bucket"
        return why

    first = {p.id: _run(p, lines, pricing) for p in ordered}
    applying = [p for p in ordered if gives(first[p.id])]
    fit = {p.id: refusal(p, first[p.id], pools[p.targeted]) for p in applying}
    skipped = [Skipped(promotion=p, reason=r) for p in applying
               if p.stacking is Stacking.BEST_OF and (r := fit[p.id]) is not None]
    best = [p for p in applying if p.stacking is Stacking.BEST_OF and not fit[p.id]]
    winner = max(best, key=lambda p: cost(first[p.id]), default=None)
    applied: list[Applied] = []
    for p in [p for p in applying if p.stacking is not Stacking.BEST_OF or p is winner]:
        if p.stacking is Stacking.EXCLUSIVE and applied:
            continue
        o = _run(p, lines, pricing)
        if not gives(o):
            continue
        pool = pools[p.targeted]
        reason = refusal(p, o, pool)
        if reason is not None:
            skipped.append(Skipped(promotion=p, reason=reason))
            continue
        limited = allowances[p.id].points is not None or pool is not None
        if pool is not None:
            pools[p.targeted] = pool - cost(o)
        applied.append(Applied(promotion=p, discount_minor=o[0],
                               points_cap=o[1] if limited else None,
                               notes=o[2],  # type: ignore[arg-type]
                               coupon_series_ids=o[3], cashback_minor=o[4]))
        lines = _less(lines, o[0])
        if p.stacking is Stacking.EXCLUSIVE:
            break
    return Choice(applied=tuple(applied), skipped=tuple(skipped))


allowances = st.one_of(st.just(UNLIMITED), st.builds(
    Allowance, discount_minor=st.one_of(st.none(), st.integers(0, 3_000)),
    points=st.one_of(st.none(), st.integers(0, 300))))


@st.composite
def candidates(draw: st.DrawFn, pid: int) -> Candidate:
    stacking = draw(st.sampled_from(list(Stacking)))
    promotion = Promotion(id=pid, version=1, name=f"P{pid}",
                          effects=tuple(draw(st.lists(effects, min_size=1, max_size=3))),
                          stacking=stacking, priority=draw(st.integers(0, 2)),
                          segment_id=draw(st.sampled_from((None, None, 7))))
    return Candidate(promotion=promotion, condition_met=draw(st.booleans()),
                     allowance=draw(allowances))


@settings(max_examples=400, deadline=None)
@given(data=st.data(), lines=baskets())
def test_the_walk_chooses_what_measuring_everything_first_chooses(
        data: st.DataObject, lines: tuple[LineView, ...]) -> None:
    n = data.draw(st.integers(1, 5))
    offers = Offers(candidates=tuple(data.draw(candidates(pid)) for pid in range(1, n + 1)),
                    store_id=1, local_now=NOON,
                    pool_minor=data.draw(st.one_of(st.none(), st.integers(0, 5_000))),
                    targeted_pool_minor=data.draw(st.one_of(st.none(), st.integers(0, 5_000))))
    pricing = pricing_for(lines, data.draw)
    assert choose_explained(offers, lines, pricing) == reference(offers, lines, pricing)


@given(data=st.data(), lines=baskets(), chosen=st.lists(effects, min_size=1, max_size=4))
def test_points_of_runs_only_effects_that_give_points(
        data: st.DataObject, lines: tuple[LineView, ...], chosen: list[Effect]) -> None:
    pricing = pricing_for(lines, data.draw)
    promotion = Promotion(id=1, version=1, name="P", effects=tuple(chosen))
    inp = _input(lines, pricing)
    assert points_of(promotion, inp) == sum(apply_effect(e, inp).points for e in chosen)


@given(data=st.data(), lines=baskets(), chosen=st.lists(effects, min_size=1, max_size=4))
def test_a_promotion_without_points_effects_settles_no_points(
        data: st.DataObject, lines: tuple[LineView, ...], chosen: list[Effect]) -> None:
    """The engine settles points only for promotions with an effect that can give them."""
    promotion = Promotion(id=1, version=1, name="P", effects=tuple(chosen))
    assert promotion.points_effects == tuple(e for e in chosen if isinstance(e, GIVES_POINTS))
    inp = _input(lines, pricing_for(lines, data.draw))
    if not promotion.points_effects:
        assert all(apply_effect(e, inp).points == 0 for e in chosen)


@given(data=st.data(), lines=baskets(), rate_bp=st.integers(1, 10_000))
def test_a_rate_off_every_line_is_a_rate_off_lines_that_all_match(
        data: st.DataObject, lines: tuple[LineView, ...], rate_bp: int) -> None:
    inp = _input(lines, pricing_for(lines, data.draw))
    every = apply_effect(PercentDiscount(rate_bp=rate_bp), inp)
    listed = apply_effect(PercentDiscount(rate_bp=rate_bp, skus=frozenset(SKUS)), inp)
    assert every == listed
