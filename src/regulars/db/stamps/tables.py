"""Tables of the stamps area.

A stamp card's definition (``stamp_cards``; its stamps are the ledger asset ``stamps:<id>``)
and what each receipt did to each card (``receipt_stamps``: stamps added per line, stamps
spent on completed cards, the discount they gave and the stamps refunds took back).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

stamp_cards = Table(
    "stamp_cards", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(80), nullable=False),
    Column("skus", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("per_visit", Boolean, nullable=False, server_default=text("false")),
    Column("per_card", Integer, nullable=False),
    Column("reward", String(20), nullable=False),
    Column("discount_minor", BigInteger, nullable=False, server_default="0"),
    Column("grant_at", String(20), nullable=False),
    Column("expiry_days", Integer, nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("titles", JSON, nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
    CheckConstraint("per_card >= 2", name="per_card"),
    CheckConstraint("discount_minor >= 0", name="discount_minor"),
    CheckConstraint("reward in ('free_item', 'discount')", name="reward"),
    CheckConstraint("grant_at in ('completing', 'next')", name="grant_at"),
    UniqueConstraint("tenant_id", "name"),
    Index(None, "tenant_id", "active"),
)


receipt_stamps = Table(
    "receipt_stamps", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("card_id", Id, ForeignKey("stamp_cards.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("added_by_line", JSON, nullable=False),
    Column("added", Integer, nullable=False),
    Column("spent", Integer, nullable=False),
    Column("completed", Integer, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    # Stamps refunds have taken back so far, and of them those the card no longer held.
    Column("reversed", Integer, nullable=False, server_default="0"),
    Column("forgiven", Integer, nullable=False, server_default="0"),
    # The lines (numbers) the completed cards' reward went to, the entry that spent their
    # stamps, and the stamps given back once those lines were refunded in full.
    Column("rewarded_lines", JSON, nullable=True),
    Column("spend_entry_id", Id, nullable=True),
    Column("restored", Integer, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "receipt_id", "card_id"),
)
