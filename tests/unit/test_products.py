"""A product list: valid products, typed prices read exactly, and CSV lists read with every
problem named by line and column."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.catalog.products import (
    MAX_IMPORT_ROWS,
    ProductDraft,
    parse_csv,
    parse_price,
    problems,
)


def test_a_product_with_everything_wrong_names_every_field_at_once() -> None:
    found = problems(ProductDraft(sku="", name=" ", price_minor=-5, category="x" * 65))
    assert [p.field for p in found] == ["sku", "name", "price_minor", "category"]
    assert [p.message for p in found if p.field == "price_minor"] == ["must be 0 or more"]


def test_a_control_character_in_a_text_is_refused_on_its_field() -> None:
    found = problems(ProductDraft(sku="CAP", name="Cap\x00puccino", price_minor=1,
                                  category="hot\ndrinks"))
    assert [p.field for p in found] == ["name", "category"]


def test_a_sku_has_no_spaces() -> None:
    assert [p.field for p in problems(ProductDraft(sku="CAP M", name="C", price_minor=1))] \
        == ["sku"]


@pytest.mark.parametrize(("text", "digits", "minor"), [
    ("3.50", 2, 350), ("3,5", 2, 350), ("1 234", 2, 123400), ("0", 2, 0), ("150", 0, 150),
    ("-0", 2, 0), ("1.234", 3, 1234)])
def test_typed_prices_become_exact_minor_units(text: str, digits: int, minor: int) -> None:
    assert parse_price(text, digits=digits) == minor


@pytest.mark.parametrize(("text", "message"), [
    ("-5", "must be 0 or more"), ("−2.50", "must be 0 or more"),
    ("abc", "enter an amount like 12.50"), ("", "enter an amount like 12.50"),
    ("1.2.3", "enter an amount like 12.50"), ("1.234", "at most %(digits)s decimals")])
def test_wrong_prices_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_price(text, digits=2)
    assert str(caught.value) == message


@given(st.integers(min_value=0, max_value=10 ** 12))
def test_a_price_written_out_reads_back_the_same(minor: int) -> None:
    assert parse_price(f"{minor // 100}.{minor % 100:02d}", digits=2) == minor


def test_a_csv_list_reads_every_row() -> None:
    parsed = parse_csv("SKU;Name;Price;Category;Favourite\nCAP-M;Cappuccino;3,50;coffee;yes\n"
                       "TEA;Tea;2;;\n", digits=2)
    assert parsed.problems == ()
    assert parsed.drafts == (
        ProductDraft(sku="CAP-M", name="Cappuccino", price_minor=350, category="coffee",
                     favourite=True),
        ProductDraft(sku="TEA", name="Tea", price_minor=200, category="", favourite=False))


def test_every_problem_of_a_csv_list_is_named_by_line_and_column() -> None:
    parsed = parse_csv("sku,name,price,favourite\nA,Apple,-1,yes\nB,,2.00,maybe\n"
                       "A,Again,1.00,no\n", digits=2)
    assert [(p.line, p.field, p.message) for p in parsed.problems] == [
        (2, "price", "must be 0 or more"),
        (3, "favourite", "write yes or no"), (3, "name", "enter the product's name"),
        (4, "sku", "this SKU is on an earlier line")]


def test_a_list_without_the_needed_columns_is_refused_on_its_first_line() -> None:
    parsed = parse_csv("code,title\nA,Apple\n", digits=2)
    assert [(p.line, p.field) for p in parsed.problems] == [(1, "csv")]
    assert parsed.drafts == ()


def test_a_list_has_a_limit_of_rows() -> None:
    rows = "".join(f"S{i},P,1\n" for i in range(MAX_IMPORT_ROWS + 1))
    parsed = parse_csv("sku,name,price\n" + rows, digits=2)
    assert len(parsed.drafts) == MAX_IMPORT_ROWS
    assert [p.field for p in parsed.problems] == ["csv"]
