"""The cost of promotion conditions, worked out from their text: structural limits, and the
work of one evaluation bounded for any basket."""

from __future__ import annotations

import pytest

from regulars.domain.promotions.condition_cost import (
    MAX_DEPTH,
    analyse,
    check_shape,
    cost,
)
from regulars.errors import InvalidInput
from regulars.services.promotions.conditions import COST_BUDGET, Budget, check_condition

NESTED = "basket.lines.exists(a, basket.lines.exists(b, a.sku == b.sku && a.amount_minor > 1))"
NESTED_FILTER = ("basket.lines.filter(a, basket.lines.filter(b, b.sku == a.sku).size() > 1)"
                 ".size() > 0")
DEEPER = ("basket.lines.exists(a, basket.lines.exists(b, basket.lines.exists(c, "
          "a.sku == b.sku && b.sku == c.sku)))")


@pytest.mark.parametrize("text", [NESTED, NESTED_FILTER, DEEPER])
def test_nested_comprehensions_are_refused_on_save(text: str) -> None:
    with pytest.raises(InvalidInput, match="may not be nested") as caught:
        check_condition(text)
    assert caught.value.field == "condition"


@pytest.mark.parametrize("lines", [100, 250, 500])
def test_nested_comprehensions_cost_the_square_of_the_lines(lines: int) -> None:
    single = cost(analyse("basket.lines.exists(a, a.sku == 'x')"), lines)
    nested = cost(analyse(NESTED), lines)
    assert single <= 10 * lines
    assert nested >= lines * lines > COST_BUDGET


def test_map_and_filter_count_their_copying() -> None:
    shape = analyse("basket.lines.filter(l, l.amount_minor > 1).size() > 1")
    assert cost(shape, 10) < COST_BUDGET < cost(shape, 100)
    with pytest.raises(InvalidInput, match="too costly"):
        check_condition("basket.lines.map(l, [l, l, l, l]).size() > 1")


def test_deep_or_large_texts_are_refused_without_exhausting_the_stack() -> None:
    with pytest.raises(InvalidInput, match="levels deep"):
        check_condition("(" * (MAX_DEPTH + 1) + "true" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(InvalidInput, match="terms, at most"):
        check_condition(" || ".join(["basket.total_minor > 1"] * 40))
    with pytest.raises(InvalidInput, match="levels deep"):
        analyse("(" * 900 + "true" + ")" * 900)
    with pytest.raises(InvalidInput, match="comprehensions"):
        check_condition(" && ".join(["basket.lines.all(l, l.amount_minor > 0)"] * 7))


def test_ordinary_conditions_pass_and_cost_little() -> None:
    for text in ["true", "basket.total_minor >= 1000 && time.hour < 12",
                 "member != null && member.level in ['gold', 'silver'] ? true : false",
                 "basket.lines.exists(l, l.sku.startsWith('beans') && l.quantity_milli > 1)",
                 "basket.lines.all(line, line.amount_minor > 0) && {'a': 1}['a'] == 1",
                 "basket.lines.exists_one(l, l.category == \"it's\")"]:
        check_condition(text)
        shape = analyse(text)
        check_shape(shape)
        assert cost(shape, 2) <= cost(shape, 100) <= COST_BUDGET


def test_a_quote_budget_runs_what_fits_and_refuses_the_rest() -> None:
    shape = analyse("basket.lines.exists(l, l.sku.startsWith('x'))")
    each = cost(shape, 300)
    budget = Budget(300)
    taken = [budget.take(shape) for _ in range(COST_BUDGET // each + 1)]
    assert taken == [True] * (COST_BUDGET // each) + [False]
    assert not Budget(5000).take(shape)  # one condition past the budget on a huge basket
    assert not Budget(2).take(None)  # a text too deep to measure never runs
