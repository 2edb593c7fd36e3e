"""Array parameters of PostgreSQL statements, written in the array's text form
(``{1,2,3}``) for the statement to cast (``CAST(:ids AS bigint[])``).

psycopg sends a string as it is, where it dumps a Python list element by element in Python
(finding the elements' type, then each element): a dozen and more calls an array, and a
commit sends some thirty arrays. Numbers, dates and instants need no quoting inside an
array; text is written quoted (:func:`texts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime


def ints(values: Iterable[int]) -> str:
    """``values`` as an integer array's text (for ``CAST(... AS bigint[])``)."""
    return "{" + ",".join(map(str, values)) + "}"


def instants(values: Iterable[datetime | None]) -> str:
    """``values`` as a ``timestamptz[]``'s text, ``None`` as ``NULL``: ISO 8601 with the UTC
    offset, so the instant does not depend on the session's time zone (a naive value is read
    in it, as psycopg would send it)."""
    return "{" + ",".join(["NULL" if v is None else v.isoformat() for v in values]) + "}"


def plain(values: Iterable[int | date | None]) -> str:
    """``values`` as an integer or date array's text, ``None`` as ``NULL`` (for
    ``CAST(... AS bigint[])`` or ``date[]``)."""
    return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"


def texts(values: Iterable[str | None]) -> str:
    """``values`` as a text array's text (for ``CAST(... AS varchar[])`` or ``json[]``),
    ``None`` as ``NULL``: each element in double quotes, its backslashes and double quotes
    escaped by a backslash, as PostgreSQL's array input reads them."""
    return "{" + ",".join([
        "NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for v in values]) + "}"
