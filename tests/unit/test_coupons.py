"""Coupon codes and the rules for using one: no database."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from regulars.domain import codes as coupons
from regulars.domain.checkout.engine import evaluate
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.codes import ALPHABET, Problem, grouped, new_code, normalise, parse
from regulars.domain.promotions.coupons import (
    CodeState,
    CouponOffer,
    Refusal,
    Series,
    refusal,
)
from regulars.domain.promotions.promotions import BonusPoints, FixedDiscount, PercentDiscount
from tests.unit.test_engine import member, program

payloads = st.text(alphabet=ALPHABET, min_size=coupons.PAYLOAD_CHARS,
                   max_size=coupons.PAYLOAD_CHARS)


def _code(payload: str) -> str:
    """A code with the right check symbol (which may fall outside the alphabet here)."""
    symbols = ALPHABET + "*~$=U"
    return payload + symbols[coupons.check_value(payload)]


def test_new_codes_are_grouped_canonical_and_pass_their_check() -> None:
    for _ in range(500):
        code = new_code()
        assert len(code) == 16 and set(code) <= set(ALPHABET)
        assert parse(code) == code
        shown = grouped(code)
        assert len(shown.split("-")) == 4 and all(len(g) == 4 for g in shown.split("-"))
        assert parse(shown.lower()) == code


@given(payloads, st.integers(0, 15), st.sampled_from(ALPHABET))
def test_any_single_character_typo_is_caught(payload: str, position: int, other: str) -> None:
    check = coupons.check_value(payload)
    if check >= len(ALPHABET):
        return  # never issued
    code = payload + ALPHABET[check]
    typo = code[:position] + other + code[position + 1:]
    if typo != code:
        assert parse(typo) is Problem.CHECK


@given(payloads, st.integers(0, 14))
def test_any_adjacent_transposition_is_caught(payload: str, position: int) -> None:
    check = coupons.check_value(payload)
    if check >= len(ALPHABET):
        return
    code = payload + ALPHABET[check]
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    if swapped != code:
        assert parse(swapped) is Problem.CHECK


def test_input_is_normalised() -> None:
    code = new_code()
    messy = " " + "-".join(code[i:i + 2] for i in range(0, 16, 2)).lower() + " "
    assert parse(messy) == code
    assert normalise("oil-") == "011"
    assert parse("ABCD") is Problem.MALFORMED
    assert parse("U" * 16) is Problem.MALFORMED


def test_letters_read_as_digits_still_find_the_code() -> None:
    code = next(c for c in iter(new_code, None) if "0" in c or "1" in c)
    typed = code.replace("0", "O").replace("1", "l")
    assert parse(typed) == code


SERIES = Series(id=7, name="Spring", effect=FixedDiscount(amount_minor=500), max_uses=1,
                starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31))


def _state(**kw: int | None) -> CodeState:
    values: dict[str, int | None] = {"member_id": None, "uses": 0, "held_by_others": 0, **kw}
    return CodeState(id=1, series=SERIES, member_id=values["member_id"],
                     uses=int(values["uses"] or 0),
                     held_by_others=int(values["held_by_others"] or 0))


def test_refusals_in_their_order() -> None:
    day = date(2026, 3, 15)
    assert refusal(_state(), member_id=None, day=day) is None
    assert refusal(_state(), member_id=None, day=date(2026, 3, 31)) is None  # inclusive
    assert refusal(_state(), member_id=None, day=date(2026, 2, 28)) is Refusal.NOT_YET
    assert refusal(_state(), member_id=None, day=date(2026, 4, 1)) is Refusal.EXPIRED
    assert refusal(_state(member_id=5), member_id=6, day=day) is Refusal.NOT_YOURS
    assert refusal(_state(member_id=5), member_id=5, day=day) is None
    assert refusal(_state(uses=1), member_id=None, day=day) is Refusal.USED
    assert refusal(_state(held_by_others=1), member_id=None, day=day) is Refusal.USED


def test_a_coupons_discount_comes_off_the_basket_and_is_explained() -> None:
    basket = (BasketLine(sku="a", quantity_milli=1000, unit_price_minor=10_000),)
    offer = CouponOffer(code_id=3, series=SERIES)
    prog = program()
    quote = evaluate(prog, basket, member(prog), coupons=(offer,))
    plain = evaluate(prog, basket, member(prog))
    assert quote.lines[0].coupon_discount_minor == 500
    assert quote.paid_minor < plain.paid_minor
    assert quote.coupons[0].discount_minor == 500 and quote.coupons[0].series_id == 7
    codes = [e.code for e in quote.explanations]
    assert "coupon_discount" in codes
    percent = Series(id=8, name="Half", effect=PercentDiscount(rate_bp=5000), max_uses=1)
    halved = evaluate(program(), basket, None, coupons=(CouponOffer(code_id=4, series=percent),))
    assert halved.paid_minor == 5000


def test_coupon_points_are_spread_over_the_lines() -> None:
    basket = (BasketLine(sku="a", quantity_milli=1000, unit_price_minor=10_000),
              BasketLine(sku="b", quantity_milli=1000, unit_price_minor=30_000))
    bonus = Series(id=9, name="Bonus", effect=BonusPoints(points=100), max_uses=1)
    prog = program()
    quote = evaluate(prog, basket, member(prog),
                     coupons=(CouponOffer(code_id=1, series=bonus),))
    plain = evaluate(prog, basket, member(prog))
    assert quote.points_earned == plain.points_earned + 100
    assert quote.coupons[0].points == 100
    assert sum(ln.points_earned for ln in quote.lines) == quote.points_earned
