"""The psycopg cursor every PostgreSQL connection uses: psycopg's own, with a result's
``description`` built only when something reads its columns.

SQLAlchemy reads ``cursor.description`` after every statement, but for a statement it has
run before it only asks whether it is ``None``: the result's columns were remembered the
first time. psycopg builds a :class:`psycopg.Column` for each column of the result on every
read (its name decoded, its type looked up), some eight Python calls a column, so a quote's
36 columns cost about 300 calls that nothing looked at. Here ``description`` is ``None``
exactly when psycopg's is, and otherwise a sequence that builds psycopg's columns, the same
ones, from the result it was read on, the first time one is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from psycopg import Column, Cursor, pq

# The statuses with which psycopg describes a result that has no columns (``SELECT ;``).
_TUPLES = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class _Described:
    """What psycopg's :class:`Column` reads of a cursor, kept for one result: the cursor
    may have moved on to another result by the time a column is asked for."""

    __slots__ = ("_encoding", "adapters", "pgresult")

    def __init__(self, cursor: Cursor[Any], result: pq.abc.PGresult) -> None:
        self.pgresult = result
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class Description(Sequence[Column]):
    """psycopg's description of one result, its columns built on first use."""

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: Cursor[Any], result: pq.abc.PGresult) -> None:
        self._cursor: Cursor[Any] | None = cursor
        self._result = result
        self._columns: list[Column] | None = None

    def _built(self) -> list[Column]:
        if self._columns is None:
            assert self._cursor is not None
            kept: Any = _Described(self._cursor, self._result)
            self._columns = [Column(kept, i) for i in range(self._result.nfields)]
            self._cursor = None
        return self._columns

    @overload
    def __getitem__(self, index: int) -> Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[Column]: ...

    def __getitem__(self, index: int | slice) -> Column | list[Column]:
        return self._built()[index]

    def __len__(self) -> int:
        return self._result.nfields

    def __iter__(self) -> Iterator[Column]:
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class DescribedOnUse(Cursor[Any]):
    """psycopg's cursor with :class:`Description` for ``description``."""

    @property
    def description(self) -> Description | None:  # type: ignore[override]
        result = self.pgresult
        if result and (result.nfields or result.status in _TUPLES):
            return Description(self, result)
        return None
