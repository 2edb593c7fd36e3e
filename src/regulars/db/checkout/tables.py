"""Tables of the checkout area.

Checkout: pricing a basket, committing a receipt once, refunds and voids.

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
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

receipts = Table(
    "receipts", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=False),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("receipt_no", String(64), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("status", String(20), nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("gross_minor", BigInteger, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("points_spent", BigInteger, nullable=False),
    Column("points_discount_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("points_earned", BigInteger, nullable=False),
    Column("refunded_paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("request_hash", String(64), nullable=False),
    Column("response", JSON, nullable=False),
    timestamp("occurred_at"),
    timestamp("recorded_at"),
    # Fraud scan (0018): how the till identified the member, "scanned" or "typed"; null when
    # it did not say.
    Column("identified_by", String(10), nullable=True),
    UniqueConstraint("tenant_id", "terminal_id", "receipt_no"),
    Index(None, "tenant_id", "member_id", "occurred_at"),
    Index(None, "tenant_id", "occurred_at"),
    CheckConstraint("status in ('committed', 'partially_refunded', 'refunded', 'voided')",
                    name="status"),
    CheckConstraint("identified_by in ('scanned', 'typed')", name="identified_by"),
)


receipt_lines = Table(
    "receipt_lines", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("quantity_milli", BigInteger, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("gross_minor", BigInteger, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("points_spent", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("points_earned", BigInteger, nullable=False),
    Column("refunded_quantity_milli", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "receipt_id", "line_no"),
)


refunds = Table(
    "refunds", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("kind", String(10), nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("points_reversed", BigInteger, nullable=False),
    Column("points_returned", BigInteger, nullable=False),
    Column("points_forgiven", BigInteger, nullable=False, server_default="0"),
    Column("debt_points", BigInteger, nullable=False),
    Column("lines", JSON, nullable=False),
    timestamp("occurred_at"),
    Index(None, "tenant_id", "receipt_id"),
)


idempotency = Table(
    "idempotency", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("scope", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response", JSON, nullable=True),
    timestamp("created_at"),
    # The till that sent the key (0: no till, e.g. an owner key). Tills number their requests
    # each on their own, so a key is one till's (0013): never another till's answer.
    Column("terminal_id", Id, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "scope", "terminal_id", "key"),
    # The retention job (0027) deletes the oldest first.
    Index(None, "tenant_id", "created_at"),
)


refund_notes = Table(
    "refund_notes", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("refund_id", Id, ForeignKey("refunds.id"), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("approved_by_staff_id", Id, ForeignKey("staff.id"), nullable=True),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "refund_id"),
)
"""Why a refund at the built-in till was made, by whom, and the manager whose PIN allowed it."""


till_policies = Table(
    "till_policies", metadata,
    tenant_column(),
    # A refund at the built-in till returning more than this needs a manager's PIN
    # (NULL: never).
    Column("manager_pin_above_minor", BigInteger, nullable=True),
    timestamp("updated_at"),
    PrimaryKeyConstraint("tenant_id"),
)
