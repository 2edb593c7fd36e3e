"""Tables of the program area.

The base program: versions, levels and qualifying spend, the terms in words.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

programs = Table(
    "programs", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("version", Integer, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "version"),
)


spend_days = Table(
    # A member's qualifying spend (paid less refunded, voided receipts left out) per local day
    # of the tenant's time zone, kept by every write that changes it, so that the level
    # windows sum a row per day with purchases instead of every receipt. ``last_at`` is never
    # earlier than the latest receipt counted in the row (see docs/ledger.md).
    "spend_days", metadata,
    tenant_column(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    timestamp("last_at"),
    PrimaryKeyConstraint("tenant_id", "member_id", "day"),
)
