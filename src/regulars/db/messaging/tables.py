"""Tables of the messaging area.

Messages to members' phones and the one-time codes sent through them.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

otp_codes = Table(
    "otp_codes", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    # A keyed hash of the phone number (0027): the caps and the newest code are found by it,
    # and no number is kept in the clear (services.messaging.otp.phone_digest).
    Column("phone_hash", String(64), nullable=False),
    Column("purpose", String(20), nullable=False),
    # SHA-256 of salt + code; six digits are few, so the attempt cap is what protects them.
    Column("salt", String(32), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("attempts", Integer, nullable=False),
    # A digest of the asking client's address, for the cap per client.
    Column("client_key", String(32), nullable=True),
    timestamp("created_at"),
    timestamp("expires_at"),
    timestamp("used_at", nullable=True),
    Index(None, "tenant_id", "phone_hash", "created_at"),
    Index(None, "tenant_id", "terminal_id", "created_at"),
    Index(None, "tenant_id", "created_at"),
    Index(None, "tenant_id", "client_key", "created_at"),
)


# The outbox ----------------------------------------------------------------------------------
# A message is queued in the transaction of what causes it (one insert) and sent afterwards by
# the messages job, with retries and backoff; the row is its delivery log.

outbox_messages = Table(
    "outbox_messages", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("key", String(200), nullable=False),  # one message per cause
    Column("channel", String(10), nullable=False),  # sms | email | webhook
    # A phone number or e-mail address is kept sealed, with its blind index (to forget an
    # erased member's messages); a webhook's ``member:<id>`` as itself (0033).
    Column("recipient", String(600), nullable=False),
    Column("recipient_index", String(64), nullable=True),
    Column("subject", String(200), nullable=True),
    Column("body", Text, nullable=False),
    # A one-time code's text is blanked once sent: the code lives only as a hash.
    Column("erase_after_send", Boolean, nullable=False),
    Column("status", String(10), nullable=False),  # queued | sent | failed
    Column("attempts", Integer, nullable=False),
    timestamp("next_attempt_at"),
    Column("last_error", String(300), nullable=True),
    timestamp("created_at"),
    timestamp("sent_at", nullable=True),
    # Messages (0026): whom a message to a member is for, what sent it, and whether it is
    # marketing (checked against the member's consent again when it is sent).
    Column("member_id", Id, nullable=True),
    Column("event", String(20), nullable=True),
    Column("kind", String(15), nullable=True),  # transactional | marketing
    Column("campaign_id", Id, nullable=True),
    UniqueConstraint("tenant_id", "key"),
    Index(None, "tenant_id", "status", "next_attempt_at"),
    Index(None, "tenant_id", "campaign_id", "status"),
)


# Events and webhooks -------------------------------------------------------------------------

events = Table(
    "events", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("key", String(200), nullable=False),  # one event per cause
    Column("type", String(40), nullable=False),
    timestamp("occurred_at"),
    Column("data", JSON, nullable=False),
    # Set when the webhooks job has made its deliveries (null: still to fan out).
    timestamp("dispatched_at", nullable=True),
    UniqueConstraint("tenant_id", "key"),
    Index(None, "tenant_id", "id"),
    # Only the events still to fan out, in the order the webhooks job takes them: the job's
    # update leaves them, so it writes one index entry fewer, and the index stays small.
    Index("ix_events_undispatched", "tenant_id", "id",
          postgresql_where=text("dispatched_at IS NULL"),
          sqlite_where=text("dispatched_at IS NULL")),
)

webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("url", String(500), nullable=False),
    Column("description", String(200), nullable=False),
    Column("event_types", JSON, nullable=False),  # a list of event types, or ["*"]
    # Needed in the clear to sign; never shown after creation or rotation.
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),
    timestamp("previous_secret_until", nullable=True),
    Column("active", Boolean, nullable=False),
    timestamp("created_at"),
    Index(None, "tenant_id", "active"),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("event_id", Id, ForeignKey("events.id"), nullable=False),
    Column("status", String(10), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    timestamp("next_attempt_at"),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(300), nullable=True),
    timestamp("created_at"),
    timestamp("delivered_at", nullable=True),
    UniqueConstraint("tenant_id", "endpoint_id", "event_id"),
    Index(None, "tenant_id", "status", "next_attempt_at"),
)


# Messages to members (0026) ------------------------------------------------------------------

message_templates = Table(
    "message_templates", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("event", String(20), nullable=False),
    Column("language", String(10), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    timestamp("updated_at"),
    UniqueConstraint("tenant_id", "event", "language"),
)

message_settings = Table(
    "message_settings", metadata,
    tenant_column(),
    Column("channel", String(10), nullable=False),  # sms | email | webhook
    # Local minutes after midnight; no quiet hours when null.
    Column("quiet_from_minute", Integer, nullable=True),
    Column("quiet_until_minute", Integer, nullable=True),
    Column("cap_messages", Integer, nullable=False),  # marketing messages per member ...
    Column("cap_period_days", Integer, nullable=False),  # ... per this many days
    Column("points_earned", Boolean, nullable=False),  # the opt-in "points earned" message
    Column("expiring_days", Integer, nullable=False),
    Column("winback_days", Integer, nullable=False),
    # Signs unsubscribe links (never leaves the server).
    Column("link_secret", String(64), nullable=False),
    timestamp("updated_at"),
    PrimaryKeyConstraint("tenant_id"),
)

message_caps = Table(
    "message_caps", metadata,
    tenant_column(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("sent", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "member_id", "period_start"),
)

member_levels_seen = Table(
    "member_levels_seen", metadata,
    tenant_column(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("level_code", String(64), nullable=False),
    timestamp("changed_at"),
    PrimaryKeyConstraint("tenant_id", "member_id"),
)
