"""Table definitions (SQLAlchemy Core). Every table carries ``tenant_id`` and every index leads
with it, so the schema can be distributed by tenant without change.

Amounts are ``BigInteger`` minor units or points; times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns an aware UTC datetime (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(  # SQLAlchemy's signature: ``dialect`` is not needed here
            self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, nullable: bool = False) -> Column[datetime]:
    return Column(name, UtcDateTime(), nullable=nullable)


def _tenant() -> Column[int]:
    return Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False)


tenants = Table(
    "tenants", metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("locale", String(20), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("phone_region", String(2), nullable=False),
    _ts("created_at"),
)

stores = Table(
    "stores", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    _ts("created_at"),
    UniqueConstraint("tenant_id", "code"),
)

terminals = Table(
    "terminals", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    _ts("created_at"),
    _ts("revoked_at", nullable=True),
    UniqueConstraint("tenant_id", "code"),
    Index(None, "tenant_id", "store_id"),
)

staff = Table(
    "staff", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=True),
    Column("role", String(20), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _ts("created_at"),
    # Web (0008): console password and terminal PIN, both argon2 hashes; the staff member's
    # own language, overriding the tenant's.
    Column("password_hash", String(200), nullable=True),
    Column("pin_hash", String(200), nullable=True),
    Column("locale", String(20), nullable=True),
    # Unused since sign-ins are throttled by client and account instead of locking the
    # account (services.throttle); kept until a migration drops them.
    Column("sign_in_attempts", Integer, nullable=False, server_default="0"),
    _ts("locked_since", nullable=True),
    UniqueConstraint("tenant_id", "email"),
    CheckConstraint("role in ('owner', 'marketer', 'analyst', 'cashier')", name="role"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("kind", String(10), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    _ts("created_at"),
    _ts("revoked_at", nullable=True),
    CheckConstraint("kind in ('owner', 'till')", name="kind"),
    Index(None, "tenant_id", "terminal_id"),
)

members = Table(
    "members", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("phone", String(20), nullable=True),
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
    Column("qr_token", String(64), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=True),
    _ts("created_at"),
    # Rewards (0003): the member's own invitation code, and the hash of the device token it
    # registered from (to refuse referral farming).
    Column("referral_code", String(16), nullable=True),
    Column("device_hash", String(64), nullable=True),
    # Web (0008): the member's own language for the customer page and messages.
    Column("locale", String(20), nullable=True),
    CheckConstraint("consent in ('full', 'earn_only', 'none')", name="consent"),
    CheckConstraint("status in ('active', 'merged')", name="status"),
    Index(None, "tenant_id", "phone"),
    Index(None, "tenant_id", "referral_code", unique=True),
    Index(None, "tenant_id", "device_hash"),
)

member_identifiers = Table(
    "member_identifiers", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("value", String(64), nullable=False),
    _ts("created_at"),
    UniqueConstraint("tenant_id", "kind", "value"),
    Index(None, "tenant_id", "member_id"),
    CheckConstraint("kind in ('phone', 'card', 'qr')", name="kind"),
)

programs = Table(
    "programs", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("version", Integer, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    _ts("created_at"),
    UniqueConstraint("tenant_id", "version"),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("system_code", String(20), nullable=True),
    Column("asset", String(20), nullable=False),
    # Cached in the same transaction as every posting; system accounts keep 0 here (their
    # balance is the sum of their postings) so that no commit contends on one hot row.
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("held", BigInteger, nullable=False, server_default="0"),
    Column("debt", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "member_id", "asset"),
    UniqueConstraint("tenant_id", "system_code", "asset"),
    CheckConstraint("held >= 0", name="held_nonneg"),
    CheckConstraint("debt >= 0", name="debt_nonneg"),
)

entries = Table(
    "entries", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("code", String(20), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("store_id", Id, ForeignKey("stores.id"), nullable=True),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("program_version", Integer, nullable=True),
    Column("reverses_entry_id", Id, ForeignKey("entries.id"), nullable=True),
    Column("points", BigInteger, nullable=False),
    Column("memo", JSON, nullable=False),
    _ts("occurred_at"),
    _ts("recorded_at"),
    UniqueConstraint("tenant_id", "idempotency_key"),
    Index(None, "tenant_id", "member_id", "id"),
    # Look-ups by receipt always name one; most entries of a bulk run (expiry) have none.
    Index(None, "tenant_id", "receipt_id", postgresql_where=text("receipt_id IS NOT NULL"),
          sqlite_where=text("receipt_id IS NOT NULL")),
)

postings = Table(
    "postings", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    CheckConstraint("amount <> 0", name="nonzero"),
    Index(None, "tenant_id", "account_id"),
    Index(None, "tenant_id", "entry_id"),
)

lots = Table(
    "lots", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    # Points of this lot the expiry run has taken: a refund of the receipt that earned them
    # forgives that part instead of taking the points a second time.
    Column("expired", BigInteger, nullable=False, server_default="0"),
    _ts("available_at"),
    _ts("expires_at", nullable=True),
    CheckConstraint("remaining >= 0 and remaining <= amount", name="remaining_range"),
    Index("ix_lots_open", "tenant_id", "account_id", "expires_at",
          postgresql_where=text("remaining > 0"), sqlite_where=text("remaining > 0")),
    Index("ix_lots_due", "tenant_id", "expires_at",
          postgresql_where=text("remaining > 0"), sqlite_where=text("remaining > 0")),
    # The open lots not yet available (pending), which spendable points leave out.
    Index("ix_lots_pending", "tenant_id", "account_id", "available_at",
          postgresql_where=text("remaining > 0"), sqlite_where=text("remaining > 0")),
)

lot_moves = Table(
    "lot_moves", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index(None, "tenant_id", "entry_id"),
)

holds = Table(
    "holds", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("points", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    CheckConstraint("points > 0", name="positive"),
    CheckConstraint("status in ('open', 'captured', 'released')", name="status"),
    Index(None, "tenant_id", "account_id", "status"),
)

receipts = Table(
    "receipts", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
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
    _ts("occurred_at"),
    _ts("recorded_at"),
    UniqueConstraint("tenant_id", "terminal_id", "receipt_no"),
    Index(None, "tenant_id", "member_id", "occurred_at"),
    Index(None, "tenant_id", "occurred_at"),
    CheckConstraint("status in ('committed', 'partially_refunded', 'refunded', 'voided')",
                    name="status"),
)

spend_days = Table(
    # A member's qualifying spend (paid less refunded, voided receipts left out) per local day
    # of the tenant's time zone, kept by every write that changes it, so that the level
    # windows sum a row per day with purchases instead of every receipt. ``last_at`` is never
    # earlier than the latest receipt counted in the row (see docs/ledger.md).
    "spend_days", metadata,
    _tenant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    _ts("last_at"),
    PrimaryKeyConstraint("tenant_id", "member_id", "day"),
)

receipt_lines = Table(
    "receipt_lines", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
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
    _tenant(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("kind", String(10), nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("points_reversed", BigInteger, nullable=False),
    Column("points_returned", BigInteger, nullable=False),
    Column("points_forgiven", BigInteger, nullable=False, server_default="0"),
    Column("debt_points", BigInteger, nullable=False),
    Column("lines", JSON, nullable=False),
    _ts("occurred_at"),
    Index(None, "tenant_id", "receipt_id"),
)

idempotency = Table(
    "idempotency", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("scope", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response", JSON, nullable=True),
    _ts("created_at"),
    # The till that sent the key (0: no till, e.g. an owner key). Tills number their requests
    # each on their own, so a key is one till's (0013): never another till's answer.
    Column("terminal_id", Id, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "scope", "terminal_id", "key"),
)

promotions = Table(
    "promotions", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("status", String(10), nullable=False),
    Column("current_version", Integer, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    # Control groups (migration 0007): the HMAC key that assigns members, hex, never shown.
    Column("control_seed", String(64), nullable=False),
    CheckConstraint("status in ('active', 'archived')", name="status"),
    Index(None, "tenant_id", "status"),
)

promotion_versions = Table(
    "promotion_versions", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", JSON, nullable=False),
    _ts("created_at"),
    UniqueConstraint("tenant_id", "promotion_id", "version"),
)

receipt_promotions = Table(
    "receipt_promotions", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    # Budgets (migration 0004): the local month the spend counts in (null before 0004), each
    # line's share as [discount_minor, points], and what refunds gave back so far.
    Column("month", Date, nullable=True),
    Column("lines", JSON, nullable=True),
    Column("refunded_discount_minor", BigInteger, nullable=False, server_default="0"),
    Column("refunded_points", BigInteger, nullable=False, server_default="0"),
    # Segments (migration 0006): the budget bucket the spend counted in, 'mass' or 'targeted'.
    Column("bucket", String(10), nullable=False, server_default="mass"),
    # Budget slots (migration 0014): the program's point value the receipt's points count at
    # in the bucket (the bucket's spend is summed from these rows when reported).
    Column("point_value_minor", BigInteger, nullable=True),
    UniqueConstraint("tenant_id", "receipt_id", "promotion_id"),
    Index(None, "tenant_id", "promotion_id"),
    Index(None, "tenant_id", "month"),
)

promotion_groups = Table(
    # The group a member fell in for a targeted promotion with a control share, written at
    # the first commit that found the member eligible (quotes never write).
    "promotion_groups", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("group", String(10), nullable=False),
    _ts("first_seen_at"),
    CheckConstraint("\"group\" in ('test', 'control')", name="group"),
    UniqueConstraint("tenant_id", "promotion_id", "member_id"),
)

segments = Table(
    # A saved rule set (see regulars.domain.segments); membership is computed, never stored.
    "segments", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("name", String(200), nullable=False),
    Column("rules", JSON, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    Index(None, "tenant_id", "id"),
)

# Budgets ---------------------------------------------------------------------------------------
# What was spent is summed from the receipts' own rows (receipt_promotions, receipt_budgets)
# when reported. A capped budget or bucket also holds what is left, split over a few slot rows
# that commits charge by conditional updates (``left >= :x``), so that concurrent commits
# rarely wait on the same row (see db/budget_slots.py).

promotion_budgets = Table(
    "promotion_budgets", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("budget_minor", BigInteger, nullable=True),  # the current version's caps
    Column("budget_points", BigInteger, nullable=True),
    UniqueConstraint("tenant_id", "promotion_id"),
)

promotion_budget_slots = Table(
    # What a capped promotion may still give, split over slots; null: that cap is not set.
    "promotion_budget_slots", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("left_minor", BigInteger, nullable=True),
    Column("left_points", BigInteger, nullable=True),
    UniqueConstraint("tenant_id", "promotion_id", "slot"),
)

promotion_member_spend = Table(
    "promotion_member_spend", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("spent_minor", BigInteger, nullable=False),
    Column("spent_points", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "promotion_id", "member_id"),
)

promotion_member_uses = Table(
    "promotion_member_uses", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("period", String(5), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("uses", Integer, nullable=False),
    CheckConstraint("period in ('day', 'week', 'month')", name="period"),
    UniqueConstraint("tenant_id", "promotion_id", "member_id", "period", "starts_on"),
)

loyalty_budgets = Table(
    "loyalty_budgets", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("total_minor", BigInteger, nullable=True),
    Column("base_bp", Integer, nullable=False),
    Column("mass_bp", Integer, nullable=False),
    Column("targeted_bp", Integer, nullable=False),
    _ts("updated_at"),
    UniqueConstraint("tenant_id"),
)

bucket_slots = Table(
    # What a capped bucket ('mass' or 'targeted') may still give in a month, split over slots.
    "bucket_slots", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("month", Date, nullable=False),
    Column("bucket", String(10), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("left_minor", BigInteger, nullable=False),
    CheckConstraint("bucket in ('mass', 'targeted')", name="bucket"),
    UniqueConstraint("tenant_id", "month", "bucket", "slot"),
)

receipt_budgets = Table(
    # What a receipt's base-scheme points count in the base bucket, less what refunds took
    # back. The base bucket only reports, so it is summed from these rows when asked for
    # instead of kept on one row per tenant and month that every commit would queue on.
    "receipt_budgets", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("month", Date, nullable=False),
    Column("base_points", BigInteger, nullable=False),
    Column("refunded_points", BigInteger, nullable=False, server_default="0"),
    Column("point_value_minor", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "receipt_id"),
    Index(None, "tenant_id", "month"),
)

# Rewards -----------------------------------------------------------------------------------------

reward_settings = Table(
    "reward_settings", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("settings", JSON, nullable=False),
    _ts("updated_at"),
    UniqueConstraint("tenant_id"),
)

referrals = Table(
    "referrals", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
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
    _ts("created_at"),
    _ts("settled_at", nullable=True),
    # The first purchase that settled it, and when a full refund of it reversed the payments.
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=True),
    _ts("reversed_at", nullable=True),
    UniqueConstraint("tenant_id", "referred_id"),
    Index(None, "tenant_id", "referrer_id"),
    Index(None, "tenant_id", "trigger", "settled_at"),
    CheckConstraint("status in ('linked', 'refused')", name="status"),
)

reward_events = Table(
    "reward_events", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("event_id", String(200), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=True),
    Column("data", JSON, nullable=False),
    _ts("occurred_at"),
    UniqueConstraint("tenant_id", "event_id"),
    Index(None, "tenant_id", "member_id", "type", "occurred_at"),
)

# Coupons -----------------------------------------------------------------------------------------
# Codes are stored only as HMAC-SHA256 digests under the tenant's secret (migration 0005).

coupon_secrets = Table(
    "coupon_secrets", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("secret", String(64), nullable=False),  # hex, 32 random bytes
    _ts("created_at"),
    UniqueConstraint("tenant_id"),
)

coupon_series = Table(
    "coupon_series", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("name", String(200), nullable=False),
    Column("effect", JSON, nullable=False),  # {"kind": <registry key>, ...its fields}
    Column("max_uses", Integer, nullable=False),  # per code
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    _ts("created_at"),
    CheckConstraint("max_uses >= 1", name="max_uses"),
    Index(None, "tenant_id", "id"),
)

coupon_codes = Table(
    "coupon_codes", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("series_id", Id, ForeignKey("coupon_series.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("uses", Integer, nullable=False),
    Column("max_uses", Integer, nullable=False),
    _ts("created_at"),
    CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses"),
    UniqueConstraint("tenant_id", "code_hash"),
    Index(None, "tenant_id", "series_id"),
)

coupon_holds = Table(
    # A quote with ``hold`` reserves one use of a code for its till until ``expires_at``.
    "coupon_holds", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("code_id", Id, ForeignKey("coupon_codes.id"), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    _ts("expires_at"),
    Index(None, "tenant_id", "code_id"),
)

coupon_uses = Table(
    "coupon_uses", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("code_id", Id, ForeignKey("coupon_codes.id"), nullable=False),
    Column("series_id", Id, ForeignKey("coupon_series.id"), nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    _ts("returned_at", nullable=True),  # a full refund within validity gave the use back
    UniqueConstraint("tenant_id", "receipt_id", "code_id"),
)

coupon_attempts = Table(
    # Wrong codes per till, for the rate limit.
    "coupon_attempts", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    _ts("at"),
    Index(None, "tenant_id", "terminal_id", "at"),
)


# Web (0008) ------------------------------------------------------------------------------

web_sessions = Table(
    "web_sessions", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    # SHA-256 of the cookie's 256-bit token: the cookie alone opens the session.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    _ts("revoked_at", nullable=True),
    CheckConstraint("kind in ('staff', 'till', 'cashier', 'member')", name="kind"),
    Index(None, "tenant_id", "staff_id"),
)

otp_codes = Table(
    "otp_codes", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("phone", String(20), nullable=False),
    Column("purpose", String(20), nullable=False),
    # SHA-256 of salt + code; six digits are few, so the attempt cap is what protects them.
    Column("salt", String(32), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("attempts", Integer, nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    _ts("used_at", nullable=True),
    Index(None, "tenant_id", "phone", "created_at"),
    Index(None, "tenant_id", "terminal_id", "created_at"),
)

issued_coupons = Table(
    # A code a promotion issued to the receipt's member at commit (one per receipt,
    # promotion and series); a full refund voids it while it is unused.
    "issued_coupons", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("series_id", Id, ForeignKey("coupon_series.id"), nullable=False),
    Column("code_id", Id, ForeignKey("coupon_codes.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    _ts("issued_at"),
    _ts("voided_at", nullable=True),
    UniqueConstraint("tenant_id", "receipt_id", "promotion_id", "series_id"),
    Index(None, "tenant_id", "member_id"),
)


# Staff invitations (0012) -------------------------------------------------------------------

staff_invitations = Table(
    # A link that lets one staff member set their console password once: single-use, with an
    # expiry, kept only as the SHA-256 of its 256-bit token.
    "staff_invitations", metadata,
    Column("id", Id, primary_key=True),
    _tenant(),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    _ts("created_at"),
    _ts("expires_at"),
    _ts("used_at", nullable=True),
    Index(None, "tenant_id", "staff_id"),
)
