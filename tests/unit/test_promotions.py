"""Promotions in the pure engine: each effect, stacking, rounding, schedules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from regulars.domain.checkout.engine import evaluate
from regulars.domain.checkout.quote import BasketLine, MemberContext
from regulars.domain.money import Rounding
from regulars.domain.program.program import EarnMode, Level, LevelStatus, Program, RoundingScope
from regulars.domain.promotions.promotions import (
    BonusPoints,
    Candidate,
    CheapestFree,
    Effect,
    FixedDiscount,
    Offers,
    PercentDiscount,
    PointsMultiplier,
    PointsPercent,
    Promotion,
    Schedule,
    SetPrice,
    Stacking,
    VolumeStep,
    VolumeSteps,
)

PROGRAM = Program()  # 3 % back in points, 1 point = 1.00, floor per receipt
NOON = datetime(2026, 3, 2, 12, 0)  # a Monday, local time


def member(program: Program = PROGRAM) -> MemberContext:
    level = program.levels[0]
    return MemberContext(level=LevelStatus(level=level, window_spend_minor=0, next_level=None,
                                           to_next_minor=None), spendable_points=0)


def line(sku: str, price: int, qty: int = 1, category: str = "", milli: int | None = None
         ) -> BasketLine:
    return BasketLine(sku=sku, category=category, unit_price_minor=price,
                      quantity_milli=milli if milli is not None else qty * 1000)


def promo(*effects: Effect, pid: int = 1, stacking: Stacking = Stacking.STACKABLE,
          priority: int = 0, schedule: Schedule | None = None,
          stores: frozenset[int] | None = None) -> Promotion:
    return Promotion(id=pid, version=2, name=f"P{pid}", effects=effects, stacking=stacking,
                     priority=priority, schedule=schedule or Schedule(), store_ids=stores)


def offers(*promotions: Promotion, met: bool = True, when: datetime = NOON,
           store_id: int = 1) -> Offers:
    return Offers(candidates=tuple(Candidate(promotion=p, condition_met=met)
                                   for p in promotions), store_id=store_id, local_now=when)


BASKET = (line("coffee", 1000, category="drinks"), line("cake", 2550, 2, "food"),
          line("beans", 4000, category="goods"))


def test_no_offers_prices_as_before() -> None:
    plain = evaluate(PROGRAM, BASKET, member())
    assert evaluate(PROGRAM, BASKET, member(), offers=offers()) == plain
    assert plain.promotions == ()


def test_percent_discount_on_receipt_and_on_matching_lines() -> None:
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(promo(PercentDiscount(rate_bp=1000))))
    assert q.discount_minor == 1010  # 10 % of 101.00
    assert sum(ln.promotion_discount_minor for ln in q.lines) == 1010
    assert q.promotions[0].discount_minor == 1010
    food = promo(PercentDiscount(rate_bp=1000, categories=frozenset({"food"})))
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(food))
    assert [ln.promotion_discount_minor for ln in q.lines] == [0, 510, 0]
    sku = promo(PercentDiscount(rate_bp=5000, skus=frozenset({"beans"})))
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(sku))
    assert [ln.promotion_discount_minor for ln in q.lines] == [0, 0, 2000]


def test_percent_discount_rounds_by_the_program_policy() -> None:
    basket = (line("a", 333), line("b", 333))
    rate = PercentDiscount(rate_bp=1550)  # 15.5 % of 6.66 = 1.0323
    floor = evaluate(PROGRAM, basket, member(), offers=offers(promo(rate)))
    assert floor.discount_minor == 103
    ceiling = Program(rounding=Rounding.CEILING)
    assert evaluate(ceiling, basket, member(ceiling),
                    offers=offers(promo(rate))).discount_minor == 104
    per_line = Program(rounding=Rounding.CEILING, rounding_scope=RoundingScope.LINE)
    q = evaluate(per_line, basket, member(per_line), offers=offers(promo(rate)))
    assert [ln.promotion_discount_minor for ln in q.lines] == [52, 52]


def test_fixed_discount_sums_exactly_with_the_remainder_on_the_last_line() -> None:
    basket = (line("a", 1000), line("b", 1000), line("c", 1000))
    q = evaluate(PROGRAM, basket, member(), offers=offers(promo(FixedDiscount(amount_minor=100))))
    assert [ln.promotion_discount_minor for ln in q.lines] == [33, 33, 34]
    capped = evaluate(PROGRAM, basket, member(),
                      offers=offers(promo(FixedDiscount(amount_minor=10_000))))
    assert capped.paid_minor == 0 and capped.discount_minor == 3000


def test_set_price_and_cheapest_free() -> None:
    q = evaluate(PROGRAM, BASKET, member(),
                 offers=offers(promo(SetPrice(unit_price_minor=2000, skus=frozenset({"cake"})))))
    assert [ln.promotion_discount_minor for ln in q.lines] == [0, 1100, 0]
    basket = (line("a", 500, 2, "food"), line("b", 300, 3, "food"), line("c", 900, 1, "x"))
    free = promo(CheapestFree(every_n=3, categories=frozenset({"food"})))
    q = evaluate(PROGRAM, basket, member(), offers=offers(free))
    # 5 food items: one group of 3, the cheapest (3.00) is free
    assert [ln.promotion_discount_minor for ln in q.lines] == [0, 300, 0]


def test_volume_steps() -> None:
    fuel = VolumeSteps(categories=frozenset({"fuel"}),
                       steps=(VolumeStep(from_milli=20_000, rate_bp=50),
                              VolumeStep(from_milli=40_000, rate_bp=100)))
    for milli, expected in ((19_999, 0), (20_000, 100), (45_000, 450)):
        basket = (line("ai95", 1000, milli=milli, category="fuel"), line("snack", 500))
        q = evaluate(PROGRAM, basket, member(), offers=offers(promo(fuel)))
        assert q.lines[0].promotion_discount_minor == expected
        assert q.lines[1].promotion_discount_minor == 0


def test_points_effects_add_to_earned_points_by_earn_basis() -> None:
    basket = (line("a", 10_000), line("b", 30_000))  # base: 3 % of 400.00 = 12 points
    base = evaluate(PROGRAM, basket, member())
    assert base.points_earned == 12
    q = evaluate(PROGRAM, basket, member(), offers=offers(promo(BonusPoints(points=100))))
    assert q.points_earned == 112
    assert [ln.promotion_points for ln in q.lines] == [25, 75]
    assert q.promotions[0].points == 100
    q = evaluate(PROGRAM, basket, member(), offers=offers(promo(PointsPercent(rate_bp=500))))
    assert q.points_earned == 12 + 20
    q = evaluate(PROGRAM, basket, member(),
                 offers=offers(promo(PointsMultiplier(factor_percent=300))))
    assert q.points_earned == 36
    anonymous = evaluate(PROGRAM, basket, None, offers=offers(promo(BonusPoints(points=100))))
    assert anonymous.points_earned == 0 and anonymous.promotions == ()


def test_explanations_name_the_promotion() -> None:
    q = evaluate(PROGRAM, BASKET, member(),
                 offers=offers(promo(PercentDiscount(rate_bp=1000), BonusPoints(points=5),
                                     pid=7)))
    found = {e.code: e for e in q.explanations}
    for code in ("promotion_discount", "promotion_points"):
        assert found[code].param("promotion_id") == 7
        assert found[code].param("version") == 2
        assert found[code].param("promotion") == "P7"
    assert found["promotion_points"].param("points") == 5


def test_condition_store_and_schedule_gate_a_promotion() -> None:
    p = promo(FixedDiscount(amount_minor=100), stores=frozenset({2}))
    assert evaluate(PROGRAM, BASKET, member(), offers=offers(p)).promotions == ()
    assert evaluate(PROGRAM, BASKET, member(), offers=offers(p, store_id=2)).promotions != ()
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(promo(BonusPoints(points=1)),
                                                          met=False))
    assert q.promotions == ()


def test_exclusive_first_applies_alone() -> None:
    exclusive = promo(FixedDiscount(amount_minor=100), pid=1, priority=5,
                      stacking=Stacking.EXCLUSIVE)
    other = promo(FixedDiscount(amount_minor=200), pid=2)
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(other, exclusive))
    assert [p.id for p in q.promotions] == [1]


def test_exclusive_lower_down_is_skipped_once_another_applied() -> None:
    first = promo(FixedDiscount(amount_minor=100), pid=2, priority=5)
    exclusive = promo(FixedDiscount(amount_minor=500), pid=1, stacking=Stacking.EXCLUSIVE)
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(exclusive, first))
    assert [p.id for p in q.promotions] == [2]


def test_best_of_keeps_only_the_most_valuable() -> None:
    money = promo(FixedDiscount(amount_minor=300), pid=1, stacking=Stacking.BEST_OF)
    points = promo(BonusPoints(points=5), pid=2, stacking=Stacking.BEST_OF)  # 5.00
    stack = promo(FixedDiscount(amount_minor=100), pid=3, priority=-1)
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(money, points, stack))
    assert [p.id for p in q.promotions] == [2, 3]
    tie = promo(BonusPoints(points=3), pid=4, stacking=Stacking.BEST_OF)
    q = evaluate(PROGRAM, BASKET, member(), offers=offers(tie, money))
    assert [p.id for p in q.promotions] == [1]  # equal value: the earlier id wins


def test_stackable_promotions_work_on_what_earlier_ones_left() -> None:
    first = promo(PercentDiscount(rate_bp=5000), pid=1, priority=2)
    second = promo(PercentDiscount(rate_bp=5000), pid=2, priority=1)
    basket = (line("a", 1000),)
    q = evaluate(PROGRAM, basket, member(), offers=offers(second, first))
    assert [(p.id, p.discount_minor) for p in q.promotions] == [(1, 500), (2, 250)]
    assert q.paid_minor == 250


def test_promotions_come_before_the_program_discount() -> None:
    gold = Level(code="base", name="Base", threshold_minor=0, rate_bp=1000)
    program = Program(earn_mode=EarnMode.DISCOUNT, levels=(gold,))
    q = evaluate(program, (line("a", 1000),), member(program),
                 offers=offers(promo(FixedDiscount(amount_minor=500))))
    assert q.lines[0].promotion_discount_minor == 500
    assert q.lines[0].program_discount_minor == 50  # 10 % of what the promotion left
    assert q.discount_minor == 550


def test_schedule_dates_are_inclusive_and_weekdays_and_hours_apply() -> None:
    s = Schedule(starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31))
    assert s.covers(datetime(2026, 3, 1, 0, 0))
    assert s.covers(datetime(2026, 3, 31, 23, 59))
    assert not s.covers(datetime(2026, 2, 28, 23, 59))
    assert not s.covers(datetime(2026, 4, 1, 0, 0))
    weekend = Schedule(weekdays=frozenset({6, 7}))
    assert weekend.covers(datetime(2026, 3, 7, 12)) and not weekend.covers(NOON)
    happy = Schedule(hour_from=16, hour_to=18)
    assert happy.covers(datetime(2026, 3, 2, 17, 59)) and not happy.covers(
        datetime(2026, 3, 2, 18, 0))
    night = Schedule(hour_from=22, hour_to=6)
    assert night.covers(datetime(2026, 3, 2, 23)) and night.covers(datetime(2026, 3, 2, 5))
    assert not night.covers(NOON)


def test_schedule_at_a_time_zone_edge() -> None:
    """23:30 UTC on 31 March is already 1 April in Moscow (UTC+3)."""
    march = Schedule(ends_on=date(2026, 3, 31))
    april = Schedule(starts_on=date(2026, 4, 1), weekdays=frozenset({3}))  # a Wednesday
    moment = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    local = moment.astimezone(ZoneInfo("Europe/Moscow"))
    assert not march.covers(local) and april.covers(local)
    assert march.covers(moment.astimezone(ZoneInfo("America/New_York")))  # still 31 March
