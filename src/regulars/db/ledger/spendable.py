"""What a member may spend: open lots, holds still in force, and spendable points.

Reads only, in the caller's transaction. Spendable points start from the cached balance (the
open lots less debt, as :func:`regulars.db.ledger.ledger.reconcile` checks) less the lots that
cannot
be spent at ``now`` and the holds still in force; the statements are built once, here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from regulars.db.ledger.ledger import ASSET, AccountState
from regulars.db.ledger.tables import accounts, holds, lots
from regulars.domain.ledger.ledger import Lot


def unspendable_lots(account_id: Any) -> Any:
    """Points in the open lots of ``account_id`` (a column or bind parameter) that cannot be
    spent at the bind parameter ``now``: pending ones (available later) and due ones (expired,
    not yet taken by the expiry run), each counted once. Bind parameter ``tenant_id`` too.

    Spendable points start from the cached balance, which equals the open lots less debt (the
    invariant :func:`~regulars.db.ledger.ledger.reconcile` checks), so only these few lots are read,
    through ``ix_lots_pending`` and ``ix_lots_open``, however many lots the member has
    gathered.
    """
    now = bindparam("now", type_=lots.c.available_at.type)
    # ``is_open`` (``remaining > 0``, kept by the database) is the partial indexes' own
    # condition, with no parameter: a prepared statement's generic plan may use them.
    open_lot = (lots.c.tenant_id == bindparam("tenant_id"), lots.c.account_id == account_id,
                lots.c.is_open)
    # Each read through its own index; a lot both pending and due counts with the due ones.
    pending = (select(func.coalesce(func.sum(lots.c.remaining), 0))
               .where(*open_lot, lots.c.available_at > now,
                      lots.c.expires_at.is_(None) | (lots.c.expires_at > now))
               .scalar_subquery())
    due = (select(func.coalesce(func.sum(lots.c.remaining), 0))
           .where(*open_lot, lots.c.expires_at <= now).scalar_subquery())
    return pending + due


def spendable_of(*, balance: int, held: int, unspendable: int, lapsed: int) -> int:
    """Points the member may spend: spendable lots less live holds and debt. The spendable
    lots are the open lots (``balance`` + debt) less the ``unspendable`` ones, so debt cancels
    out; live holds are ``held`` less the ``lapsed`` holds past their expiry."""
    live = held - lapsed if held else 0
    return max(0, balance - unspendable - live)


_LAPSED_HOLDS = (
    select(func.coalesce(func.sum(holds.c.points), 0))
    .where(holds.c.tenant_id == bindparam("tenant_id"), holds.c.account_id == accounts.c.id,
           holds.c.status == "open", holds.c.expires_at <= bindparam("now"))
    .scalar_subquery())
_STATE_AND_SPENDABLE = (
    select(accounts.c.id, accounts.c.balance, accounts.c.held, accounts.c.debt,
           unspendable_lots(accounts.c.id).label("unspendable"),
           _LAPSED_HOLDS.label("lapsed"))
    .where(accounts.c.tenant_id == bindparam("tenant_id"),
           accounts.c.member_id == bindparam("member_id"), accounts.c.asset == ASSET))


def state_and_spendable(conn: Connection, tenant_id: int, member_id: int,
                        now: datetime) -> tuple[AccountState, int]:
    """:func:`~regulars.db.ledger.ledger.account_state` and :func:`spendable_points` at ``now``, in
    one statement."""
    row = conn.execute(_STATE_AND_SPENDABLE, {"tenant_id": tenant_id, "member_id": member_id,
                                              "now": now}).one()
    state = AccountState(id=row.id, balance=row.balance, held=row.held, debt=row.debt)
    return state, spendable_of(balance=state.balance, held=state.held,
                               unspendable=int(row.unspendable), lapsed=int(row.lapsed))


_OPEN_LOTS = (select(lots.c.id, lots.c.remaining, lots.c.available_at, lots.c.expires_at)
              .where(lots.c.tenant_id == bindparam("tenant_id"),
                     lots.c.account_id == bindparam("account_id"), lots.c.is_open))


def open_lots(conn: Connection, tenant_id: int, account_id: int) -> list[Lot]:
    rows = conn.execute(_OPEN_LOTS, {"tenant_id": tenant_id, "account_id": account_id}).all()
    return [Lot(id=r.id, remaining=r.remaining, available_at=r.available_at,
                expires_at=r.expires_at) for r in rows]


def live_held(conn: Connection, tenant_id: int, state: AccountState, now: datetime) -> int:
    """Points reserved by holds still in force at ``now``.

    ``state.held`` still counts holds past their expiry until a write releases them (see
    :func:`~regulars.db.ledger.holds.release_expired_holds`); those reserve nothing any more
    and are not counted.
    """
    if state.held == 0:
        return 0
    lapsed = conn.execute(_LAPSED, {"tenant_id": tenant_id, "account_id": state.id,
                                    "now": now}).scalar_one()
    return state.held - int(lapsed)


_LAPSED = (select(func.coalesce(func.sum(holds.c.points), 0))
           .where(holds.c.tenant_id == bindparam("tenant_id"),
                  holds.c.account_id == bindparam("account_id"),
                  holds.c.status == "open", holds.c.expires_at <= bindparam("now")))
_UNSPENDABLE = select(unspendable_lots(bindparam("account_id")))


def spendable_points(conn: Connection, tenant_id: int, state: AccountState,
                     now: datetime) -> int:
    """Points the member may spend at ``now``: spendable lots less live holds and debt."""
    unspendable = conn.execute(_UNSPENDABLE, {"tenant_id": tenant_id, "account_id": state.id,
                                              "now": now}).scalar_one()
    live = live_held(conn, tenant_id, state, now)
    return spendable_of(balance=state.balance, held=state.held, unspendable=int(unspendable),
                        lapsed=state.held - live)
