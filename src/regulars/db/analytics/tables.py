"""Tables of the analytics area.

Analytics: what the reports keep between runs: each business's fraud-scan settings and the
(cashier, member) pairs the scan flagged, with their evidence and a manager's decision.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

fraud_settings = Table(
    # One row per business that changed the defaults of regulars.domain.analytics.fraud.
    "fraud_settings", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("flag_score", Integer, nullable=False),
    Column("min_pair_receipts", Integer, nullable=False),
    Column("burst_window_minutes", Integer, nullable=False),
    Column("burst_receipts", Integer, nullable=False),
    Column("typed_share_percent", Integer, nullable=False),
    timestamp("updated_at"),
    UniqueConstraint("tenant_id"),
)


fraud_flags = Table(
    # A (cashier, member) pair the scan flagged: its latest score and signals while open; a
    # decided flag keeps what the manager saw and is not reopened by later scans.
    "fraud_flags", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("score", Integer, nullable=False),
    Column("receipts", Integer, nullable=False),
    Column("signals", JSON, nullable=False),
    timestamp("period_start"),
    timestamp("period_end"),
    Column("status", String(10), nullable=False),
    Column("decided_by_staff_id", Id, ForeignKey("staff.id"), nullable=True),
    timestamp("decided_at", nullable=True),
    Column("note", String(500), nullable=True),
    timestamp("created_at"),
    timestamp("scanned_at"),
    UniqueConstraint("tenant_id", "staff_id", "member_id"),
    Index(None, "tenant_id", "status", "score"),
    CheckConstraint("status in ('open', 'dismissed', 'confirmed')", name="status"),
)
