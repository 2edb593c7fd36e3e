"""Tables of the rewards area.

Action rewards: referrals (over several levels), birthdays, profiles, events; and the
rewards catalogue: rewards bought with points, their stock per day, and their claims.

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
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
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


# The rewards catalogue -------------------------------------------------------------------------

catalog_rewards = Table(
    "catalog_rewards", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("kind", String(10), nullable=False),
    Column("points_cost", BigInteger, nullable=False),
    Column("sku", String(64), nullable=False, server_default=""),
    Column("category", String(64), nullable=False, server_default=""),
    Column("max_price_minor", BigInteger, nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("rate_bp", Integer, nullable=True),
    # The business's own cost of one reward; none: what it takes off the bill.
    Column("cost_minor", BigInteger, nullable=True),
    timestamp("valid_from", nullable=True),
    timestamp("valid_until", nullable=True),
    Column("store_ids", JSON, nullable=False),
    Column("level_codes", JSON, nullable=False),
    Column("stock_total", BigInteger, nullable=True),
    Column("stock_per_day", BigInteger, nullable=True),
    # Counted up by one conditional update per claim, never past ``stock_total``.
    Column("issued", BigInteger, nullable=False, server_default="0"),
    Column("titles", JSON, nullable=False),
    Column("descriptions", JSON, nullable=False),
    Column("picture_url", String(500), nullable=False, server_default=""),
    Column("claim_days", Integer, nullable=False),
    Column("refund_on_expiry", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
    Index(None, "tenant_id", "active"),
    CheckConstraint("kind in ('product', 'fixed', 'percent', 'perk')", name="kind"),
    CheckConstraint("points_cost > 0", name="points_cost"),
    CheckConstraint("stock_total is null or issued <= stock_total", name="issued"),
)


catalog_reward_days = Table(
    "catalog_reward_days", metadata,
    tenant_column(),
    Column("reward_id", Id, ForeignKey("catalog_rewards.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("issued", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "reward_id", "day"),
)


reward_claims = Table(
    "reward_claims", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("reward_id", Id, ForeignKey("catalog_rewards.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    # A claim in advance: its one-time code as a keyed digest, the spend entry that paid it.
    Column("code_digest", String(64), nullable=True),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=True),
    timestamp("claimed_at"),
    timestamp("expires_at", nullable=True),
    timestamp("used_at", nullable=True),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=True),
    Column("line_no", Integer, nullable=True),
    Column("discount_minor", BigInteger, nullable=False, server_default="0"),
    Column("cost_minor", BigInteger, nullable=False, server_default="0"),
    timestamp("closed_at", nullable=True),
    UniqueConstraint("tenant_id", "code_digest"),
    Index(None, "tenant_id", "member_id", "status"),
    Index(None, "tenant_id", "status", "expires_at"),
    Index(None, "tenant_id", "receipt_id"),
    Index(None, "tenant_id", "reward_id"),
    CheckConstraint("status in ('claimed', 'used', 'expired', 'refunded')", name="status"),
)
