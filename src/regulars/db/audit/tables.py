"""Tables of the audit area: the append-only log of changes made by staff and API keys.

Each tenant's rows form a chain: row ``seq`` carries the hash of row ``seq - 1`` and its own
(see :mod:`regulars.domain.audit.chain`); ``audit_heads`` holds each tenant's last ``seq`` and
hash, the row a writer locks (or updates on its condition) to append.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text, UniqueConstraint

from regulars.db.base import Id, metadata, tenant_column, timestamp

audit_log = Table(
    "audit_log", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("seq", Id, nullable=False),
    timestamp("at"),
    Column("actor_kind", String(10), nullable=False),  # staff, key or system
    Column("actor_id", Id, nullable=True),
    Column("actor", String(200), nullable=False),  # a label: e-mail or key label
    Column("action", String(60), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("detail", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("tenant_id", "seq"),
    Index(None, "tenant_id", "at"),
)

audit_heads = Table(
    "audit_heads", metadata,
    Column("tenant_id", Id, primary_key=True),
    Column("seq", Id, nullable=False),
    Column("hash", String(64), nullable=False),
)
