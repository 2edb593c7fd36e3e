"""Tables of the members area.

Members: identification, registration, profiles and what members see.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

members = Table(
    "members", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    # Personal data (0033): the phone number sealed and its blind index (db/personal.py).
    Column("phone_sealed", String(120), nullable=True),
    Column("phone_index", String(64), nullable=True),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("email", String(254), nullable=True),
    Column("birthday", Date, nullable=True),
    Column("consent", String(10), nullable=False),
    Column("profile", JSON, nullable=False),
    Column("referrer_id", Id, ForeignKey("members.id"), nullable=True),
    Column("status", String(10), nullable=False),
    Column("merged_into_id", Id, ForeignKey("members.id"), nullable=True),
    Column("level_floor_code", String(64), nullable=True),
    Column("qr_sealed", String(160), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=True),
    timestamp("created_at"),
    # Rewards (0003): the member's own invitation code, and the hash of the device token it
    # registered from (to refuse referral farming).
    Column("referral_code", String(16), nullable=True),
    Column("device_hash", String(64), nullable=True),
    # Web (0008): the member's own language for the customer page and messages.
    Column("locale", String(20), nullable=True),
    # Imports (0016): the id the business's own systems give this customer.
    Column("external_id", String(64), nullable=True),
    # Privacy (0027): when the member's personal data was erased (GDPR Art. 17); the row stays
    # as an anonymous shell that keeps the ledger and receipts whole.
    timestamp("erased_at", nullable=True),
    # Analytics (0038): the staff member who enrolled the member (the till's cashier, or
    # the console's user); null when unknown (self sign-up, imports, API keys). No foreign
    # key: adding one on SQLite copies this table (the service checks the tenant's staff).
    Column("staff_id", Id, nullable=True),
    CheckConstraint("consent in ('full', 'earn_only', 'none')", name="consent"),
    CheckConstraint("status in ('active', 'merged')", name="status"),
    Index(None, "tenant_id", "phone_index"),
    Index(None, "tenant_id", "referral_code", unique=True),
    Index(None, "tenant_id", "device_hash"),
    Index(None, "tenant_id", "created_at", postgresql_include=["status", "store_id"]),
    Index(None, "tenant_id", "external_id", unique=True),
)


member_identifiers = Table(
    "member_identifiers", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    # Personal data (0033): the value sealed, found by its blind index (db/personal.py).
    Column("value_index", String(64), nullable=False),
    Column("value_sealed", String(160), nullable=False),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "kind", "value_index"),
    Index(None, "tenant_id", "member_id"),
    CheckConstraint("kind in ('phone', 'card', 'qr')", name="kind"),
)
