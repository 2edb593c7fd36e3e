"""Tables of the web sessions area.

Who is using the web pages: staff, a paired till and its cashier, members.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table

from regulars.db.base import Id, metadata, tenant_column, timestamp

# Web (0008) ------------------------------------------------------------------------------

web_sessions = Table(
    "web_sessions", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    # SHA-256 of the cookie's 256-bit token: the cookie alone opens the session.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    timestamp("created_at"),
    timestamp("expires_at"),
    timestamp("revoked_at", nullable=True),
    CheckConstraint("kind in ('staff', 'till', 'cashier', 'member')", name="kind"),
    Index(None, "tenant_id", "staff_id"),
)
