"""Tables of the tenancy area.

Tenancy: businesses, their stores, tills, staff, API keys and settings.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    text,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

tenants = Table(
    "tenants", metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("locale", String(20), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("phone_region", String(2), nullable=False),
    timestamp("created_at"),
)


stores = Table(
    "stores", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    timestamp("created_at"),
    # ``name`` as duplicates are found (0062; domain.tenancy.stores.folded_name), folded in
    # Python because SQLite's lower() knows ASCII only.
    Column("name_folded", String(200), nullable=False),
    UniqueConstraint("tenant_id", "code"),
    Index(None, "tenant_id", "name_folded", unique=True),
)


terminals = Table(
    "terminals", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    timestamp("created_at"),
    timestamp("revoked_at", nullable=True),
    UniqueConstraint("tenant_id", "code"),
    Index(None, "tenant_id", "store_id"),
)


staff = Table(
    "staff", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=True),
    Column("role", String(20), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    timestamp("created_at"),
    # Web (0008): console password and terminal PIN, both argon2 hashes; the staff member's
    # own language, overriding the tenant's.
    Column("password_hash", String(200), nullable=True),
    Column("pin_hash", String(200), nullable=True),
    Column("locale", String(20), nullable=True),
    # Unused since sign-ins are throttled by client and account instead of locking the
    # account (services.throttle); kept until a migration drops them.
    # Fraud scan (0018): the staff member's own phone (E.164), to find members who share it;
    # sealed, with its blind index of kind "phone" (0040), like a member's (db.personal).
    Column("phone_sealed", String(120), nullable=True),
    Column("phone_index", String(64), nullable=True),
    UniqueConstraint("tenant_id", "email"),
    CheckConstraint("role in ('owner', 'marketer', 'analyst', 'cashier')", name="role"),
)


api_keys = Table(
    "api_keys", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("kind", String(10), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    timestamp("created_at"),
    timestamp("revoked_at", nullable=True),
    # What an owner key may do, space-separated (regulars.services.tenancy.api_keys.SCOPES);
    # a till key's is "pos".
    Column("scopes", String(100), nullable=False, server_default="admin"),
    CheckConstraint("kind in ('owner', 'till')", name="kind"),
    Index(None, "tenant_id", "terminal_id"),
)


# Staff invitations (0012) -------------------------------------------------------------------

staff_invitations = Table(
    # A link that lets one staff member set their console password once: single-use, with an
    # expiry, kept only as the SHA-256 of its 256-bit token.
    "staff_invitations", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    timestamp("created_at"),
    timestamp("expires_at"),
    timestamp("used_at", nullable=True),
    Index(None, "tenant_id", "staff_id"),
)


# Data retention (0027) ----------------------------------------------------------------------

data_retention = Table(
    # How long the business keeps one-time-code rows and the stored answers to keyed requests
    # (days); the retention job purges older rows. No row: the defaults
    # (regulars.services.tenancy.retention).
    "data_retention", metadata,
    tenant_column(),
    Column("otp_days", Integer, nullable=False),
    Column("idempotency_days", Integer, nullable=False),
    timestamp("updated_at"),
    PrimaryKeyConstraint("tenant_id"),
)


# Business brand (0035) ----------------------------------------------------------------------

business_brands = Table(
    # The logo and colours of the customer page. ``logo`` is the image itself (bounded by
    # regulars.services.tenancy.business), ``logo_sha256`` names its version in URLs so that
    # browsers may keep it. No row, or nulls: Regulars' own look.
    "business_brands", metadata,
    tenant_column(),
    Column("brand_colour", String(7), nullable=True),
    Column("header_colour", String(7), nullable=True),
    Column("logo_type", String(20), nullable=True),
    Column("logo", LargeBinary, nullable=True),
    Column("logo_sha256", String(64), nullable=True),
    timestamp("updated_at"),
    PrimaryKeyConstraint("tenant_id"),
)
