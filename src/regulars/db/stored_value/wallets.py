"""Reads of members' money wallets: the statement of one wallet account. The wallet is a
member account of the money asset; it is written through :mod:`regulars.db.ledger.ops` only.
Every query is scoped by ``tenant_id``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from regulars.db.ledger.tables import entries, postings


@dataclass(frozen=True, kw_only=True)
class StatementRow:
    entry_id: int
    code: str
    amount_minor: int
    receipt_id: int | None
    occurred_at: datetime


def statement(conn: Connection, tenant_id: int, account_id: int, *,
              limit: int) -> list[StatementRow]:
    """The account's latest postings with their entries, newest first."""
    rows = conn.execute(
        select(entries.c.id, entries.c.code, postings.c.amount, entries.c.receipt_id,
               entries.c.occurred_at)
        .join(entries, entries.c.id == postings.c.entry_id)
        .where(postings.c.tenant_id == tenant_id, postings.c.account_id == account_id)
        .order_by(entries.c.id.desc()).limit(limit)).all()
    return [StatementRow(entry_id=r.id, code=r.code, amount_minor=int(r.amount),
                         receipt_id=r.receipt_id, occurred_at=r.occurred_at) for r in rows]
