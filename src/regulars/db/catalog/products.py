"""Products: insert, change, find and list them. Every query is scoped by ``tenant_id``;
another tenant's product is not found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from regulars.db.catalog.tables import products

_COLUMNS = (products.c.id, products.c.sku, products.c.name, products.c.price_minor,
            products.c.category, products.c.favourite, products.c.active)


def _like_literal(text: str) -> str:
    """``text`` matched as itself by LIKE ... ESCAPE '\\': ``%`` and ``_`` are no wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "name_folded": str(values["name"]).casefold()[:200]}


def insert_product(conn: Connection, tenant_id: int, values: dict[str, Any],
                   now: datetime) -> int:
    """A new product (``sku``, ``name``, ``price_minor``, ``category``, ``favourite``);
    a SKU the tenant already has raises ``UniqueViolation`` at the unit of work."""
    return int(conn.execute(insert(products).values(
        tenant_id=tenant_id, created_at=now, updated_at=now, active=True,
        **_values(values)).returning(products.c.id)).scalar_one())


def update_product(conn: Connection, tenant_id: int, product_id: int, values: dict[str, Any],
                   now: datetime) -> bool:
    """Change a product's fields (``name`` among them, or ``active`` alone); False when
    the tenant has no such product."""
    if "name" in values:
        values = _values(values)
    return conn.execute(update(products).where(
        products.c.tenant_id == tenant_id, products.c.id == product_id).values(
        updated_at=now, **values)).rowcount == 1


def get_product(conn: Connection, tenant_id: int, product_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(*_COLUMNS).where(
        products.c.tenant_id == tenant_id, products.c.id == product_id)).one_or_none()
    return dict(row._mapping) if row else None


def ids_by_sku(conn: Connection, tenant_id: int, skus: Sequence[str]) -> dict[str, int]:
    """The ids of the tenant's products with these SKUs (active or not)."""
    found: dict[str, int] = {}
    for start in range(0, len(skus), 500):
        rows = conn.execute(select(products.c.sku, products.c.id).where(
            products.c.tenant_id == tenant_id, products.c.sku.in_(skus[start:start + 500])))
        found.update({str(r.sku): int(r.id) for r in rows})
    return found


def list_products(conn: Connection, tenant_id: int, *, text: str | None, active_only: bool,
                  favourites_only: bool = False, limit: int,
                  offset: int = 0) -> list[dict[str, Any]]:
    """Products by name (active first), matching ``text`` in the name (any case) or at the
    start of the SKU when given."""
    query = select(*_COLUMNS).where(products.c.tenant_id == tenant_id)
    if active_only:
        query = query.where(products.c.active.is_(True))
    if favourites_only:
        query = query.where(products.c.favourite.is_(True))
    if text:
        query = query.where(or_(
            products.c.name_folded.like(f"%{_like_literal(text.casefold())}%", escape="\\"),
            func.upper(products.c.sku).like(f"{_like_literal(text.upper())}%",
                                           escape="\\")))
    rows = conn.execute(query.order_by(products.c.active.desc(), products.c.name_folded,
                                       products.c.id).limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows]


def count_products(conn: Connection, tenant_id: int, *, text: str | None = None) -> int:
    query = select(func.count()).select_from(products).where(products.c.tenant_id == tenant_id)
    if text:
        query = query.where(or_(
            products.c.name_folded.like(f"%{_like_literal(text.casefold())}%", escape="\\"),
            func.upper(products.c.sku).like(f"{_like_literal(text.upper())}%",
                                           escape="\\")))
    return int(conn.execute(query).scalar_one())
