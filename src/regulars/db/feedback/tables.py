"""Tables of the feedback area.

``feedback``: a member's rating of one receipt (1 to 5, an optional comment), one per
receipt, with the store and cashier of the receipt copied so that the console's figures per
store and cashier read one table; the business's reply and when it was answered.
``faq_entries``: the business's questions and answers, per language, in their order.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

feedback = Table(
    "feedback", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=False),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("rating", SmallInteger, nullable=False),
    Column("comment", String(1000), nullable=True),
    Column("source", String(10), nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
    Column("reply", String(1000), nullable=True),
    timestamp("answered_at", nullable=True),
    Column("answered_by", Id, ForeignKey("staff.id"), nullable=True),
    UniqueConstraint("tenant_id", "receipt_id"),
    Index(None, "tenant_id", "created_at"),
    CheckConstraint("rating between 1 and 5", name="rating"),
    CheckConstraint("source in ('link', 'page', 'demo')", name="source"),
)


faq_entries = Table(
    "faq_entries", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("language", String(2), nullable=False),
    Column("position", Integer, nullable=False),
    Column("question", String(200), nullable=False),
    Column("answer", String(2000), nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
    Index(None, "tenant_id", "language", "position"),
)
