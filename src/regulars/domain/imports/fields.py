"""What an import file's columns mean: the fields receipts and members take, the column names
each is found under, and the mapping of a file's header to fields (by name, or as told).

A header cell names a field when, lower-cased with spaces and dashes made underscores, it is
the field's name or one of its aliases (``Customer ID`` → ``external_id``). ``--map
column=field`` (``overrides``) wins over names and may map a column to ``-`` to ignore it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from regulars.domain.imports.cells import N_
from regulars.errors import InvalidInput


class Kind(StrEnum):
    RECEIPTS = "receipts"
    MEMBERS = "members"


IDENTIFIERS = ("external_id", "phone", "card")
"""The fields a member is matched or created by, in the order they are tried."""

FIELDS: Mapping[Kind, tuple[str, ...]] = {
    Kind.RECEIPTS: (*IDENTIFIERS, "date", "amount", "quantity", "receipt", "store"),
    Kind.MEMBERS: (*IDENTIFIERS, "first_name", "last_name", "email", "birthday"),
}
REQUIRED: Mapping[Kind, tuple[str, ...]] = {
    Kind.RECEIPTS: ("date", "amount"),
    Kind.MEMBERS: (),
}
IGNORE = "-"

_ALIASES = {
    "external_id": ("customer", "customer_id", "customer_no", "client", "client_id",
                    "member_id", "external"),
    "phone": ("telephone", "tel", "mobile", "phone_number", "msisdn"),
    "card": ("card_no", "card_number", "loyalty_card"),
    "date": ("day", "occurred_at", "datetime", "time", "purchase_date", "date_time"),
    "amount": ("total", "sum", "paid", "amount_paid", "value", "revenue"),
    "quantity": ("qty", "items", "count", "units"),
    "receipt": ("receipt_no", "receipt_id", "receipt_number", "check", "check_no", "invoice",
                "order", "order_id", "transaction", "transaction_id"),
    "store": ("store_code", "shop", "outlet"),
    "first_name": ("firstname", "given_name", "name"),
    "last_name": ("lastname", "surname", "family_name"),
    "email": ("e_mail", "mail"),
    "birthday": ("birth_date", "date_of_birth", "dob", "birthdate"),
}
_NAMES = {alias: name for name, aliases in _ALIASES.items() for alias in (name, *aliases)}


NO_COLUMN = N_("no column for %(fields)s (the file's columns: %(columns)s)")
"""The refusal of a mapping that leaves a required field without a column: each edge says
how to name one (the CLI's ``--map column=field``, the console's column choices)."""


def column_key(header_cell: str) -> str:
    return "_".join(header_cell.strip().lower().replace("-", " ").split())


@dataclass(frozen=True, kw_only=True)
class ColumnMap:
    """Which column (0-based) each mapped field is read from."""

    columns: Mapping[str, int]

    def get(self, field: str) -> int | None:
        return self.columns.get(field)


def guess_fields(header: Sequence[str], kind: Kind, *,
                 overrides: Mapping[str, str] | None = None) -> list[str | None]:
    """The field each column of ``header`` would be read as (``None``: ignored), with the
    overrides that name a column and a field of ``kind`` applied: for a preview, which
    shows a mapping still being made."""
    told = {column_key(column): field for column, field in (overrides or {}).items()}
    allowed = FIELDS[kind]
    found: list[str | None] = []
    for cell in header:
        key = column_key(cell)
        field = told[key] if key in told else _NAMES.get(key)
        found.append(field if field in allowed and field not in found else None)
    return found


def map_columns(header: Sequence[str], kind: Kind, *,
                overrides: Mapping[str, str] | None = None) -> ColumnMap:
    """The fields of ``kind`` found in ``header``. Raises :class:`InvalidInput` (field
    ``map``) for an override naming no column of the header or no field of ``kind``, a field
    read from two columns, or a required field found nowhere."""
    keys = [column_key(cell) for cell in header]
    told = {column_key(column): field for column, field in (overrides or {}).items()}
    allowed = FIELDS[kind]
    for column, field in told.items():
        if column not in keys:
            raise InvalidInput("the file has no column %(column)s (its columns: %(columns)s)",
                               field="map", params={"column": column,
                                                    "columns": ", ".join(header)})
        if field != IGNORE and field not in allowed:
            raise InvalidInput("%(field)s is not a field of %(kind)s (one of: %(fields)s)",
                               field="map", params={"field": field, "kind": kind.value,
                                                    "fields": ", ".join(allowed)})
    columns: dict[str, int] = {}
    for index, key in enumerate(keys):
        mapped = told[key] if key in told else _NAMES.get(key)
        if mapped is None or mapped == IGNORE or mapped not in allowed:
            continue
        if mapped in columns:
            raise InvalidInput("two columns map to %(field)s: %(first)s and %(second)s",
                               field="map", params={"field": mapped,
                                                    "first": header[columns[mapped]],
                                                    "second": header[index]})
        columns[mapped] = index
    missing = [f for f in REQUIRED[kind] if f not in columns]
    if kind is Kind.MEMBERS and not any(f in columns for f in IDENTIFIERS):
        missing.append(" or ".join(IDENTIFIERS))
    if missing:
        raise InvalidInput(NO_COLUMN, field="map",
                           params={"fields": ", ".join(missing), "columns": ", ".join(header)})
    return ColumnMap(columns=columns)
