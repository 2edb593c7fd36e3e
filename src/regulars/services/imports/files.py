"""An import file opened as a header and rows, whatever its shape: XLSX (the first sheet, read
with calamine), or text in UTF-8 or Windows-1251 (told apart by whether the bytes decode as
UTF-8) with its delimiter sniffed among ``,`` ``;`` tab and ``|``, or columns separated by
runs of spaces. A preset names the columns of a file that has no header (``cdnow``:
``customer date quantity amount``).

Rows are read lazily and can be read again (:meth:`Table.rows`), so a file is checked whole
before anything is written without ever being held in memory whole. Row numbers are those a
spreadsheet shows: the header (or a preset file's first line) is row 1.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from regulars.errors import InvalidInput

PRESETS: dict[str, tuple[str, ...]] = {
    "cdnow": ("customer", "date", "quantity", "amount"),
}
"""Presets: the column names of header-less, whitespace-separated files."""

WHITESPACE = "whitespace"
_SAMPLE_BYTES = 64 * 1024
_CHUNK_BYTES = 1 << 20
_XLSX_MAGIC = b"PK\x03\x04"
MAX_COLUMNS = 200


@dataclass(frozen=True, kw_only=True)
class Table:
    path: Path
    header: tuple[str, ...]
    format: str
    """``xlsx`` or ``text``."""
    encoding: str | None
    delimiter: str | None
    """A one-character delimiter, or :data:`WHITESPACE`."""
    has_header: bool

    def rows(self) -> Iterator[tuple[int, Sequence[object]]]:
        """Every row after the header, numbered; blank rows are skipped."""
        first = 2 if self.has_header else 1
        if self.format != "xlsx":  # text cells: a blank one is ""
            for number, cells in enumerate(_text_rows(self.path, self.encoding or "utf-8",
                                                      self.delimiter or ","), start=1):
                if number >= first and any(cells):
                    yield number, cells
            return
        for number, values in enumerate(_xlsx_rows(self.path), start=1):
            if number < first or not any(v not in (None, "") for v in values):
                continue
            yield number, values


def count_rows(table: Table) -> int:
    """About how many rows follow the header (lines, or the sheet's height), for progress."""
    if table.format == "xlsx":
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(table.path))
        try:
            height = int(workbook.get_sheet_by_index(0).height)
        finally:
            workbook.close()
    else:
        height = 0
        with table.path.open("rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                height += chunk.count(b"\n")
    return max(0, height - (1 if table.has_header else 0))


def open_table(path: Path, *, preset: str | None = None) -> Table:
    """Raises :class:`InvalidInput` (field ``file``) for an empty or unreadable file, and
    (field ``preset``) for an unknown preset."""
    if preset is not None and preset not in PRESETS:
        raise InvalidInput("unknown preset %(preset)s (known: %(known)s)", field="preset",
                           params={"preset": preset, "known": ", ".join(PRESETS)})
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
    if not head.strip():
        raise InvalidInput("the file is empty", field="file")
    if head.startswith(_XLSX_MAGIC):
        header = _xlsx_header(path)
        return Table(path=path, header=PRESETS[preset] if preset else header, format="xlsx",
                     encoding=None, delimiter=None, has_header=preset is None)
    encoding = detect_encoding(path)
    sample = head.decode(encoding, errors="ignore")
    delimiter = WHITESPACE if preset else _sniff(sample)
    if preset:  # a first line without a digit names the columns: skipped
        first_line = sample.lstrip("\ufeff").split("\n", 1)[0]
        return Table(path=path, header=PRESETS[preset], format="text", encoding=encoding,
                     delimiter=delimiter, has_header=not any(c.isdigit() for c in first_line))
    first = next(_split_lines(sample.splitlines()[:1], delimiter), [])
    header = tuple(str(cell).strip() for cell in first)
    _check_header(header)
    return Table(path=path, header=header, format="text", encoding=encoding,
                 delimiter=delimiter, has_header=True)


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when every byte decodes as UTF-8 (a BOM is dropped), else ``cp1251``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1251"
    return "utf-8-sig"


def _sniff(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # the sample may end inside a line
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        if lines and all(len(line.split()) > 1 for line in lines):
            return WHITESPACE
        return ","


def _check_header(header: Sequence[str]) -> None:
    if len(header) > MAX_COLUMNS:
        raise InvalidInput("the file has more than %(n)s columns", field="file",
                           params={"n": MAX_COLUMNS})
    if not any(header):
        raise InvalidInput("the file's first row names no column", field="file")


def _split_lines(lines: Iterator[str] | Sequence[str], delimiter: str
                 ) -> Iterator[list[str]]:
    if delimiter == WHITESPACE:
        for line in lines:
            yield line.split()
        return
    yield from csv.reader(lines, delimiter=delimiter)


def _text_rows(path: Path, encoding: str, delimiter: str) -> Iterator[Sequence[object]]:
    with path.open(encoding=encoding, newline="") as handle:
        yield from _split_lines(handle, delimiter)


def _xlsx_rows(path: Path) -> Iterator[Sequence[object]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        yield from workbook.get_sheet_by_index(0).iter_rows()
    finally:
        workbook.close()


def _xlsx_header(path: Path) -> tuple[str, ...]:
    try:
        first = next(_xlsx_rows(path), [])
    except Exception as exc:  # calamine raises its own errors for a damaged file
        raise InvalidInput("not a readable XLSX file: %(reason)s", field="file",
                           params={"reason": str(exc)[:200]}) from exc
    header = tuple("" if cell is None else str(cell).strip() for cell in first)
    _check_header(header)
    return header
