"""Each tenant's data retention periods (days), one row or none (the defaults)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.tenancy.tables import data_retention as t


def get_retention(conn: Connection, tenant_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(t.c.otp_days, t.c.idempotency_days, t.c.updated_at)
                       .where(t.c.tenant_id == tenant_id)).one_or_none()
    return dict(row._mapping) if row else None


def put_retention(conn: Connection, tenant_id: int, *, otp_days: int, idempotency_days: int,
                  now: datetime) -> None:
    values = {"tenant_id": tenant_id, "otp_days": otp_days,
              "idempotency_days": idempotency_days, "updated_at": now}
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(t).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["tenant_id"], set_={
        "otp_days": otp_days, "idempotency_days": idempotency_days, "updated_at": now}))
