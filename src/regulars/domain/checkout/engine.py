"""Evaluate a basket under a program: discounts, points to spend, points to earn, and why.

:func:`evaluate` is pure: it reads only its arguments and returns a :class:`Quote`. The same
function prices a quote and a commit, so what the till was told is what gets posted. Its
inputs and the quote it returns are in :mod:`regulars.domain.checkout.quote`.

Order of operations (each step works on what the previous one left; each is a function of
its own that returns its amounts per line, in basket order, and its explanations):

1. line amount = unit price × quantity, less the till's own line discount;
1a. promotions (``offers``), :func:`promotion_step`: chosen and applied as
   :mod:`regulars.domain.promotions.walk` says, their discounts taken off what the till left;
1b. coupons (``coupons``), :func:`coupon_step`, in the order given: each series' effect on
   what promotions left;
2. program discount (``discount`` earn mode), :func:`program_discount_step`, at the level's
   rate, on lines not excluded from earning;
2a. a catalogue reward (``reward``), :func:`reward_step`: what it takes off the lines, paid
   with its points (spread over the lines it discounts, so a refund of a line returns them);
3. points spent, :func:`spend_step`, as money, over lines that may be paid with points, capped
   by the share of the bill payable with points and by the spendable balance;
4. points earned, :func:`earn_step`, (``points`` earn mode) on what is left to pay, excluding
   categories, rounded per receipt or per line by the program's policy; then each applied
   promotion's points on the same basis, spread over the lines by their earn basis so that a
   refund of a line takes back its share; then each coupon's points the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from regulars.domain.checkout.quote import (
    AppliedCoupon,
    AppliedPromotion,
    AppliedReward,
    BasketLine,
    Explanation,
    MemberContext,
    Quote,
    QuoteLine,
    RewardUse,
)
from regulars.domain.money import BASIS_POINTS, Rounding, allocate, apply_rate, divide
from regulars.domain.program.program import EarnMode, Level, Program, RoundingScope
from regulars.domain.promotions.coupons import CouponOffer
from regulars.domain.promotions.promotions import EffectInput, LineView, Offers, apply_effect
from regulars.domain.promotions.walk import Applied, Pricing, Skipped, choose_explained, points_of
from regulars.domain.rewards.catalog import LineFacts, discount_by_line

Why = tuple[Explanation, ...]


def max_spendable(program: Program, redeemable_minor: tuple[int, ...], spendable: int) -> int:
    """Most points the member may spend on lines whose remaining amounts are given."""
    if spendable < max(program.redeem_min_balance_points, 1):
        return 0
    share_minor = apply_rate(sum(redeemable_minor), program.redeem_share_max_bp, Rounding.FLOOR)
    by_share = share_minor // program.point_value_minor
    by_lines = sum([r // program.point_value_minor for r in redeemable_minor])
    return max(0, min(spendable, by_share, by_lines))


# The step results are named tuples rather than frozen dataclasses: they are built five times
# per quote, and a frozen dataclass's __init__ costs several times as much.


class PromotionStep(NamedTuple):
    """Step 1a: the promotions that applied and those a limit left out; ``discount_minor``
    is their discount per line, summed over the promotions."""

    applied: tuple[Applied, ...]
    discount_minor: tuple[int, ...]
    why: Why


class CouponStep(NamedTuple):
    """Step 1b: ``discount_minor`` per line summed over the coupons; ``by_coupon`` the
    discount per line of each coupon, in the order given."""

    discount_minor: tuple[int, ...]
    by_coupon: tuple[tuple[int, ...], ...]
    why: Why


class ProgramDiscountStep(NamedTuple):
    """Step 2: the program's discount per line (zeros outside the ``discount`` earn mode)."""

    discount_minor: tuple[int, ...]
    why: Why


class RewardStep(NamedTuple):
    """Step 2a: a catalogue reward's discount and points per line (zeros without one)."""

    discount_minor: tuple[int, ...]
    points: tuple[int, ...]
    why: Why


class SpendStep(NamedTuple):
    """Step 3: points spent per line and their money value; ``limit`` is the most the member
    may spend on this basket, ``points`` what is spent (the request, capped by the limit)."""

    limit: int
    points: int
    points_by_line: tuple[int, ...]
    money_minor: tuple[int, ...]
    why: Why


class EarnStep(NamedTuple):
    """Step 4: the earn basis per line and the points it earns per line, from the program,
    from the applied promotions (each promotion's own spread in ``by_promotion``, keyed by
    promotion id) and from the coupons (each coupon's total in ``by_coupon``)."""

    basis_minor: tuple[int, ...]
    program_points: tuple[int, ...]
    promotion_points: tuple[int, ...]
    by_promotion: dict[int, tuple[int, ...]]
    coupon_points: tuple[int, ...]
    by_coupon: tuple[int, ...]
    why: Why


def evaluate(
    program: Program,
    basket: tuple[BasketLine, ...],
    member: MemberContext | None,
    *,
    points_to_spend: int = 0,
    offers: Offers | None = None,
    coupons: tuple[CouponOffer, ...] = (),
    reward: RewardUse | None = None,
) -> Quote:
    """Price ``basket`` for ``member`` (``None`` for an anonymous receipt), with the
    promotions in ``offers`` (none when not given), the accepted ``coupons`` and the
    catalogue ``reward`` (its points are not spendable for ``points_to_spend``).

    Raises ``ValueError`` for an empty basket or negative points. Never raises for a spend
    above the limit: the caller compares ``points_to_spend`` with ``max_spendable_points`` and
    refuses, so a quote can still explain the limit.
    """
    if not basket:
        raise ValueError("the basket has no lines")
    if points_to_spend < 0:
        raise ValueError("points to spend must not be negative")
    level = member.level.level if member else None
    rate_bp = level.rate_bp if level else 0
    earnable = tuple([line.category not in program.earn_excluded_categories for line in basket])
    may_earn = (member is not None and member.may_earn
                and program.earn_mode is EarnMode.POINTS and rate_bp > 0)
    pricing = Pricing(point_value_minor=program.point_value_minor, rounding=program.rounding,
                      per_line=program.rounding_scope is RoundingScope.LINE,
                      base_rate_bp=rate_bp if may_earn else 0,
                      may_earn=member is not None and member.may_earn,
                      earnable=earnable, has_member=member is not None)

    net = [line.gross_minor - line.discount_minor for line in basket]
    promotions = promotion_step(basket, net, offers, pricing)
    net = _less(net, promotions.discount_minor)
    coupon = coupon_step(program, basket, net, coupons, pricing)
    net = _less(net, coupon.discount_minor)
    program_discount = program_discount_step(program, level, net, earnable)
    left = _less(net, program_discount.discount_minor)
    rewarded = reward_step(basket, left, reward)
    left = _less(left, rewarded.discount_minor)
    if reward is not None and member is not None:
        member = MemberContext(level=member.level, may_earn=member.may_earn,
                               spendable_points=max(0, member.spendable_points - reward.points))
    spend = spend_step(program, basket, left, member, points_to_spend)
    paid = _less(left, spend.money_minor)
    earn = earn_step(program, basket, paid, member, promotions.applied, coupons,
                     pricing=pricing, spent=spend.points)
    why = (*promotions.why, *coupon.why, *program_discount.why, *rewarded.why, *spend.why,
           *earn.why, *_level_why(member, paid))
    quote = _quote(basket, coupons, paid=paid, level=level, promotions=promotions,
                   coupon=coupon, program_discount=program_discount, spend=spend, earn=earn,
                   why=why)
    return _with_reward(quote, reward, rewarded) if reward is not None else quote


def nothing_priced(member: MemberContext | None) -> Quote:
    """The quote of a receipt with no lines (one that only sells gift cards or prepaid
    goods, paid apart from the lines): nothing to pay, spend or earn."""
    level = member.level.level if member else None
    return Quote(lines=(), gross_minor=0, discount_minor=0, points_spent=0,
                 points_discount_minor=0, paid_minor=0, earn_basis_minor=0, points_earned=0,
                 max_spendable_points=0, rate_bp=level.rate_bp if level else 0,
                 level_code=level.code if level else None, explanations=())


def promotion_step(basket: tuple[BasketLine, ...], net_minor: Sequence[int],
                   offers: Offers | None, pricing: Pricing) -> PromotionStep:
    """Step 1a: choose and apply the promotions in ``offers`` to the amounts the till left
    (``net_minor``); nothing applies when ``offers`` is ``None`` or has no candidates."""
    if offers is None or not offers.candidates:
        return PromotionStep(applied=(), discount_minor=(0,) * len(basket), why=())
    views = tuple([LineView(sku=line.sku, category=line.category,
                            quantity_milli=line.quantity_milli,
                            unit_price_minor=line.unit_price_minor, amount_minor=n)
                   for line, n in zip(basket, net_minor, strict=True)])
    choice = choose_explained(offers, views, pricing)
    applied = choice.applied
    discount = (tuple([sum(column) for column in zip(*[a.discount_minor for a in applied],
                                                     strict=True)])
                if applied else (0,) * len(basket))
    why: list[Explanation] = []
    for a in applied:
        off = sum(a.discount_minor)
        if off:
            why.append(Explanation(code="promotion_discount", params=(
                *_named(a), ("discount_minor", off))))
        why.extend([Explanation(code=n.code, params=(*_named(a), *n.params)) for n in a.notes])
    why.extend([_skipped(s) for s in choice.skipped])
    return PromotionStep(applied=applied, discount_minor=discount, why=tuple(why))


def coupon_step(program: Program, basket: tuple[BasketLine, ...], net_minor: Sequence[int],
                coupons: tuple[CouponOffer, ...], pricing: Pricing) -> CouponStep:
    """Step 1b: each coupon's effect, in the order given, on what the one before it left
    (starting from ``net_minor``, what promotions left)."""
    if not coupons:
        return CouponStep(discount_minor=(0,) * len(basket), by_coupon=(), why=())
    net = list(net_minor)
    by_coupon: list[tuple[int, ...]] = []
    why: list[Explanation] = []
    for coupon in coupons:
        result = apply_effect(coupon.series.effect, _effect_input(
            basket, net, pricing.earnable, base_points=0, program=program,
            per_line=pricing.per_line))
        by_coupon.append(result.discount_minor)
        net = _less(net, result.discount_minor)
        if sum(result.discount_minor):
            why.append(Explanation(code="coupon_discount", params=(
                ("series", coupon.series.name), ("series_id", coupon.series.id),
                ("discount_minor", sum(result.discount_minor)))))
    discount = tuple([sum(d[i] for d in by_coupon) for i in range(len(basket))])
    return CouponStep(discount_minor=discount, by_coupon=tuple(by_coupon), why=tuple(why))


def program_discount_step(program: Program, level: Level | None, net_minor: Sequence[int],
                          earnable: Sequence[bool]) -> ProgramDiscountStep:
    """Step 2: in the ``discount`` earn mode, the level's rate off the earnable lines of
    ``net_minor``, rounded per line or per receipt (then allocated over the lines)."""
    rate_bp = level.rate_bp if level else 0
    if program.earn_mode is not EarnMode.DISCOUNT or level is None or rate_bp <= 0:
        return ProgramDiscountStep(discount_minor=(0,) * len(net_minor), why=())
    base = [n if ok else 0 for n, ok in zip(net_minor, earnable, strict=True)]
    if program.rounding_scope is RoundingScope.LINE:
        discount = tuple([apply_rate(b, rate_bp, program.rounding) if ok else 0
                          for b, ok in zip(base, earnable, strict=True)])
    else:
        discount = tuple(allocate(apply_rate(sum(base), rate_bp, program.rounding), base))
    if not sum(discount):
        return ProgramDiscountStep(discount_minor=discount, why=())
    return ProgramDiscountStep(discount_minor=discount, why=(Explanation(
        code="program_discount", params=(
            ("level", level.name), ("rate_bp", rate_bp), ("basis_minor", sum(base)),
            ("discount_minor", sum(discount)))),))


def reward_step(basket: tuple[BasketLine, ...], left_minor: Sequence[int],
                reward: RewardUse | None) -> RewardStep:
    """Step 2a: what ``reward`` takes off what is left on each line, and its points spread
    over the lines it discounts (over every line by what is left, for a perk)."""
    zeros = (0,) * len(basket)
    if reward is None:
        return RewardStep(discount_minor=zeros, points=zeros, why=())
    discount = discount_by_line(reward.terms, [
        LineFacts(line.sku, line.category, line.unit_price_minor, a)
        for line, a in zip(basket, left_minor, strict=True)])
    weights = list(discount) if sum(discount) else [max(a, 0) for a in left_minor]
    if not sum(weights):
        weights = [1] * len(basket)
    points = tuple(allocate(reward.points, weights))
    # A code claimed in advance costs nothing here: the sentence names what its claim cost.
    ahead = not reward.points and reward.claimed_points > 0
    return RewardStep(discount_minor=discount, points=points, why=(Explanation(
        code="reward_redeemed" if ahead else "reward_claimed", params=(
            ("reward", reward.title), ("reward_id", reward.id),
            ("points", reward.claimed_points if ahead else reward.points),
            ("discount_minor", sum(discount)))),))


def _with_reward(quote: Quote, reward: RewardUse, step: RewardStep) -> Quote:
    """``quote`` with the reward's points and discount counted as paid with points."""
    lines = tuple([replace(
        line, points_spent=line.points_spent + p,
        points_discount_minor=line.points_discount_minor + d, reward_points=p,
        reward_discount_minor=d) for line, p, d in zip(
        quote.lines, step.points, step.discount_minor, strict=True)])
    return replace(
        quote, lines=lines, points_spent=quote.points_spent + reward.points,
        points_discount_minor=quote.points_discount_minor + sum(step.discount_minor),
        reward=AppliedReward(id=reward.id, title=reward.title, points=reward.points,
                             discount_minor=sum(step.discount_minor),
                             points_by_line=step.points,
                             discount_by_line=step.discount_minor))


def spend_step(program: Program, basket: tuple[BasketLine, ...], left_minor: Sequence[int],
               member: MemberContext | None, points_to_spend: int) -> SpendStep:
    """Step 3: ``points_to_spend`` (capped by the member's limit on this basket) spread over
    the lines that may be paid with points, by what each line can take (``left_minor``),
    with the limit explained to a member who has points to spend."""
    if member is None:
        return SpendStep(limit=0, points=0, points_by_line=(0,) * len(basket),
                         money_minor=(0,) * len(basket), why=())
    redeemable = tuple([a if line.category not in program.redeem_excluded_categories else 0
                        for a, line in zip(left_minor, basket, strict=True)])
    spendable = member.spendable_points
    limit = max_spendable(program, redeemable, spendable)
    # A member with no points to spend is told nothing about spending ("up to 0 points").
    why = [Explanation(code="spend_limit", params=(
        ("max_points", limit), ("spendable_points", spendable),
        ("share_bp", program.redeem_share_max_bp),
        ("point_value_minor", program.point_value_minor),
        ("min_balance_points", program.redeem_min_balance_points)))] if spendable > 0 else []
    spend = min(points_to_spend, limit)
    if not spend:
        return SpendStep(limit=limit, points=0, points_by_line=(0,) * len(basket),
                         money_minor=(0,) * len(basket), why=tuple(why))
    capacities = [r // program.point_value_minor for r in redeemable]
    points_by_line = tuple(allocate(spend, capacities))
    why.append(Explanation(code="points_spent", params=(
        ("points", spend), ("money_minor", spend * program.point_value_minor))))
    return SpendStep(limit=limit, points=spend, points_by_line=points_by_line,
                     money_minor=tuple([p * program.point_value_minor for p in points_by_line]),
                     why=tuple(why))


def earn_step(program: Program, basket: tuple[BasketLine, ...], paid_minor: Sequence[int],
              member: MemberContext | None, applied: tuple[Applied, ...],
              coupons: tuple[CouponOffer, ...], *, pricing: Pricing, spent: int) -> EarnStep:
    """Step 4: points on what is left to pay (``paid_minor``): the program's by the member's
    rate, then each coupon's and each applied promotion's, spread by earn basis. A member
    who may not earn, or an anonymous receipt, earns nothing and is told why."""
    basis = tuple([p if ok else 0 for p, ok in zip(paid_minor, pricing.earnable, strict=True)])
    earned, why = _program_points(program, basket, basis, member, pricing=pricing, spent=spent)
    zeros = (0,) * len(basket)
    by_coupon: tuple[int, ...] = (0,) * len(coupons)
    coupon_points, promotion_points = zeros, zeros
    by_promotion: dict[int, tuple[int, ...]] = {}
    if pricing.may_earn and (coupons or applied):
        final = EffectInput(
            lines=tuple([LineView(sku=line.sku, category=line.category,
                                  quantity_milli=line.quantity_milli,
                                  unit_price_minor=line.unit_price_minor, amount_minor=p)
                         for line, p in zip(basket, paid_minor, strict=True)]),
            earn_basis_minor=basis, base_points=sum(earned),
            point_value_minor=program.point_value_minor, rounding=program.rounding,
            per_line=pricing.per_line)
        by_coupon, coupon_points, coupon_why = _coupon_points(coupons, final)
        by_promotion, promotion_points, promotion_why = _promotion_points(applied, final)
        why = (*why, *coupon_why, *promotion_why)
    return EarnStep(basis_minor=basis, program_points=earned, promotion_points=promotion_points,
                    by_promotion=by_promotion, coupon_points=coupon_points, by_coupon=by_coupon,
                    why=why)


def _program_points(program: Program, basket: tuple[BasketLine, ...], basis: tuple[int, ...],
                    member: MemberContext | None, *, pricing: Pricing, spent: int
                    ) -> tuple[tuple[int, ...], Why]:
    if member is None:
        return (0,) * len(basket), (Explanation(code="anonymous", params=()),)
    if not member.may_earn:
        return (0,) * len(basket), (Explanation(code="no_earn_consent", params=()),)
    rate_bp = pricing.base_rate_bp
    if not rate_bp:  # the discount earn mode, or a level without a rate
        return (0,) * len(basket), ()
    denominator = BASIS_POINTS * program.point_value_minor
    if pricing.per_line:
        earned = tuple([divide(b * rate_bp, denominator, program.rounding) for b in basis])
    else:
        earned = tuple(allocate(divide(sum(basis) * rate_bp, denominator, program.rounding),
                                basis))
    why = [Explanation(code="points_earned", params=(
        ("points", sum(earned)), ("level", member.level.level.name), ("rate_bp", rate_bp),
        ("basis_minor", sum(basis)), ("point_value_minor", program.point_value_minor),
        ("rounding", program.rounding.value), ("scope", program.rounding_scope.value)))]
    excluded = sorted({line.category for line, ok in zip(basket, pricing.earnable, strict=True)
                       if not ok})
    if excluded:
        why.append(Explanation(code="earn_excluded", params=(
            ("categories", ", ".join(excluded)),)))
    if spent:
        why.append(Explanation(code="earn_after_points", params=()))
    return earned, tuple(why)


def _coupon_points(coupons: tuple[CouponOffer, ...], final: EffectInput
                   ) -> tuple[tuple[int, ...], tuple[int, ...], Why]:
    """Each coupon's points (in the order given) and their sum spread by earn basis."""
    by_line = [0] * len(final.lines)
    totals: list[int] = []
    why: list[Explanation] = []
    for coupon in coupons:
        points = apply_effect(coupon.series.effect, final).points
        totals.append(points)
        if points:
            by_line = _plus(by_line, allocate(points, final.earn_basis_minor))
            why.append(Explanation(code="coupon_points", params=(
                ("series", coupon.series.name), ("series_id", coupon.series.id),
                ("points", points))))
    return tuple(totals), tuple(by_line), tuple(why)


def _promotion_points(applied: tuple[Applied, ...], final: EffectInput
                      ) -> tuple[dict[int, tuple[int, ...]], tuple[int, ...], Why]:
    """Each applied promotion's points (capped where a limit counted them) spread by earn
    basis, keyed by promotion id, and their sum per line."""
    by_line = [0] * len(final.lines)
    by_promotion: dict[int, tuple[int, ...]] = {}
    why: list[Explanation] = []
    for a in applied:
        if not a.promotion.points_effects:
            continue  # no points to settle: its points by line stay zero
        points = points_of(a.promotion, final)
        if a.points_cap is not None:
            points = min(points, a.points_cap)
        spread = allocate(points, final.earn_basis_minor) if points else [0] * len(by_line)
        by_promotion[a.promotion.id] = tuple(spread)
        if points:
            by_line = _plus(by_line, spread)
            why.append(Explanation(code="promotion_points", params=(
                *_named(a), ("points", points))))
    return by_promotion, tuple(by_line), tuple(why)


def _level_why(member: MemberContext | None, paid: list[int]) -> Why:
    """Where the member stands once this basket is paid: what is then left to the next level
    (what a receipt counts towards levels is what it pays), or that the basket reaches it."""
    if member is None:
        return ()
    status = member.level
    if status.next_level is not None and status.to_next_minor is not None:
        left = status.to_next_minor - sum(paid)
        code = "level_progress" if left > 0 else "level_reached"
        return (Explanation(code=code, params=(
            ("level", status.level.name), ("next_level", status.next_level.name),
            *((("to_next_minor", left),) if left > 0 else ()),
            ("next_rate_bp", status.next_level.rate_bp))),)
    return (Explanation(code="level_top", params=(("level", status.level.name),)),)


def _quote(basket: tuple[BasketLine, ...], coupons: tuple[CouponOffer, ...], *,
           paid: list[int], level: Level | None, promotions: PromotionStep,
           coupon: CouponStep, program_discount: ProgramDiscountStep, spend: SpendStep,
           earn: EarnStep, why: Why) -> Quote:
    """Assemble the quote from the steps' amounts per line."""
    earned = [p + q + c for p, q, c in zip(earn.program_points, earn.promotion_points,
                                           earn.coupon_points, strict=True)]
    lines = tuple([
        QuoteLine(
            line_no=i, sku=line.sku, category=line.category,
            quantity_milli=line.quantity_milli, gross_minor=line.gross_minor,
            till_discount_minor=line.discount_minor, program_discount_minor=program_d,
            points_spent=spent, points_discount_minor=spent_minor, paid_minor=paid_minor,
            earn_basis_minor=basis_minor, points_earned=points, promotion_discount_minor=promo_d,
            promotion_points=promo_points, coupon_discount_minor=coupon_d,
        )
        for i, (line, program_d, spent, spent_minor, paid_minor, basis_minor, points, promo_d,
                promo_points, coupon_d) in enumerate(zip(
            basket, program_discount.discount_minor, spend.points_by_line, spend.money_minor,
            paid, earn.basis_minor, earned, promotions.discount_minor, earn.promotion_points,
            coupon.discount_minor, strict=True), start=1)
    ])
    no_points = (0,) * len(basket)
    return Quote(
        lines=lines,
        gross_minor=sum([line.gross_minor for line in basket]),
        discount_minor=(sum([line.discount_minor for line in basket])
                        + sum(program_discount.discount_minor)
                        + sum(promotions.discount_minor) + sum(coupon.discount_minor)),
        points_spent=spend.points,
        points_discount_minor=sum(spend.money_minor),
        paid_minor=sum(paid),
        earn_basis_minor=sum(earn.basis_minor),
        points_earned=sum(earned),
        max_spendable_points=spend.limit,
        rate_bp=level.rate_bp if level else 0,
        level_code=level.code if level else None,
        explanations=why,
        promotions=tuple([
            AppliedPromotion(
                id=a.promotion.id, version=a.promotion.version, name=a.promotion.name,
                discount_minor=sum(a.discount_minor), points=sum(spread),
                discount_by_line=a.discount_minor, points_by_line=spread,
                coupon_series_ids=a.coupon_series_ids, cashback_minor=a.cashback_minor)
            for a in promotions.applied
            for spread in (earn.by_promotion.get(a.promotion.id, no_points),)]),
        coupons=tuple([
            AppliedCoupon(code_id=c.code_id, series_id=c.series.id, name=c.series.name,
                          discount_minor=sum(d), points=p)
            for c, d, p in zip(coupons, coupon.by_coupon, earn.by_coupon, strict=True)]),
    )


def _less(amounts: Sequence[int], taken: Sequence[int]) -> list[int]:
    return [a - t for a, t in zip(amounts, taken, strict=True)]


def _plus(amounts: Sequence[int], added: Sequence[int]) -> list[int]:
    return [a + t for a, t in zip(amounts, added, strict=True)]


def _effect_input(basket: tuple[BasketLine, ...], amounts: Sequence[int],
                  earnable: Sequence[bool], *, base_points: int, program: Program,
                  per_line: bool) -> EffectInput:
    return EffectInput(
        lines=tuple(LineView(sku=line.sku, category=line.category,
                             quantity_milli=line.quantity_milli,
                             unit_price_minor=line.unit_price_minor, amount_minor=a)
                    for line, a in zip(basket, amounts, strict=True)),
        earn_basis_minor=tuple(a if ok else 0 for a, ok in zip(amounts, earnable, strict=True)),
        base_points=base_points, point_value_minor=program.point_value_minor,
        rounding=program.rounding, per_line=per_line)


def _skipped(skipped: Skipped) -> Explanation:
    return Explanation(code=f"promotion_skipped_{skipped.reason}", params=(
        ("promotion", skipped.promotion.name), ("promotion_id", skipped.promotion.id),
        ("version", skipped.promotion.version)))


def _named(applied: Applied) -> tuple[tuple[str, int | str], ...]:
    return (("promotion", applied.promotion.name), ("promotion_id", applied.promotion.id),
            ("version", applied.promotion.version))
