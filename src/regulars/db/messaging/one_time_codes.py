"""One-time codes sent to members' phones: issued, counted for the rate caps, tried and
used, each with a conditional update so parallel requests cannot exceed a cap.

Every query is scoped by ``tenant_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from regulars.db.messaging.tables import otp_codes
from regulars.db.tenancy.tables import terminals


def lock_terminal(conn: Connection, tenant_id: int, terminal_id: int) -> None:
    """Serialise code issue per till (PostgreSQL row lock; SQLite writes are serial)."""
    query = select(terminals.c.id).where(terminals.c.tenant_id == tenant_id,
                                         terminals.c.id == terminal_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    conn.execute(query).one_or_none()


def count_codes(conn: Connection, tenant_id: int, *, since: datetime,
                phone_hash: str | None = None,
                terminal_id: int | None = None, client_key: str | None = None) -> int:
    query = select(func.count()).select_from(otp_codes).where(
        otp_codes.c.tenant_id == tenant_id, otp_codes.c.created_at > since)
    if phone_hash is not None:
        query = query.where(otp_codes.c.phone_hash == phone_hash)
    if terminal_id is not None:
        query = query.where(otp_codes.c.terminal_id == terminal_id)
    if client_key is not None:
        query = query.where(otp_codes.c.client_key == client_key)
    return int(conn.execute(query).scalar_one())


def insert_code(conn: Connection, *, tenant_id: int, phone_hash: str, purpose: str, salt: str,
                code_hash: str, terminal_id: int | None, expires_at: datetime,
                now: datetime, client_key: str | None = None) -> int:
    return int(conn.execute(insert(otp_codes).values(
        tenant_id=tenant_id, phone_hash=phone_hash, purpose=purpose, salt=salt, code_hash=code_hash,
        terminal_id=terminal_id, client_key=client_key, attempts=0, created_at=now,
        expires_at=expires_at)
        .returning(otp_codes.c.id)).scalar_one())


def newest_code(conn: Connection, tenant_id: int, phone_hash: str,
                purpose: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(otp_codes).where(otp_codes.c.tenant_id == tenant_id,
                                otp_codes.c.phone_hash == phone_hash,
                                otp_codes.c.purpose == purpose)
        .order_by(otp_codes.c.id.desc()).limit(1)).one_or_none()
    return dict(row._mapping) if row else None


def take_attempt(conn: Connection, tenant_id: int, code_id: int, *, max_attempts: int,
                 now: datetime) -> bool:
    """Count one attempt against a code that is unused, unexpired and under its cap: one
    conditional update, so parallel guesses cannot exceed the cap."""
    c = otp_codes
    return conn.execute(update(c).where(
        c.c.tenant_id == tenant_id, c.c.id == code_id, c.c.used_at.is_(None),
        c.c.expires_at > now, c.c.attempts < max_attempts)
        .values(attempts=c.c.attempts + 1)).rowcount == 1


def use_code(conn: Connection, tenant_id: int, code_id: int, now: datetime) -> bool:
    """Mark a code used; False when another request used it first."""
    c = otp_codes
    return conn.execute(update(c).where(c.c.tenant_id == tenant_id, c.c.id == code_id,
                                        c.c.used_at.is_(None))
                        .values(used_at=now)).rowcount == 1


def delete_codes_of(conn: Connection, tenant_id: int, phone_hash: str) -> int:
    """Delete every code sent to one number (an erased member's); how many."""
    return int(conn.execute(delete(otp_codes).where(
        otp_codes.c.tenant_id == tenant_id, otp_codes.c.phone_hash == phone_hash)).rowcount)


def purge_codes(conn: Connection, tenant_id: int, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the tenant's codes issued before ``before`` (oldest first);
    how many."""
    ids = select(otp_codes.c.id).where(
        otp_codes.c.tenant_id == tenant_id, otp_codes.c.created_at < before
    ).order_by(otp_codes.c.created_at).limit(limit).scalar_subquery()
    return int(conn.execute(delete(otp_codes).where(otp_codes.c.tenant_id == tenant_id,
                                                    otp_codes.c.id.in_(ids))).rowcount)
