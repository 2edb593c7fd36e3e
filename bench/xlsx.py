"""XLSX libraries for imports and exports, measured on one 100,000-row sheet of receipts
(customer, date, quantity, amount): reading it (python-calamine, openpyxl read-only) and
writing it (XlsxWriter constant-memory, openpyxl write-only): seconds and peak memory of each
(tracemalloc: Python allocations; calamine's Rust side is counted by the RSS growth).

    uv run --with openpyxl python bench/xlsx.py [rows]

openpyxl is not a dependency of Regulars: it is the baseline, added for this run only.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path


def _rows(n: int) -> list[tuple[str, datetime, int, float]]:
    start = datetime(1997, 1, 1)
    return [(f"{i % 23570:05d}", start + timedelta(hours=i % 13000), 1 + i % 5,
             round(5 + (i * 7919) % 30000 / 100, 2)) for i in range(n)]


def _measure(name: str, run: Callable[[], object]) -> None:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    began = time.perf_counter()
    run()
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    print(f"{name:<34} {seconds:7.2f} s   python peak {peak / 2**20:7.1f} MiB   "
          f"max RSS growth {rss_growth / 1024:7.1f} MiB")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rows = _rows(n)
    folder = Path(tempfile.mkdtemp())
    a, b = folder / "xlsxwriter.xlsx", folder / "openpyxl.xlsx"

    def write_xlsxwriter() -> None:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(a), {"constant_memory": True})
        sheet = book.add_worksheet()
        moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, ("customer", "date", "quantity", "amount"))
        for r, (c, d, q, m) in enumerate(rows, start=1):
            sheet.write_string(r, 0, c)
            sheet.write_datetime(r, 1, d, moment)
            sheet.write_number(r, 2, q)
            sheet.write_number(r, 3, m)
        book.close()

    def write_openpyxl() -> None:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(("customer", "date", "quantity", "amount"))
        for row in rows:
            sheet.append(row)
        book.save(b)

    def read_calamine() -> int:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(a))
        return sum(1 for _ in book.get_sheet_by_index(0).iter_rows())

    def read_openpyxl() -> int:
        from openpyxl import load_workbook

        book = load_workbook(a, read_only=True)
        count = sum(1 for _ in book.active.iter_rows(values_only=True))
        book.close()
        return count

    print(f"{n} rows")
    for name, run in (("write: XlsxWriter constant_memory", write_xlsxwriter),
                      ("write: openpyxl write_only", write_openpyxl),
                      ("read: python-calamine", read_calamine),
                      ("read: openpyxl read_only", read_openpyxl)):
        _measure(name, run)


if __name__ == "__main__":
    main()
