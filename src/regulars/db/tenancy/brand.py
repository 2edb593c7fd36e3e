"""Each business's logo and colours: one row or none (Regulars' own look)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.tenancy.tables import business_brands as t


def get_brand(conn: Connection, tenant_id: int) -> dict[str, Any] | None:
    """The colours and the logo's type and digest, without the image itself."""
    row = conn.execute(select(t.c.brand_colour, t.c.header_colour, t.c.logo_type,
                              t.c.logo_sha256, t.c.updated_at)
                       .where(t.c.tenant_id == tenant_id)).one_or_none()
    return dict(row._mapping) if row else None


def get_logo(conn: Connection, tenant_id: int) -> tuple[str, bytes, str] | None:
    """The logo's content type, bytes and SHA-256, or ``None`` when there is none."""
    row = conn.execute(select(t.c.logo_type, t.c.logo, t.c.logo_sha256)
                       .where(t.c.tenant_id == tenant_id, t.c.logo.is_not(None))).one_or_none()
    return None if row is None else (row.logo_type, bytes(row.logo), row.logo_sha256)


def put_brand(conn: Connection, tenant_id: int, *, now: datetime,
              **values: Any) -> None:
    """Insert the row or change the given columns (``brand_colour``, ``header_colour``,
    ``logo_type``, ``logo``, ``logo_sha256``)."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    changes = {**values, "updated_at": now}
    stmt = dialect.insert(t).values(tenant_id=tenant_id, **changes)
    conn.execute(stmt.on_conflict_do_update(index_elements=["tenant_id"], set_=changes))
