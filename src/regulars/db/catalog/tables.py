"""Tables of the catalog area.

Catalog: the products a business sells, picked by cashiers at the till.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

products = Table(
    "products", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    # ``name`` case-folded in Python: the search matches "éclair" and "ÉCLAIR" (and Cyrillic)
    # alike on SQLite, whose lower() knows ASCII only.
    Column("name_folded", String(200), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("category", String(64), nullable=False, server_default=""),
    Column("favourite", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    timestamp("created_at"),
    timestamp("updated_at"),
    UniqueConstraint("tenant_id", "sku"),
    Index(None, "tenant_id", "active", "name_folded"),
    CheckConstraint("price_minor >= 0", name="price_minor"),
)
