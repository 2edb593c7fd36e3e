"""Wallet pass credentials, issued passes and the devices registered for their updates:
reads and writes of the passes area's tables. The credentials are read only by the
pass-making use cases; no answer returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regulars.db.ledger.tables import entries
from regulars.db.passes.tables import pass_settings, wallet_pass_registrations, wallet_passes


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


def pass_of(conn: Connection, tenant_id: int, serial: str, *, lock: bool = False
            ) -> dict[str, Any] | None:
    """The pass with this serial (id, member, token digest, made at); with ``lock`` its row
    is locked until the transaction ends (a write unit of work)."""
    w = wallet_passes.c
    query = select(w.id, w.member_id, w.serial, w.token_digest, w.created_at).where(
        w.tenant_id == tenant_id, w.serial == serial)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def register_device(conn: Connection, tenant_id: int, pass_id: int, *, device: str,
                    push_token: str, max_devices: int, now: datetime) -> bool:
    """Register ``device`` for the pass's updates (its push token replaced when it already
    was); ``True`` when it is new. A pass keeps its ``max_devices`` latest registrations:
    the oldest goes. The caller holds the pass's row lock (:func:`pass_of` with ``lock``),
    so concurrent registrations of one pass take turns and the bound holds."""
    r = wallet_pass_registrations.c
    mine = (r.tenant_id == tenant_id, r.pass_id == pass_id)
    known = conn.execute(update(wallet_pass_registrations).where(*mine, r.device == device)
                         .values(push_token=push_token)).rowcount
    if known:
        return False
    kept = conn.execute(select(r.id).where(*mine).order_by(r.id.desc())
                        .limit(max_devices - 1)).scalars().all()
    conn.execute(delete(wallet_pass_registrations).where(*mine, r.id.not_in(kept)))
    conn.execute(insert(wallet_pass_registrations).values(
        tenant_id=tenant_id, pass_id=pass_id, device=device, push_token=push_token,
        created_at=now))
    return True


def unregister_device(conn: Connection, tenant_id: int, pass_id: int, *, device: str) -> None:
    r = wallet_pass_registrations.c
    conn.execute(delete(wallet_pass_registrations).where(
        r.tenant_id == tenant_id, r.pass_id == pass_id, r.device == device))


def passes_of_device(conn: Connection, tenant_id: int, device: str) -> list[dict[str, Any]]:
    """The passes ``device`` is registered for: serial, member and when each was made."""
    r, w = wallet_pass_registrations.c, wallet_passes.c
    rows = conn.execute(select(w.serial, w.member_id, w.created_at)
                        .join_from(wallet_pass_registrations, wallet_passes,
                                   (w.tenant_id == r.tenant_id) & (w.id == r.pass_id))
                        .where(r.tenant_id == tenant_id, r.device == device)
                        .order_by(w.serial)).mappings()
    return [dict(row) for row in rows]


def last_entry_at(conn: Connection, tenant_id: int, member_id: int) -> datetime | None:
    """When the member's latest ledger entry was recorded (``None``: no entry yet): the
    moment its balance or level last had a reason to change. Reads one index entry."""
    e = entries.c
    latest = select(func.max(e.id)).where(e.tenant_id == tenant_id,
                                          e.member_id == member_id).scalar_subquery()
    return conn.execute(select(e.recorded_at).where(e.tenant_id == tenant_id,
                                                    e.id == latest)).scalar()
