"""The receipt rows of a file read the same through the reader an import uses as through
:func:`receipt_row` cell by cell: every shape of cell, good or bad."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest

from regulars.domain.imports.fields import ColumnMap
from regulars.domain.imports.rows import ReceiptReader, ReceiptRow, receipt_row

HEADER = ("customer", "phone", "card", "date", "amount", "quantity", "receipt", "store")
MAPPING = ColumnMap(columns={"external_id": 0, "phone": 1, "card": 2, "date": 3,
                             "amount": 4, "quantity": 5, "receipt": 6, "store": 7})
DATES = ["19970101", " 2024-03-01 ", "2024-03-01 13:45", "01.03.2024", "2024/02/30",
         "18991231", "", "tomorrow", date(2024, 3, 1), datetime(2024, 3, 1, 9, 30)]
AMOUNTS = ["12", " 12.5 ", "0012.50", "12.500", "12.505", "12.", ".5", "-3", "1 234,50",
           "1,234.50", "١٢", "²", "", "  ", "9999999999.99", "10000000000.00",
           "999999999999999999", 12, 12.5, None]
QUANTITIES = ["", "3", " 2.125", "2.1255", "-1", "999999.999", "1000000", "x", 2]
TEXTS = ["", " 0001 ", "x" * 64, "x" * 65, 7, None]


def _rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for day, amount, quantity in itertools.product(DATES, AMOUNTS, QUANTITIES):
        rows.append(["42", "", "", day, amount, quantity, "", ""])
    for text in TEXTS:
        rows += [[text, "", "", "19970101", "1", "1", "", ""],
                 ["", text, text, "19970101", "1", "1", text, text]]
    rows += [["42", "", "", "19970101", "1"], ["42", "", "", "19970101"], []]
    return rows


@pytest.mark.parametrize(("exponent", "text"), [(0, False), (2, False), (3, False), (2, True)])
def test_the_import_reader_reads_each_row_as_receipt_row_does(exponent: int, text: bool
                                                              ) -> None:
    reader = ReceiptReader(MAPPING, HEADER, exponent=exponent, text=text)
    rows = [r for r in _rows() if all(isinstance(c, str) for c in r)] if text else _rows()
    read = fast = 0
    for number, values in enumerate(rows * 2, start=2):  # twice: cells read once are kept
        expected = receipt_row(number, values, MAPPING, HEADER, exponent=exponent)
        got = reader(number, values)
        assert got == expected, (values, got, expected)
        read += 1
        fast += isinstance(got, ReceiptRow)
    assert fast > 200 and read - fast > 200  # good rows and bad ones among them
