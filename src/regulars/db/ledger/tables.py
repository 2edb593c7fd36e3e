"""Tables of the ledger area.

The points ledger: accounts, entries, postings, lots, holds and expiry.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

accounts = Table(
    "accounts", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("system_code", String(20), nullable=True),
    Column("asset", String(20), nullable=False),
    # Cached in the same transaction as every posting; system accounts keep 0 here (their
    # balance is the sum of their postings) so that no commit contends on one hot row.
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("held", BigInteger, nullable=False, server_default="0"),
    Column("debt", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "member_id", "asset"),
    UniqueConstraint("tenant_id", "system_code", "asset"),
    CheckConstraint("held >= 0", name="held_nonneg"),
    CheckConstraint("debt >= 0", name="debt_nonneg"),
    # Room on each page for the new version of a row whose balance a commit moves, so that
    # the update stays on the page and writes no index entry (a heap-only update).
    postgresql_with={"fillfactor": 90},
)


entries = Table(
    "entries", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("code", String(20), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=True),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("program_version", Integer, nullable=True),
    Column("reverses_entry_id", Id, ForeignKey("entries.id"), nullable=True),
    Column("points", BigInteger, nullable=False),
    # The asset of the entry's postings (the figures count entries of points only). Every
    # write names it; the default is the asset of the entries written before the column.
    Column("asset", String(20), nullable=False, server_default="points"),
    Column("memo", JSON, nullable=False),
    timestamp("occurred_at"),
    timestamp("recorded_at"),
    UniqueConstraint("tenant_id", "idempotency_key"),
    Index(None, "tenant_id", "member_id", "id"),
    # Look-ups by receipt always name one; most entries of a bulk run (expiry) have none.
    Index(None, "tenant_id", "receipt_id", postgresql_where=text("receipt_id IS NOT NULL"),
          sqlite_where=text("receipt_id IS NOT NULL")),
)


postings = Table(
    "postings", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    CheckConstraint("amount <> 0", name="nonzero"),
    Index(None, "tenant_id", "account_id"),
    Index(None, "tenant_id", "entry_id"),
)


lots = Table(
    "lots", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    # Points of this lot the expiry run has taken: a refund of the receipt that earned them
    # forgives that part instead of taking the points a second time.
    Column("expired", BigInteger, nullable=False, server_default="0"),
    timestamp("available_at"),
    timestamp("expires_at", nullable=True),
    # Whether points are left in the lot, kept by the database (stored; migration 0074 adds
    # it to an SQLite table as computed when read). The partial indexes name it and not
    # ``remaining``: a spend that leaves points in a lot changes no column an index names,
    # so its update stays on the page and writes no index entry (a heap-only update).
    Column("is_open", Boolean, Computed("remaining > 0", persisted=True), nullable=False),
    CheckConstraint("remaining >= 0 and remaining <= amount", name="remaining_range"),
    Index("ix_lots_open", "tenant_id", "account_id", "expires_at",
          postgresql_where=text("is_open"), sqlite_where=text("is_open = 1")),
    Index("ix_lots_due", "tenant_id", "expires_at",
          postgresql_where=text("is_open"), sqlite_where=text("is_open = 1")),
    # The open lots not yet available (pending), which spendable points leave out.
    Index("ix_lots_pending", "tenant_id", "account_id", "available_at",
          postgresql_where=text("is_open"), sqlite_where=text("is_open = 1")),
    postgresql_with={"fillfactor": 90},
)


lot_moves = Table(
    "lot_moves", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index(None, "tenant_id", "entry_id"),
)


holds = Table(
    "holds", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("points", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    timestamp("created_at"),
    timestamp("expires_at"),
    CheckConstraint("points > 0", name="positive"),
    CheckConstraint("status in ('open', 'captured', 'released')", name="status"),
    Index(None, "tenant_id", "account_id", "status"),
)
