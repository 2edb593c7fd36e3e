"""A store's code carries only what a till, a URL and a CSV carry unchanged; names are
compared for duplicates in any case and spacing."""

from __future__ import annotations

import pytest

from regulars.domain.tenancy.stores import checked_code, checked_name, folded_name
from regulars.errors import InvalidInput
from regulars.services.demo.catalog import STORES


@pytest.mark.parametrize("code", ["main", "GRF", "n-1", "north_2", "A" * 32, " centre "])
def test_letters_digits_dashes_and_underscores_make_a_code(code: str) -> None:
    assert checked_code(code) == code.strip()


def test_the_demo_stores_codes_are_codes() -> None:
    assert [checked_code(code) for code, _, _ in STORES] == [code for code, _, _ in STORES]


@pytest.mark.parametrize("code", ["main st", "a/b", "a,b", 'a"b', "a;b", "центр", "café",
                                  "a\tb", "a?b=1", "A" * 33])
def test_a_code_a_till_url_or_csv_cannot_carry_is_refused_on_its_field(code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_code(code)
    assert refused.value.field == "code" and "without spaces" in refused.value.detail


def test_an_empty_code_asks_for_one() -> None:
    with pytest.raises(InvalidInput, match="enter a code") as refused:
        checked_code("   ")
    assert refused.value.field == "code"


def test_a_name_is_given_and_at_most_200_characters() -> None:
    assert checked_name("  Main street ") == "Main street"
    for name in ("  ", "N" * 201):
        with pytest.raises(InvalidInput) as refused:
            checked_name(name)
        assert refused.value.field == "name"


def test_names_that_differ_only_in_case_or_spacing_fold_alike() -> None:
    assert folded_name("Main  Street") == folded_name(" main street") == "main street"
    assert folded_name("ЦЕНТР") == folded_name("Центр")
    assert folded_name("Straße") == folded_name("STRASSE")
    assert folded_name("North") != folded_name("South")
