"""The product list: add, change, deactivate and import products, and find them for the till.

Every check runs before anything is written and reports every problem at once
(:func:`check`); a use case refuses with :class:`~regulars.errors.InvalidInput` naming the
first field as the API spells it. An import writes every row or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regulars.db.catalog import products as store
from regulars.db.engine import UniqueViolation
from regulars.domain.catalog.products import (
    MAX_IMPORT_ROWS,
    ParsedList,
    Problem,
    ProductDraft,
    cleaned,
    parse_csv,
    problems,
)
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant, minor_digits

MAX_PAGE = 500
MAX_PICKS = 24
# A list in one request stays under the body cap (REGULARS_MAX_BODY_BYTES) even with every
# character JSON-escaped as a surrogate pair (12 bytes).
MAX_CSV_CHARS = 80_000

__all__ = ["MAX_IMPORT_ROWS", "Problem", "ProductDraft", "check"]


@dataclass(frozen=True, kw_only=True)
class Product:
    id: int
    sku: str
    name: str
    price_minor: int
    category: str
    favourite: bool
    active: bool


@dataclass(frozen=True, kw_only=True)
class ProductPage:
    items: tuple[Product, ...]
    total: int


@dataclass(frozen=True, kw_only=True)
class ImportReport:
    """What an import wrote: products created and products changed (matched by SKU)."""

    created: int
    updated: int


class ImportRefused(InvalidInput):
    """An import with problems: nothing was written; ``problems`` lists every one by line."""

    def __init__(self, found: tuple[Problem, ...]) -> None:
        first = found[0]
        super().__init__("line %(line)s, %(column)s: %(problem)s", field="csv", params={
            "line": first.line, "column": first.field,
            "problem": first.message % first.params if first.params else first.message})
        self.problems = found


def _product(row: dict[str, Any]) -> Product:
    return Product(id=int(row["id"]), sku=str(row["sku"]), name=str(row["name"]),
                   price_minor=int(row["price_minor"]), category=str(row["category"] or ""),
                   favourite=bool(row["favourite"]), active=bool(row["active"]))


def check(draft: ProductDraft) -> list[Problem]:
    """Every problem of ``draft``, each naming its field (``sku``, ``name``, ``price_minor``,
    ``category``)."""
    return problems(draft)


def _checked(draft: ProductDraft) -> dict[str, Any]:
    found = problems(draft)
    if found:
        raise InvalidInput(found[0].message, field=found[0].field, params=found[0].params)
    draft = cleaned(draft)
    return {"sku": draft.sku, "name": draft.name, "price_minor": draft.price_minor,
            "category": draft.category, "favourite": draft.favourite}


def _duplicate(sku: str) -> Conflict:
    return Conflict("another product has the SKU %(sku)s", field="sku",
                    params={"sku": sku.strip()})


def create(rt: Runtime, tenant_id: int, draft: ProductDraft, *, actor: audit.Actor) -> Product:
    """A new, active product. Raises :class:`InvalidInput` (the first problem) or
    :class:`Conflict` on ``sku`` when the business has a product with that SKU."""
    values = _checked(draft)
    try:
        with rt.db.write() as conn:
            product_id = store.insert_product(conn, tenant_id, values, rt.now())
            row = store.get_product(conn, tenant_id, product_id)
            audit.record(conn, tenant_id, actor, "product.create", f"product {product_id}",
                         at=rt.now(), sku=values["sku"])
    except UniqueViolation as exc:
        raise _duplicate(draft.sku) from exc
    assert row is not None
    return _product(row)


def update(rt: Runtime, tenant_id: int, product_id: int, draft: ProductDraft,
           *, actor: audit.Actor) -> Product:
    """Replace a product's SKU, name, price, category and favourite mark (receipts keep
    what they were sold at). Raises :class:`NotFound`, :class:`InvalidInput`,
    :class:`Conflict`."""
    values = _checked(draft)
    try:
        with rt.db.write() as conn:
            if not store.update_product(conn, tenant_id, product_id, values, rt.now()):
                raise NotFound("product not found")
            row = store.get_product(conn, tenant_id, product_id)
            audit.record(conn, tenant_id, actor, "product.update", f"product {product_id}",
                         at=rt.now(), sku=values["sku"])
    except UniqueViolation as exc:
        raise _duplicate(draft.sku) from exc
    assert row is not None
    return _product(row)


def set_active(rt: Runtime, tenant_id: int, product_id: int, *, active: bool,
               actor: audit.Actor) -> Product:
    """Take a product off the till (``active=False``) or put it back; raises
    :class:`NotFound`."""
    with rt.db.write() as conn:
        if not store.update_product(conn, tenant_id, product_id, {"active": active},
                                    rt.now()):
            raise NotFound("product not found")
        row = store.get_product(conn, tenant_id, product_id)
        audit.record(conn, tenant_id, actor,
                     "product.activate" if active else "product.deactivate",
                     f"product {product_id}", at=rt.now())
    assert row is not None
    return _product(row)


def get(rt: Runtime, tenant_id: int, product_id: int) -> Product:
    with rt.db.read() as conn:
        row = store.get_product(conn, tenant_id, product_id)
    if row is None:
        raise NotFound("product not found")
    return _product(row)


def _bounded(text: str | None, limit: int, offset: int) -> str | None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("must lie between 1 and %(limit)s", field="limit",
                           params={"limit": MAX_PAGE})
    if offset < 0:
        raise InvalidInput("must be 0 or more", field="offset")
    if text is not None and len(text) > 200:
        raise InvalidInput("at most %(limit)s characters", field="q", params={"limit": 200})
    return text.strip() if text else None


def list_page(rt: Runtime, tenant_id: int, *, text: str | None = None, limit: int = 50,
              offset: int = 0) -> ProductPage:
    """A page of the business's products (active first, by name) matching ``text`` in the
    name or the start of the SKU, and how many match."""
    text = _bounded(text, limit, offset)
    with rt.db.read() as conn:
        rows = store.list_products(conn, tenant_id, text=text, active_only=False,
                                   limit=limit, offset=offset)
        total = store.count_products(conn, tenant_id, text=text)
    return ProductPage(items=tuple(_product(r) for r in rows), total=total)


def pick(rt: Runtime, tenant_id: int, text: str) -> tuple[Product, ...]:
    """What a cashier may put in a basket: active products matching ``text`` (in the name,
    or the start of the SKU), or the favourites when ``text`` is empty."""
    text = text.strip()[:200]
    with rt.db.read() as conn:
        rows = store.list_products(conn, tenant_id, text=text or None, active_only=True,
                                   favourites_only=not text, limit=MAX_PICKS)
    return tuple(_product(r) for r in rows)


def parse(rt: Runtime, tenant_id: int, text: str) -> ParsedList:
    """``text`` read as a CSV product list in the business's currency, writing nothing."""
    if len(text) > MAX_CSV_CHARS:
        raise InvalidInput("at most %(limit)s characters", field="csv",
                           params={"limit": MAX_CSV_CHARS})
    digits = minor_digits(get_tenant(rt, tenant_id).currency)
    return parse_csv(text, digits=digits)


def import_csv(rt: Runtime, tenant_id: int, text: str, *, actor: audit.Actor) -> ImportReport:
    """Create or change (by SKU) every product of a CSV list (see
    :func:`regulars.domain.catalog.products.parse_csv`), in one transaction: a list with
    any problem raises :class:`ImportRefused` listing them all, and writes nothing. A
    product changed by an import is active again."""
    parsed = parse(rt, tenant_id, text)
    if parsed.problems:
        raise ImportRefused(parsed.problems)
    if not parsed.drafts:
        raise InvalidInput("the list has no products", field="csv")
    created = updated = 0
    now = rt.now()
    try:
        with rt.db.write() as conn:
            known = store.ids_by_sku(conn, tenant_id, [d.sku for d in parsed.drafts])
            for draft in parsed.drafts:
                values = _checked(draft)
                if draft.sku in known:
                    store.update_product(conn, tenant_id, known[draft.sku],
                                         {**values, "active": True}, now)
                    updated += 1
                else:
                    store.insert_product(conn, tenant_id, values, now)
                    created += 1
            audit.record(conn, tenant_id, actor, "import.products", "products", at=now,
                         created=created, updated=updated)
    except UniqueViolation as exc:  # another import added one of these SKUs meanwhile
        raise Conflict("another change to the product list came first; import again",
                       field="csv") from exc
    return ImportReport(created=created, updated=updated)
