"""Gift with purchase, coupons issued for the next visit, and the explanation of a
promotion a limit left out: pure engine, no database."""

from __future__ import annotations

import pytest

from regulars.domain.checkout.engine import evaluate
from regulars.domain.promotions.budgets import Allowance, Limits, Spent, Uses, allowance_for
from regulars.domain.promotions.promotions import (
    Candidate,
    GiftWithPurchase,
    IssueCoupon,
    Offers,
    PercentDiscount,
    Stacking,
)
from tests.unit.test_promotions import NOON, PROGRAM, line, member, offers, promo

GIFT = GiftWithPurchase(gift_sku="mug", buy_milli=3000, categories=frozenset({"beans"}))


def codes(quote: object) -> list[str]:
    return [e.code for e in quote.explanations]  # type: ignore[attr-defined]


def test_gift_is_a_discount_on_the_gift_line_and_never_edits_the_basket() -> None:
    basket = (line("arabica", 900, 2, "beans"), line("robusta", 700, 1, "beans"),
              line("mug", 500, 1, "goods"))
    q = evaluate(PROGRAM, basket, member(), offers=offers(promo(GIFT)))
    assert [ln.promotion_discount_minor for ln in q.lines] == [0, 0, 500]
    assert len(q.lines) == 3 and q.lines[2].quantity_milli == 1000
    gift = next(e for e in q.explanations if e.code == "promotion_gift")
    assert gift.param("gift_sku") == "mug" and gift.param("gifts") == 1


def test_one_gift_per_qualifying_set_with_the_cap() -> None:
    basket = (line("arabica", 900, 7, "beans"), line("mug", 500, 5, "goods"))
    q = evaluate(PROGRAM, basket, member(), offers=offers(promo(GIFT)))
    assert q.lines[1].promotion_discount_minor == 2 * 500  # 7 // 3 sets
    capped = GiftWithPurchase(gift_sku="mug", buy_milli=3000, max_gifts=1,
                              categories=frozenset({"beans"}))
    q = evaluate(PROGRAM, basket, member(), offers=offers(promo(capped)))
    assert q.lines[1].promotion_discount_minor == 500


def test_no_gift_without_the_set_or_without_the_gift_in_the_basket() -> None:
    short = (line("arabica", 900, 2, "beans"), line("mug", 500, 1, "goods"))
    q = evaluate(PROGRAM, short, member(), offers=offers(promo(GIFT)))
    assert q.promotions == () and "promotion_gift" not in codes(q)
    no_mug = (line("arabica", 900, 6, "beans"),)
    assert evaluate(PROGRAM, no_mug, member(), offers=offers(promo(GIFT))).promotions == ()


def test_the_gift_never_counts_towards_its_own_set() -> None:
    any_item = GiftWithPurchase(gift_sku="mug", buy_milli=3000)
    basket = (line("tea", 300, 2), line("mug", 500, 2))  # 2 qualifying + 2 mugs
    assert evaluate(PROGRAM, basket, member(),
                    offers=offers(promo(any_item))).promotions == ()


def test_the_gift_discount_is_capped_by_what_is_left_on_the_line() -> None:
    basket = (line("arabica", 900, 3, "beans"), line("mug", 500, 1, "goods"))
    half = promo(PercentDiscount(rate_bp=5000, skus=frozenset({"mug"})), pid=1, priority=9)
    q = evaluate(PROGRAM, basket, member(), offers=offers(half, promo(GIFT, pid=2)))
    assert q.lines[1].promotion_discount_minor == 500 and q.lines[1].paid_minor == 0


@pytest.mark.parametrize("bad", [dict(gift_sku=" ", buy_milli=1000),
                                 dict(gift_sku="mug", buy_milli=0),
                                 dict(gift_sku="mug", buy_milli=1000, max_gifts=0)])
def test_gift_rules_are_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        GiftWithPurchase(**bad)  # type: ignore[arg-type]


def test_a_coupon_promotion_applies_for_a_member_and_is_announced() -> None:
    p = promo(IssueCoupon(series_id=7))
    q = evaluate(PROGRAM, (line("coffee", 1000),), member(), offers=offers(p))
    assert [a.coupon_series_ids for a in q.promotions] == [(7,)]
    assert q.promotions[0].discount_minor == 0 and q.discount_minor == 0
    note = next(e for e in q.explanations if e.code == "promotion_coupon")
    assert note.param("series_id") == 7


def test_an_anonymous_receipt_gets_no_coupon_and_no_promise() -> None:
    p = promo(IssueCoupon(series_id=7))
    q = evaluate(PROGRAM, (line("coffee", 1000),), None, offers=offers(p))
    assert q.promotions == () and "promotion_coupon" not in codes(q)


def test_a_coupon_promotion_stops_when_a_cap_is_at_zero() -> None:
    p = promo(IssueCoupon(series_id=7))
    spent = Allowance(discount_minor=0, points=None)
    q = evaluate(PROGRAM, (line("coffee", 1000),), member(), offers=Offers(
        candidates=(Candidate(promotion=p, condition_met=True, allowance=spent),),
        store_id=1, local_now=NOON))
    assert q.promotions == () and "promotion_skipped_budget" in codes(q)


def test_the_quote_says_which_limit_left_a_promotion_out() -> None:
    limits = Limits(budget_minor=10_000, member_minor=50, uses_per_day=1)
    tenth = promo(PercentDiscount(rate_bp=1000), pid=3)
    basket = (line("coffee", 1000),)
    cases = {
        "budget": allowance_for(limits, spent=Spent(discount_minor=9_950),
                                member_spent=Spent(), uses=Uses()),
        "member_cap": allowance_for(limits, spent=Spent(), member_spent=Spent(),
                                    uses=Uses()),
        "uses_per_day": allowance_for(limits, spent=Spent(), member_spent=Spent(),
                                      uses=Uses(today=1)),
        "members_only": allowance_for(limits, spent=Spent(), member_spent=None, uses=None),
    }
    for reason, allowance in cases.items():
        q = evaluate(PROGRAM, basket, member(), offers=Offers(
            candidates=(Candidate(promotion=tenth, condition_met=True,
                                  allowance=allowance),),
            store_id=1, local_now=NOON))
        assert q.promotions == (), reason
        skipped = [e for e in q.explanations if e.code.startswith("promotion_skipped_")]
        assert [e.code for e in skipped] == [f"promotion_skipped_{reason}"]
        assert skipped[0].param("promotion_id") == 3


def test_a_full_bucket_is_explained_and_a_best_of_that_does_not_fit_too() -> None:
    best = promo(PercentDiscount(rate_bp=1000), pid=4, stacking=Stacking.BEST_OF)
    q = evaluate(PROGRAM, (line("coffee", 1000),), member(), offers=Offers(
        candidates=(Candidate(promotion=best, condition_met=True),), store_id=1,
        local_now=NOON, pool_minor=10))
    assert q.promotions == ()
    assert "promotion_skipped_bucket" in codes(q)


def test_a_promotion_whose_condition_fails_is_not_explained() -> None:
    p = promo(PercentDiscount(rate_bp=1000))
    q = evaluate(PROGRAM, (line("coffee", 1000),), member(), offers=offers(p, met=False))
    assert not [c for c in codes(q) if c.startswith("promotion_")]
