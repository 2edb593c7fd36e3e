"""Aggregates behind the points liability: the points members hold, by when they expire;
the fate of the points whose expiry date has passed (spent, or expired unspent); and the
members' balances at chosen instants. Points only (the ``points`` asset), members' accounts
only; every query scoped by ``tenant_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from regulars.db.analytics.figures import bucket_of
from regulars.db.ledger.ledger import ASSET
from regulars.db.ledger.tables import accounts, entries, lots, postings


def _member_lots(tenant_id: int) -> list[Any]:
    return [lots.c.tenant_id == tenant_id, accounts.c.member_id.is_not(None),
            accounts.c.asset == ASSET]


_LOT_ACCOUNTS = lots.join(accounts, and_(accounts.c.id == lots.c.account_id,
                                          accounts.c.tenant_id == lots.c.tenant_id))


def outstanding_by_expiry(conn: Connection, tenant_id: int, starts: Sequence[datetime]
                          ) -> tuple[dict[int, int], int]:
    """({bucket of ``starts`` the lots expire in: their remaining points}, points that never
    expire). Lots expiring before ``starts[0]`` (due but not yet expired by the job) count in
    bucket -1, after ``starts[-1]`` in bucket ``len(starts) - 1``."""
    bucket = bucket_of(lots.c.expires_at, starts, after=len(starts) - 1).label("bucket")
    rows = conn.execute(select(bucket, func.sum(lots.c.remaining)).select_from(_LOT_ACCOUNTS)
                        .where(*_member_lots(tenant_id), lots.c.is_open,
                               lots.c.expires_at.is_not(None)).group_by(bucket)).all()
    never = conn.execute(select(func.coalesce(func.sum(lots.c.remaining), 0))
                         .select_from(_LOT_ACCOUNTS)
                         .where(*_member_lots(tenant_id), lots.c.is_open,
                                lots.c.expires_at.is_(None))).scalar_one()
    return {int(r[0]): int(r[1] or 0) for r in rows}, int(never)


@dataclass(frozen=True, kw_only=True)
class Matured:
    """Points of lots whose expiry date is before an instant."""

    issued: int
    unspent: int
    """Expired by the job, or still waiting for it."""
    members: int
    """Members holding any of these lots."""


def matured(conn: Connection, tenant_id: int, now: datetime) -> Matured:
    row = conn.execute(select(func.coalesce(func.sum(lots.c.amount), 0),
                              func.coalesce(func.sum(lots.c.expired + lots.c.remaining), 0),
                              func.count(func.distinct(accounts.c.member_id)))
                       .select_from(_LOT_ACCOUNTS)
                       .where(*_member_lots(tenant_id), lots.c.expires_at < now)).one()
    return Matured(issued=int(row[0]), unspent=int(row[1]), members=int(row[2]))


def balances_at(conn: Connection, tenant_id: int, starts: Sequence[datetime]) -> list[int]:
    """The members' total points balance at each instant of ``starts`` (what the postings to
    members' accounts made before it add up to)."""
    bucket = bucket_of(entries.c.occurred_at, starts, after=len(starts) - 1).label("bucket")
    rows: dict[Any, Any] = dict(conn.execute(
        select(bucket, func.sum(postings.c.amount))
        .select_from(postings.join(entries, and_(entries.c.id == postings.c.entry_id,
                                                 entries.c.tenant_id == postings.c.tenant_id))
                     .join(accounts, and_(accounts.c.id == postings.c.account_id,
                                          accounts.c.tenant_id == postings.c.tenant_id)))
        .where(postings.c.tenant_id == tenant_id, accounts.c.member_id.is_not(None),
               accounts.c.asset == ASSET, entries.c.occurred_at < starts[-1])
        .group_by(bucket)).all())
    running, found = int(rows.get(-1) or 0), []
    for index in range(len(starts)):
        found.append(running)
        running += int(rows.get(index) or 0)
    return found


def outstanding_now(conn: Connection, tenant_id: int) -> int:
    """Points on members' accounts now (the cached balances)."""
    return int(conn.execute(
        select(func.coalesce(func.sum(accounts.c.balance), 0))
        .where(accounts.c.tenant_id == tenant_id, accounts.c.member_id.is_not(None),
               accounts.c.asset == ASSET)).scalar_one())
