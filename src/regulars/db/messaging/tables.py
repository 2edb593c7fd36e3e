"""Tables of the messaging area.

Messages to members' phones and the one-time codes sent through them.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from regulars.db.base import Id, metadata, tenant_column, timestamp

otp_codes = Table(
    "otp_codes", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("phone", String(20), nullable=False),
    Column("purpose", String(20), nullable=False),
    # SHA-256 of salt + code; six digits are few, so the attempt cap is what protects them.
    Column("salt", String(32), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("attempts", Integer, nullable=False),
    timestamp("created_at"),
    timestamp("expires_at"),
    timestamp("used_at", nullable=True),
    Index(None, "tenant_id", "phone", "created_at"),
    Index(None, "tenant_id", "terminal_id", "created_at"),
)
