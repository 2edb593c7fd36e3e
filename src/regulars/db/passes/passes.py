"""Wallet pass credentials and issued passes: reads and writes of the passes area's tables.
The credentials are read only by the pass-making use cases; no answer returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.passes.tables import pass_settings, wallet_passes


def settings_of(conn: Connection, tenant_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(pass_settings).where(
        pass_settings.c.tenant_id == tenant_id)).mappings().first()
    return dict(row) if row is not None else None


def save_settings(conn: Connection, tenant_id: int, *, now: datetime,
                  **values: str | None) -> None:
    """Set these credential columns of the tenant's row (made when missing)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(pass_settings).values(tenant_id=tenant_id, updated_at=now)
                 .on_conflict_do_nothing(index_elements=[pass_settings.c.tenant_id]))
    conn.execute(update(pass_settings).where(pass_settings.c.tenant_id == tenant_id)
                 .values(updated_at=now, **values))


def issue_pass(conn: Connection, tenant_id: int, member_id: int, *, serial: str,
               token_digest: str, now: datetime) -> str:
    """The member's pass serial (``serial`` for a first pass) with ``token_digest`` as its
    web service token from now on."""
    found = conn.execute(select(wallet_passes.c.serial).where(
        wallet_passes.c.tenant_id == tenant_id, wallet_passes.c.member_id == member_id)
        .with_for_update()).scalar()
    if found is None:
        conn.execute(insert(wallet_passes).values(
            tenant_id=tenant_id, member_id=member_id, serial=serial,
            token_digest=token_digest, created_at=now))
        return serial
    conn.execute(update(wallet_passes).where(
        wallet_passes.c.tenant_id == tenant_id, wallet_passes.c.member_id == member_id)
        .values(token_digest=token_digest))
    return str(found)


def token_digest_of(conn: Connection, tenant_id: int, serial: str) -> str | None:
    return conn.execute(select(wallet_passes.c.token_digest).where(
        wallet_passes.c.tenant_id == tenant_id, wallet_passes.c.serial == serial)).scalar()
