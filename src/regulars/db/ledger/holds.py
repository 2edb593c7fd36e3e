"""Holds: points reserved at quote time for a later commit, in the caller's transaction.

A hold raises the account's ``held``; a commit captures it, a void or a later write releases
it, and a hold past its expiry reserves nothing (it is released by the next write that meets
it). Placing one is a conditional update of the account row, so concurrent holds and spends
cannot reserve more than the member has. No function here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from regulars.db.ledger.ledger import Shortfall
from regulars.db.ledger.spendable import open_lots
from regulars.db.ledger.tables import accounts, holds
from regulars.domain.ledger.ledger import spendable_lots


def release_expired_holds(conn: Connection, tenant_id: int, account_id: int,
                          now: datetime) -> None:
    rows = conn.execute(
        update(holds).where(holds.c.tenant_id == tenant_id, holds.c.account_id == account_id,
                            holds.c.status == "open", holds.c.expires_at <= now)
        .values(status="released").returning(holds.c.points)
    ).all()
    released = sum(r.points for r in rows)
    if released:
        conn.execute(update(accounts).where(accounts.c.id == account_id)
                     .values(held=accounts.c.held - released))


def place_hold(conn: Connection, tenant_id: int, account_id: int, points: int, *,
               terminal_id: int | None, now: datetime, expires_at: datetime) -> int:
    """Reserve ``points`` for a later commit. Raises :class:`Shortfall` if they are not free."""
    release_expired_holds(conn, tenant_id, account_id, now)
    changed = conn.execute(
        update(accounts).where(accounts.c.id == account_id,
                               accounts.c.balance - accounts.c.held >= points)
        .values(held=accounts.c.held + points)
    ).rowcount
    if changed != 1:
        raise Shortfall("not enough points to hold")
    state = conn.execute(select(accounts.c.held, accounts.c.debt)
                         .where(accounts.c.id == account_id)).one()
    free_lots = sum(lot.remaining for lot in
                    spendable_lots(open_lots(conn, tenant_id, account_id), now))
    if free_lots - state.held - state.debt < 0:
        raise Shortfall("not enough spendable points to hold")
    return int(conn.execute(
        insert(holds).values(tenant_id=tenant_id, account_id=account_id, points=points,
                             terminal_id=terminal_id, status="open", created_at=now,
                             expires_at=expires_at).returning(holds.c.id)
    ).scalar_one())


def unhold(conn: Connection, account_id: int, points: int) -> None:
    """Free ``points`` of a captured hold that the commit did not spend."""
    conn.execute(update(accounts).where(accounts.c.id == account_id)
                 .values(held=accounts.c.held - points))


def capture_hold(conn: Connection, tenant_id: int, hold_id: int, account_id: int,
                 now: datetime) -> int:
    """Mark an open, unexpired hold captured; return its points (0 if it is gone)."""
    row = conn.execute(
        update(holds).where(holds.c.id == hold_id, holds.c.tenant_id == tenant_id,
                            holds.c.account_id == account_id, holds.c.status == "open",
                            holds.c.expires_at > now)
        .values(status="captured").returning(holds.c.points)
    ).one_or_none()
    return int(row.points) if row else 0


def release_hold(conn: Connection, tenant_id: int, hold_id: int,
                 terminal_id: int | None) -> bool:
    """Release an open hold of this till (any till's when ``terminal_id`` is None).

    Returns ``False`` when the hold is unknown to this tenant or belongs to another till;
    releasing a hold that is already captured, released or expired is a no-op.
    """
    found = conn.execute(select(holds.c.terminal_id).where(
        holds.c.id == hold_id, holds.c.tenant_id == tenant_id)).one_or_none()
    if found is None or (terminal_id is not None and found.terminal_id != terminal_id):
        return False
    row = conn.execute(update(holds).where(holds.c.id == hold_id, holds.c.status == "open")
                       .values(status="released")
                       .returning(holds.c.points, holds.c.account_id)).one_or_none()
    if row is not None:
        conn.execute(update(accounts).where(accounts.c.id == row.account_id)
                     .values(held=accounts.c.held - row.points))
    return True


def hold_account(conn: Connection, tenant_id: int, hold_id: int) -> int | None:
    """The account a hold of this tenant reserves points on (``None``: no such hold)."""
    value = conn.execute(select(holds.c.account_id).where(
        holds.c.id == hold_id, holds.c.tenant_id == tenant_id)).scalar_one_or_none()
    return None if value is None else int(value)
