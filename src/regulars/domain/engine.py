"""Evaluate a basket under a program: discounts, points to spend, points to earn, and why.

:func:`evaluate` is pure: it reads only its arguments and returns a :class:`Quote`. The same
function prices a quote and a commit, so what the till was told is what gets posted. Its
inputs and the quote it returns are in :mod:`regulars.domain.quote`.

Order of operations (each step works on what the previous one left):

1. line amount = unit price × quantity, less the till's own line discount;
1a. promotions (``offers``): chosen and applied as :mod:`regulars.domain.promotion_walk` says,
   their discounts taken off what the till left;
1b. coupons (``coupons``), in the order given: each series' effect on what promotions left;
2. program discount (``discount`` earn mode) at the level's rate, on lines not excluded from
   earning;
3. points spent, as money, over lines that may be paid with points, capped by the share of the
   bill payable with points and by the spendable balance;
4. points earned (``points`` earn mode) on what is left to pay, excluding categories, rounded
   per receipt or per line by the program's policy; then each applied promotion's points
   on the same basis, spread over the lines by their earn basis so that a refund of a line
   takes back its share; then each coupon's points the same way.
"""

from __future__ import annotations

from regulars.domain.coupons import CouponOffer
from regulars.domain.money import BASIS_POINTS, Rounding, allocate, apply_rate, divide
from regulars.domain.program import EarnMode, Program, RoundingScope
from regulars.domain.promotion_walk import Applied, Pricing, Skipped, choose_explained, points_of
from regulars.domain.promotions import EffectInput, LineView, Offers, apply_effect
from regulars.domain.quote import (
    AppliedCoupon,
    AppliedPromotion,
    BasketLine,
    Explanation,
    MemberContext,
    Quote,
    QuoteLine,
)


def max_spendable(program: Program, redeemable_minor: tuple[int, ...], spendable: int) -> int:
    """Most points the member may spend on lines whose remaining amounts are given."""
    if spendable < max(program.redeem_min_balance_points, 1):
        return 0
    share_minor = apply_rate(sum(redeemable_minor), program.redeem_share_max_bp, Rounding.FLOOR)
    by_share = share_minor // program.point_value_minor
    by_lines = sum(r // program.point_value_minor for r in redeemable_minor)
    return max(0, min(spendable, by_share, by_lines))


def evaluate(
    program: Program,
    basket: tuple[BasketLine, ...],
    member: MemberContext | None,
    *,
    points_to_spend: int = 0,
    offers: Offers | None = None,
    coupons: tuple[CouponOffer, ...] = (),
) -> Quote:
    """Price ``basket`` for ``member`` (``None`` for an anonymous receipt), with the
    promotions in ``offers`` (none when not given) and the accepted ``coupons``.

    Raises ``ValueError`` for an empty basket or negative points. Never raises for a spend
    above the limit: the caller compares ``points_to_spend`` with ``max_spendable_points`` and
    refuses, so a quote can still explain the limit.
    """
    if not basket:
        raise ValueError("the basket has no lines")
    if points_to_spend < 0:
        raise ValueError("points to spend must not be negative")
    why: list[Explanation] = []
    level = member.level.level if member else None
    rate_bp = level.rate_bp if level else 0

    gross = [line.gross_minor for line in basket]
    net = [g - line.discount_minor for g, line in zip(gross, basket, strict=True)]
    earnable = [line.category not in program.earn_excluded_categories for line in basket]
    may_earn = (member is not None and member.may_earn
                and program.earn_mode is EarnMode.POINTS and rate_bp > 0)

    # 1a. Promotions.
    applied: tuple[Applied, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    pricing = Pricing(point_value_minor=program.point_value_minor, rounding=program.rounding,
                      per_line=program.rounding_scope is RoundingScope.LINE,
                      base_rate_bp=rate_bp if may_earn else 0,
                      may_earn=member is not None and member.may_earn,
                      earnable=tuple(earnable), has_member=member is not None)
    if offers is not None and offers.candidates:
        views = tuple([LineView(sku=line.sku, category=line.category,
                                quantity_milli=line.quantity_milli,
                                unit_price_minor=line.unit_price_minor, amount_minor=n)
                       for line, n in zip(basket, net, strict=True)])
        choice = choose_explained(offers, views, pricing)
        applied, skipped = choice.applied, choice.skipped
    promo_discount = ([sum(column) for column in zip(*[a.discount_minor for a in applied],
                                                      strict=True)]
                      if applied else [0] * len(basket))
    for a in applied:
        off = sum(a.discount_minor)
        if off:
            why.append(Explanation(code="promotion_discount", params=(
                *_named(a), ("discount_minor", off))))
        if a.notes:
            why.extend([Explanation(code=n.code, params=(*_named(a), *n.params))
                        for n in a.notes])
    why.extend(Explanation(code=f"promotion_skipped_{s.reason}", params=(
        ("promotion", s.promotion.name), ("promotion_id", s.promotion.id),
        ("version", s.promotion.version))) for s in skipped)
    net = [n - d for n, d in zip(net, promo_discount, strict=True)]

    # 1b. Coupons.
    coupon_discounts: list[tuple[int, ...]] = []
    for coupon in coupons:
        result = apply_effect(coupon.series.effect, _effect_input(
            basket, net, earnable, base_points=0, program=program, per_line=pricing.per_line))
        coupon_discounts.append(result.discount_minor)
        net = [n - d for n, d in zip(net, result.discount_minor, strict=True)]
        if sum(result.discount_minor):
            why.append(Explanation(code="coupon_discount", params=(
                ("series", coupon.series.name), ("series_id", coupon.series.id),
                ("discount_minor", sum(result.discount_minor)))))
    coupon_discount = [sum(d[i] for d in coupon_discounts) for i in range(len(basket))]

    # 2. Program discount.
    program_discount = [0] * len(basket)
    if program.earn_mode is EarnMode.DISCOUNT and level is not None and rate_bp > 0:
        if program.rounding_scope is RoundingScope.LINE:
            program_discount = [
                apply_rate(n, rate_bp, program.rounding) if ok else 0
                for n, ok in zip(net, earnable, strict=True)
            ]
        else:
            base = [n if ok else 0 for n, ok in zip(net, earnable, strict=True)]
            total = apply_rate(sum(base), rate_bp, program.rounding)
            program_discount = allocate(total, base)
        if sum(program_discount):
            why.append(Explanation(code="program_discount", params=(
                ("level", level.name), ("rate_bp", rate_bp),
                ("basis_minor", sum(n for n, ok in zip(net, earnable, strict=True) if ok)),
                ("discount_minor", sum(program_discount)))))
    after_discount = [n - d for n, d in zip(net, program_discount, strict=True)]

    # 3. Points spent.
    redeemable = tuple(
        a if line.category not in program.redeem_excluded_categories else 0
        for a, line in zip(after_discount, basket, strict=True)
    )
    spendable = member.spendable_points if member else 0
    limit = max_spendable(program, redeemable, spendable) if member else 0
    if member is not None:
        why.append(Explanation(code="spend_limit", params=(
            ("max_points", limit), ("spendable_points", spendable),
            ("share_bp", program.redeem_share_max_bp),
            ("point_value_minor", program.point_value_minor),
            ("min_balance_points", program.redeem_min_balance_points))))
    spend = min(points_to_spend, limit)
    capacities = [r // program.point_value_minor for r in redeemable]
    points_per_line = allocate(spend, capacities) if spend else [0] * len(basket)
    points_money = [p * program.point_value_minor for p in points_per_line]
    if spend:
        why.append(Explanation(code="points_spent", params=(
            ("points", spend), ("money_minor", spend * program.point_value_minor))))
    paid = [a - m for a, m in zip(after_discount, points_money, strict=True)]

    # 4. Points earned.
    basis = [p if ok else 0 for p, ok in zip(paid, earnable, strict=True)]
    earned = [0] * len(basket)
    if may_earn:
        denominator = BASIS_POINTS * program.point_value_minor
        if program.rounding_scope is RoundingScope.LINE:
            earned = [divide(b * rate_bp, denominator, program.rounding) for b in basis]
        else:
            earned = allocate(divide(sum(basis) * rate_bp, denominator, program.rounding), basis)
        assert level is not None
        why.append(Explanation(code="points_earned", params=(
            ("points", sum(earned)), ("level", level.name), ("rate_bp", rate_bp),
            ("basis_minor", sum(basis)), ("point_value_minor", program.point_value_minor),
            ("rounding", program.rounding.value), ("scope", program.rounding_scope.value))))
        excluded = sorted({line.category for line, ok in zip(basket, earnable, strict=True)
                           if not ok})
        if excluded:
            why.append(Explanation(code="earn_excluded", params=(
                ("categories", ", ".join(excluded)),)))
        if spend:
            why.append(Explanation(code="earn_after_points", params=()))
    elif member is not None and not member.may_earn:
        why.append(Explanation(code="no_earn_consent", params=()))
    elif member is None:
        why.append(Explanation(code="anonymous", params=()))
    promo_points = [0] * len(basket)
    points_by_promotion: dict[int, tuple[int, ...]] = {}
    coupon_points: list[int] = [0] * len(coupons)
    coupon_line_points = [0] * len(basket)
    if coupons and pricing.may_earn:
        final_input = _effect_input(basket, paid, earnable, base_points=sum(earned),
                                    program=program, per_line=pricing.per_line)
        for index, coupon in enumerate(coupons):
            points = apply_effect(coupon.series.effect, final_input).points
            coupon_points[index] = points
            if points:
                spread = allocate(points, basis)
                coupon_line_points = [t + s for t, s in
                                      zip(coupon_line_points, spread, strict=True)]
                why.append(Explanation(code="coupon_points", params=(
                    ("series", coupon.series.name), ("series_id", coupon.series.id),
                    ("points", points))))
    if applied and pricing.may_earn:
        final: EffectInput | None = None  # built for the first promotion that can give points
        for a in applied:
            if not a.promotion.points_effects:
                continue  # no points to settle: its points by line stay zero
            if final is None:
                final = EffectInput(
                    lines=tuple([LineView(sku=line.sku, category=line.category,
                                          quantity_milli=line.quantity_milli,
                                          unit_price_minor=line.unit_price_minor,
                                          amount_minor=p)
                                 for line, p in zip(basket, paid, strict=True)]),
                    earn_basis_minor=tuple(basis), base_points=sum(earned),
                    point_value_minor=program.point_value_minor, rounding=program.rounding,
                    per_line=pricing.per_line)
            points = points_of(a.promotion, final)
            if a.points_cap is not None:
                points = min(points, a.points_cap)
            spread = allocate(points, basis) if points else [0] * len(basket)
            points_by_promotion[a.promotion.id] = tuple(spread)
            if points:
                promo_points = [t + s for t, s in zip(promo_points, spread, strict=True)]
                why.append(Explanation(code="promotion_points", params=(
                    *_named(a), ("points", points))))

    if member is not None:
        status = member.level
        if status.next_level is not None and status.to_next_minor is not None:
            why.append(Explanation(code="level_progress", params=(
                ("level", status.level.name), ("next_level", status.next_level.name),
                ("to_next_minor", status.to_next_minor),
                ("next_rate_bp", status.next_level.rate_bp))))
        else:
            why.append(Explanation(code="level_top", params=(("level", status.level.name),)))

    no_points = (0,) * len(basket)
    lines = tuple(
        QuoteLine(
            line_no=i + 1, sku=line.sku, category=line.category,
            quantity_milli=line.quantity_milli, gross_minor=gross[i],
            till_discount_minor=line.discount_minor,
            program_discount_minor=program_discount[i], points_spent=points_per_line[i],
            points_discount_minor=points_money[i], paid_minor=paid[i],
            earn_basis_minor=basis[i],
            points_earned=earned[i] + promo_points[i] + coupon_line_points[i],
            promotion_discount_minor=promo_discount[i], promotion_points=promo_points[i],
            coupon_discount_minor=coupon_discount[i],
        )
        for i, line in enumerate(basket)
    )
    return Quote(
        lines=lines,
        gross_minor=sum(gross),
        discount_minor=(sum(line.discount_minor for line in basket) + sum(program_discount)
                        + sum(promo_discount) + sum(coupon_discount)),
        points_spent=spend,
        points_discount_minor=sum(points_money),
        paid_minor=sum(paid),
        earn_basis_minor=sum(basis),
        points_earned=sum(earned) + sum(promo_points) + sum(coupon_line_points),
        max_spendable_points=limit,
        rate_bp=rate_bp,
        level_code=level.code if level else None,
        explanations=tuple(why),
        promotions=tuple([
            AppliedPromotion(
                id=a.promotion.id, version=a.promotion.version, name=a.promotion.name,
                discount_minor=sum(a.discount_minor), points=sum(spread),
                discount_by_line=a.discount_minor, points_by_line=spread,
                coupon_series_ids=a.coupon_series_ids)
            for a in applied
            for spread in (points_by_promotion.get(a.promotion.id, no_points),)]),
        coupons=tuple(
            AppliedCoupon(code_id=c.code_id, series_id=c.series.id, name=c.series.name,
                          discount_minor=sum(d), points=p)
            for c, d, p in zip(coupons, coupon_discounts, coupon_points, strict=True)),
    )


def _effect_input(basket: tuple[BasketLine, ...], amounts: list[int], earnable: list[bool], *,
                  base_points: int, program: Program, per_line: bool) -> EffectInput:
    return EffectInput(
        lines=tuple(LineView(sku=line.sku, category=line.category,
                             quantity_milli=line.quantity_milli,
                             unit_price_minor=line.unit_price_minor, amount_minor=a)
                    for line, a in zip(basket, amounts, strict=True)),
        earn_basis_minor=tuple(a if ok else 0 for a, ok in zip(amounts, earnable, strict=True)),
        base_points=base_points, point_value_minor=program.point_value_minor,
        rounding=program.rounding, per_line=per_line)


def _named(applied: Applied) -> tuple[tuple[str, int | str], ...]:
    return (("promotion", applied.promotion.name), ("promotion_id", applied.promotion.id),
            ("version", applied.promotion.version))
