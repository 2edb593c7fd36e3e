"""Tables of the rewards area.

Action rewards: referrals (over several levels), birthdays, profiles, events.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

# Rewards -----------------------------------------------------------------------------------------

reward_settings = Table(
    "reward_settings", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("settings", JSON, nullable=False),
    timestamp("updated_at"),
    UniqueConstraint("tenant_id"),
)


referrals = Table(
    "referrals", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("referred_id", Id, ForeignKey("members.id"), nullable=False),
    Column("referrer_id", Id, ForeignKey("members.id"), nullable=True),
    Column("status", String(10), nullable=False),
    Column("reason", String(20), nullable=True),
    # The terms at the moment of linking: a later change of settings does not alter them.
    Column("trigger", String(20), nullable=False),
    Column("referrer_points", BigInteger, nullable=False),
    Column("referred_points", BigInteger, nullable=False),
    # Points for the referrer's own referrer, and theirs, and so on (levels 2, 3, ...).
    Column("chain_points", JSON, nullable=True),
    timestamp("created_at"),
    timestamp("settled_at", nullable=True),
    # The first purchase that settled it, and when a full refund of it reversed the payments.
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=True),
    timestamp("reversed_at", nullable=True),
    UniqueConstraint("tenant_id", "referred_id"),
    Index(None, "tenant_id", "referrer_id"),
    Index(None, "tenant_id", "trigger", "settled_at"),
    CheckConstraint("status in ('linked', 'refused')", name="status"),
)


reward_events = Table(
    "reward_events", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("event_id", String(200), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=True),
    Column("data", JSON, nullable=False),
    timestamp("occurred_at"),
    UniqueConstraint("tenant_id", "event_id"),
    Index(None, "tenant_id", "member_id", "type", "occurred_at"),
)
