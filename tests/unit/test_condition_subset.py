"""Conditions compiled to Python give what CEL gives, on every receipt; anything outside
the subset is left to CEL."""

from __future__ import annotations

from datetime import datetime

import cel
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.domain.checkout.quote import BasketLine
from regulars.services.promotions.condition_subset import compile_subset, fits
from regulars.services.promotions.conditions import cel_context, holds

INTS = st.integers(0, 30_000).map(str)
STRINGS = st.sampled_from(["'grocery'", '"grocery"', "'a'", "''", "'2026-03-02'", "'é'"])
BASKET_INT = st.sampled_from(["basket.total_minor", "basket.quantity_milli"])
TIME_INT = st.sampled_from(["time.weekday", "time.hour", "time.minute"])
LINE_INT = st.sampled_from(["l.quantity_milli", "l.unit_price_minor", "l.amount_minor"])
LINE_STR = st.sampled_from(["l.sku", "l.category"])
OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def comparisons(ints: st.SearchStrategy[str], strings: st.SearchStrategy[str]
                ) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(ints, OPS, st.one_of(ints, INTS)).map(" ".join),
        st.tuples(strings, OPS, st.one_of(strings, STRINGS)).map(" ".join),
    )


def booleans(atoms: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(atoms, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["&&", "||", "==", "!="]), inner).map(" ".join),
        inner.map(lambda e: f"!({e})"),
        inner.map(lambda e: f"({e})"),
    ), max_leaves=5)


line_atoms = st.one_of(comparisons(LINE_INT, LINE_STR), st.sampled_from(["true", "false"]))
macros = st.tuples(st.sampled_from(["exists", "all"]), booleans(line_atoms)).map(
    lambda m: f"basket.lines.{m[0]}(l, {m[1]})")
atoms = st.one_of(
    comparisons(st.one_of(BASKET_INT, TIME_INT), st.just("time.date")), macros,
    st.sampled_from(["true", "false", "basket.total_minor >= 10000u", "size(basket.lines) > 1",
                     "member.level == 'gold'", "store.id == 1", "1 < 2 < 3",
                     "basket.total_minor in [1, 2]", "-1 < basket.total_minor",
                     "basket.lines.exists(basket, true)", "time.hour + 1 > 3"]))
expressions = booleans(atoms)


@st.composite
def receipts(draw: st.DrawFn) -> tuple[tuple[BasketLine, ...], datetime]:
    lines = tuple(BasketLine(
        sku=draw(st.sampled_from(["a", "b", "é"])),
        category=draw(st.sampled_from(["grocery", "", "a"])),
        quantity_milli=draw(st.integers(1, 5_000)),
        unit_price_minor=draw(st.integers(0, 10_000)))
        for _ in range(draw(st.integers(1, 4))))
    when = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)))
    return lines, when


@settings(max_examples=600, deadline=None)
@given(text=expressions, receipt=receipts())
def test_a_compiled_condition_gives_what_cel_gives(
        text: str, receipt: tuple[tuple[BasketLine, ...], datetime]) -> None:
    lines, when = receipt
    try:
        program = cel.compile(text)
    except ValueError:
        return
    variables = cel_context(lines, None, 1, when)
    compiled = compile_subset(text)
    if compiled is None:
        return
    assert fits(variables)
    assert compiled(variables) is holds(program, cel.Context(variables=variables)), text


def test_the_shapes_a_shop_writes_are_compiled() -> None:
    for text in ("basket.total_minor >= 10000",
                 "basket.lines.exists(l, l.category == 'grocery')",
                 "time.hour >= 17 && time.weekday != 7",
                 "basket.lines.all(line, line.amount_minor > 0) || time.date == '2026-12-24'"):
        assert compile_subset(text) is not None, text


def test_anything_else_is_left_to_cel() -> None:
    for text in ("member.level == 'gold'", "store.id == 1", "basket.total_minor >= 10000u",
                 "size(basket.lines) > 2", "basket.total_minor + 1 > 2", "1.5 < 2.0",
                 "basket.total_minor > 0 ? true : false", "basket.lines.exists(null, true)",
                 "r'a' == 'a'", "'a\\'b' == 'a'", "basket.lines == []", "basket.nope == 1",
                 "basket.total_minor >= 10000 // a comment", "x == 1"):
        assert compile_subset(text) is None, text


def test_integers_beyond_64_bits_are_left_to_cel() -> None:
    line = BasketLine(sku="a", quantity_milli=1, unit_price_minor=2**63)
    assert not fits(cel_context((line,), None, 1, datetime(2026, 3, 2, 12, 0)))
    assert fits(cel_context((), None, 1, datetime(2026, 3, 2, 12, 0)))
