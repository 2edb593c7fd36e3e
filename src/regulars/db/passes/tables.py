"""Tables of the passes area.

A business's wallet pass credentials (``pass_settings``: the Apple pass type, team,
certificate, key and WWDR intermediate; the Google issuer and service account key), which no
answer ever returns, and the pass each member was given (``wallet_passes``: its serial and
the digest of the token Apple's web service will present), and the devices registered for
each pass's updates (``wallet_pass_registrations``: Apple's device library identifier and
push token).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from regulars.db.base import Id, metadata, tenant_column, timestamp

pass_settings = Table(
    "pass_settings", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("apple_pass_type_id", String(200), nullable=True),
    Column("apple_team_id", String(20), nullable=True),
    Column("apple_certificate_pem", Text, nullable=True),
    Column("apple_key_pem", Text, nullable=True),
    Column("apple_wwdr_pem", Text, nullable=True),
    Column("google_issuer_id", String(40), nullable=True),
    Column("google_service_email", String(200), nullable=True),
    Column("google_key_pem", Text, nullable=True),
    timestamp("updated_at"),
    UniqueConstraint("tenant_id"),
)


wallet_passes = Table(
    "wallet_passes", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("token_digest", String(64), nullable=False),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "member_id"),
    UniqueConstraint("tenant_id", "serial"),
)


wallet_pass_registrations = Table(
    "wallet_pass_registrations", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("pass_id", Id, ForeignKey("wallet_passes.id"), nullable=False),
    Column("device", String(64), nullable=False),
    Column("push_token", String(200), nullable=False),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "device", "pass_id"),
    Index(None, "tenant_id", "pass_id"),
)
