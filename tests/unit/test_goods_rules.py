"""Prepaid goods, the pure rules: a goods tender takes units of the lines of its product in
basket order, settles their paid money in proportion, never more than the lines hold; refunds
give the units back in proportion, exactly once in total."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.stored_value.goods import (
    CoverableLine,
    PurchaseTerms,
    check_unit,
    could_take_milli,
    cover,
    coverable_milli,
    units_back,
)
from regulars.errors import InvalidInput

FUEL = CoverableLine(line_no=1, sku="A95", quantity_milli=40_000, paid_minor=220_000)
COFFEE = CoverableLine(line_no=2, sku="coffee", quantity_milli=1_000, paid_minor=300)
MORE_FUEL = CoverableLine(line_no=3, sku="A95", quantity_milli=10_000, paid_minor=50_000)


def test_an_account_holding_25_litres_could_take_25_of_a_40_litre_line() -> None:
    held = coverable_milli([FUEL, COFFEE], "A95", {})
    assert held == 40_000
    assert could_take_milli(balance_milli=25_000, coverable=held, asked_milli=None) == 25_000
    [part] = cover([FUEL, COFFEE], "A95", 25_000, {})
    assert (part.line_no, part.quantity_milli, part.amount_minor) == (1, 25_000, 137_500)


def test_a_tender_spans_lines_of_its_product_in_basket_order() -> None:
    parts = cover([FUEL, COFFEE, MORE_FUEL], "A95", 45_000, {})
    assert [(p.line_no, p.quantity_milli, p.amount_minor) for p in parts] == [
        (1, 40_000, 220_000), (3, 5_000, 25_000)]


def test_a_second_tender_takes_what_the_first_left_and_together_they_settle_the_line() -> None:
    first = cover([FUEL], "A95", 13_333, {})
    second = cover([FUEL], "A95", 26_667, {1: 13_333})
    assert first[0].amount_minor + second[0].amount_minor == FUEL.paid_minor


def test_more_than_the_lines_hold_is_refused() -> None:
    with pytest.raises(ValueError):
        cover([FUEL, COFFEE], "A95", 40_001, {})
    assert coverable_milli([FUEL], "A95", {1: 40_000}) == 0
    assert could_take_milli(balance_milli=5_000, coverable=0, asked_milli=None) == 0


@given(st.lists(st.integers(min_value=1, max_value=40_000), min_size=1, max_size=6),
       st.integers(min_value=1, max_value=40_000))
def test_refunds_in_any_steps_give_back_exactly_the_units_taken(steps: list[int],
                                                                taken: int) -> None:
    done, back = 0, 0
    for step in steps:
        after = min(FUEL.quantity_milli, done + step)
        back += units_back(taken, line_quantity_milli=FUEL.quantity_milli, before_milli=done,
                           after_milli=after)
        done = after
    after = FUEL.quantity_milli
    back += units_back(taken, line_quantity_milli=after, before_milli=done, after_milli=after)
    assert back == taken


def test_a_locked_price_is_the_price_of_one_unit_rounded_half_up() -> None:
    assert PurchaseTerms(quantity_milli=100_000, paid_minor=550_000,
                         lock_price=True).unit_price_minor == 5_500
    assert PurchaseTerms(quantity_milli=3_000, paid_minor=1_000,
                         lock_price=True).unit_price_minor == 333
    assert PurchaseTerms(quantity_milli=3_000, paid_minor=1_000).unit_price_minor is None
    with pytest.raises(InvalidInput) as refused:
        PurchaseTerms(quantity_milli=0, paid_minor=0)
    assert refused.value.field == "quantity_milli"


def test_a_unit_is_short_printable_text() -> None:
    assert check_unit(" l ") == "l"
    for bad in ("", "a" * 13, "l\tx"):
        with pytest.raises(InvalidInput):
            check_unit(bad)
