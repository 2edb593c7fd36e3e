"""A product a business sells, the rules a valid one follows, and reading a product list
from CSV text.

Prices are integer minor units; a price typed by a person (``"3.50"``, ``"3,5"``) becomes
minor units exactly (:func:`parse_price`), never through a float. Every check reports every
problem it finds at once, each naming its field, so a form or an import can show them all.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field

MAX_SKU_CHARS = 64
MAX_NAME_CHARS = 200
MAX_CATEGORY_CHARS = 64
MAX_PRICE_MINOR = 10 ** 12
MAX_IMPORT_ROWS = 2000
COLUMNS = ("sku", "name", "price", "category", "favourite")
REQUIRED_COLUMNS = ("sku", "name", "price")


def N_(message: str) -> str:
    """``message`` as it is: marks a message the pages translate where they show it."""
    return message


_YES = frozenset({"1", "yes", "y", "true", "x", "*"})
_NO = frozenset({"", "0", "no", "n", "false"})


@dataclass(frozen=True, kw_only=True)
class ProductDraft:
    """What a person or an import says a product is."""

    sku: str
    name: str
    price_minor: int
    category: str = ""
    favourite: bool = False


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong with one field (``message`` is a translatable template filled from
    ``params``); ``line`` is the CSV line it was found on, when imported."""

    field: str
    message: str
    params: dict[str, object] = dataclass_field(default_factory=dict)
    line: int | None = None


def problems(draft: ProductDraft) -> list[Problem]:
    """Every rule ``draft`` breaks (empty when it is a valid product)."""
    found = []
    if not draft.sku.strip():
        found.append(Problem(field="sku", message=N_("enter the product's SKU")))
    elif len(draft.sku) > MAX_SKU_CHARS or any(c.isspace() for c in draft.sku.strip()):
        found.append(Problem(field="sku",
                             message=N_("at most %(limit)s characters, no spaces"),
                             params={"limit": MAX_SKU_CHARS}))
    if not draft.name.strip():
        found.append(Problem(field="name", message=N_("enter the product's name")))
    elif len(draft.name) > MAX_NAME_CHARS:
        found.append(Problem(field="name", message=N_("at most %(limit)s characters"),
                             params={"limit": MAX_NAME_CHARS}))
    if draft.price_minor < 0:
        found.append(Problem(field="price_minor", message=N_("must be 0 or more")))
    elif draft.price_minor > MAX_PRICE_MINOR:
        found.append(Problem(field="price_minor", message=N_("must be at most %(limit)s"),
                             params={"limit": MAX_PRICE_MINOR}))
    if len(draft.category) > MAX_CATEGORY_CHARS:
        found.append(Problem(field="category", message=N_("at most %(limit)s characters"),
                             params={"limit": MAX_CATEGORY_CHARS}))
    taken = {p.field for p in found}
    found.extend(Problem(field=name, message=N_("no control characters, please"))
                 for name, text in (("sku", draft.sku), ("name", draft.name),
                                    ("category", draft.category))
                 if name not in taken and _has_control(text))
    return found


def _has_control(text: str) -> bool:
    """Whether ``text`` holds a control character (a NUL, a line break…): a product's texts
    are one line, and PostgreSQL refuses a NUL in any text."""
    return any(unicodedata.category(c) == "Cc" for c in text)


def cleaned(draft: ProductDraft) -> ProductDraft:
    """``draft`` with the spaces around its texts taken away."""
    return ProductDraft(sku=draft.sku.strip(), name=draft.name.strip(),
                        price_minor=draft.price_minor, category=draft.category.strip(),
                        favourite=draft.favourite)


def parse_price(text: str, *, digits: int) -> int:
    """Minor units from a typed amount (``"12.50"``, ``"12,5"``, ``"1 234"``), exactly.

    Raises ``ValueError`` whose message is a translatable template: ``"must be 0 or more"``
    for a negative amount, ``"enter an amount like 12.50"`` for text that is no amount,
    ``"at most %(digits)s decimals"`` for too many decimals.
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")
    negative = value.startswith(("-", "\u2212"))
    whole, _, fraction = value.lstrip("-\u2212").partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or "." in fraction:
        raise ValueError(N_("enter an amount like 12.50"))
    if negative and (int(whole) or int(fraction or "0")):
        raise ValueError(N_("must be 0 or more"))
    if len(fraction) > digits:
        raise ValueError(N_("at most %(digits)s decimals"))
    scale: int = 10 ** digits
    return int(whole) * scale + int(fraction.ljust(digits, "0") or 0)


def _flag(text: str) -> bool | None:
    value = text.strip().lower()
    return True if value in _YES else False if value in _NO else None


@dataclass(frozen=True, kw_only=True)
class ParsedList:
    """A CSV product list read: the valid rows, and every problem found (by line)."""

    drafts: tuple[ProductDraft, ...] = ()
    problems: tuple[Problem, ...] = ()


def _header(text: str) -> csv.Dialect | type[csv.Dialect]:
    first = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_csv(text: str, *, digits: int) -> ParsedList:
    """A product list from CSV text with a header row naming the columns (``sku``, ``name``,
    ``price``; optional ``category``, ``favourite``), separated by commas, semicolons or tabs.
    Prices are amounts as people type them (``3.50``). A SKU given twice is a problem on its
    second line; at most :data:`MAX_IMPORT_ROWS` rows."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), dialect=_header(text))
    names = [(n or "").strip().lower() for n in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return ParsedList(problems=(Problem(
            field="csv", line=1,
            message=N_("the first line must name the columns %(columns)s"),
            params={"columns": ", ".join(REQUIRED_COLUMNS)}),))
    reader.fieldnames = names
    drafts: list[ProductDraft] = []
    found: list[Problem] = []
    seen: set[str] = set()
    for count, row in enumerate(reader):
        line = reader.line_num
        if count >= MAX_IMPORT_ROWS:
            found.append(Problem(
                field="csv", line=line, message=N_("at most %(limit)s products in one import"),
                params={"limit": MAX_IMPORT_ROWS}))
            break
        row_problems, draft = _row(row, digits=digits)
        if draft.sku and draft.sku in seen:
            row_problems.append(Problem(field="sku",
                                        message=N_("this SKU is on an earlier line")))
        seen.add(draft.sku)
        found.extend(Problem(field=p.field, message=p.message, params=p.params, line=line)
                     for p in row_problems)
        if not row_problems:
            drafts.append(draft)
    return ParsedList(drafts=tuple(drafts), problems=tuple(found))


def _row(row: dict[str | None, str | list[str] | None],
         *, digits: int) -> tuple[list[Problem], ProductDraft]:
    def cell(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    found: list[Problem] = []
    price, priced = 0, True
    try:
        price = parse_price(cell("price"), digits=digits)
    except ValueError as exc:
        priced = False
        found.append(Problem(field="price", message=str(exc), params={"digits": digits}))
    favourite = _flag(cell("favourite"))
    if favourite is None:
        found.append(Problem(field="favourite", message=N_("write yes or no")))
    draft = ProductDraft(sku=cell("sku"), name=cell("name"), price_minor=price,
                         category=cell("category"), favourite=bool(favourite))
    found.extend(Problem(field="price", message=p.message, params=p.params)
                 if p.field == "price_minor" else p
                 for p in problems(draft) if priced or p.field != "price_minor")
    return found, draft
