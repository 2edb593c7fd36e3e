"""Amounts typed into forms become exact minor units."""

from __future__ import annotations

import pytest

from regulars.errors import InvalidInput
from regulars.web.forms import parse_int, parse_money


@pytest.mark.parametrize(("text", "digits", "minor"), [
    ("12.50", 2, 1250), ("12,5", 2, 1250), ("1 234.00", 2, 123400), ("7", 2, 700),
    ("0.01", 2, 1), ("99.99", 2, 9999), ("1500", 0, 1500), ("1.234", 3, 1234),
    ("268.28", 2, 26828),
])
def test_amounts_are_exact(text: str, digits: int, minor: int) -> None:
    assert parse_money(text, digits=digits, field="amount") == minor


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-5", "1.2.3", "1e3", "12,50,1"])
def test_bad_amounts_name_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money(text, digits=2, field="amount")
    assert caught.value.field == "amount"


def test_a_negative_amount_says_so() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money("-5", digits=2, field="amount")
    assert caught.value.detail == "must be 0 or more"


def test_whole_numbers_have_bounds() -> None:
    assert parse_int(" 40 ", field="points") == 40
    with pytest.raises(InvalidInput):
        parse_int("-1", field="points")
