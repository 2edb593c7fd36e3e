"""Results as stored answers: a frozen result turned into the JSON value a keyed write keeps
for its replays.

A keyed write (a commit, a refund, a void) stores its first answer in its own transaction, so
that a replay gets back exactly what the first call got; the service therefore turns its
result into JSON itself, with :func:`to_json`, field by field and nothing more. The API's
``…Out`` models describe the same shape (``regulars.api.pos_schemas``). Everything else
returns its result as it is and the edge serialises it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any

OMIT = "omit"
"""Field metadata: when to leave the field out of the JSON (the answer has the key only when
there is something to say): ``"empty"`` (``None``, zero or an empty collection) or
``"none"``."""


def absent_when_empty(default: Any = None) -> Any:
    """A dataclass field left out of :func:`to_json` while it is ``None``, zero or empty."""
    return dataclasses.field(default=default, metadata={OMIT: "empty"})


def absent_when_none() -> Any:
    """A dataclass field (default ``None``) left out of :func:`to_json` while it is ``None``."""
    return dataclasses.field(default=None, metadata={OMIT: "none"})


def omitted_fields(cls: type) -> frozenset[str]:
    """The fields of dataclass ``cls`` that :func:`to_json` may leave out."""
    return frozenset(name for name, omit in _fields_of(cls) if omit)


_FIELDS: dict[type, tuple[tuple[str, str | None], ...]] = {}
_SCALARS = frozenset({str, int, float, bool})


def _fields_of(cls: type) -> tuple[tuple[str, str | None], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple((f.name, f.metadata.get(OMIT))
                                     for f in dataclasses.fields(cls))
    return found


def to_json(value: Any) -> Any:
    """``value`` as JSON values: a dataclass becomes an object of its fields in declaration
    order (fields marked :func:`absent_when_empty` or :func:`absent_when_none` left out as they
    say), tuples and lists
    arrays, mappings objects, dates and datetimes ISO 8601 text, enums their values."""
    cls = type(value)
    if cls in _SCALARS or value is None or isinstance(value, str | int | float | bool):
        return value
    fields = _FIELDS.get(cls)
    if fields is not None or dataclasses.is_dataclass(value):
        out: dict[str, Any] = {}
        for name, omit in fields or _fields_of(cls):
            item = getattr(value, name)
            if omit is not None and (item is None or (omit == "empty" and not item)):
                continue
            # Scalars as they are, without a call each: most fields of an answer are.
            out[name] = item if item is None or type(item) in _SCALARS else to_json(item)
        return out
    if isinstance(value, tuple | list):
        return [v if type(v) in _SCALARS else to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    if isinstance(value, Enum):
        return to_json(value.value)
    raise TypeError(f"{cls.__name__} has no JSON form")
