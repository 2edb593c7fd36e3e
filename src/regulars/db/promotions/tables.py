"""Tables of the promotions area.

Promotions and what targets and limits them: coupons, segments, budgets.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

promotions = Table(
    "promotions", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("status", String(10), nullable=False),
    Column("current_version", Integer, nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
    # Control groups (migration 0007): the HMAC key that assigns members, hex, never shown.
    Column("control_seed", String(64), nullable=False),
    CheckConstraint("status in ('active', 'paused', 'archived')", name="status"),
    Index(None, "tenant_id", "status"),
)


promotion_versions = Table(
    "promotion_versions", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", JSON, nullable=False),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "promotion_id", "version"),
)


receipt_promotions = Table(
    "receipt_promotions", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    # No foreign key (migration 0070): PostgreSQL would lock the promotion's row for every
    # receipt it applied to, one row that every till's commit then rewrites.
    Column("promotion_id", Id, nullable=False),
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
    # Promotion cashback apart (migration 0042): the money the promotion credited to the
    # member's wallet as priced (before 0042 it was counted in ``discount_minor``), and what
    # refunds gave back of it; ``lines`` then holds [discount_minor, points, cashback_minor].
    Column("cashback_minor", BigInteger, nullable=False, server_default="0"),
    Column("refunded_cashback_minor", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "receipt_id", "promotion_id"),
    Index(None, "tenant_id", "promotion_id"),
    Index(None, "tenant_id", "month"),
)


promotion_groups = Table(
    # The group a member fell in for a targeted promotion with a control share, written at
    # the first commit that found the member eligible (quotes never write).
    "promotion_groups", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("group", String(10), nullable=False),
    timestamp("first_seen_at"),
    CheckConstraint("\"group\" in ('test', 'control')", name="group"),
    UniqueConstraint("tenant_id", "promotion_id", "member_id"),
)


segments = Table(
    # A saved rule set (see regulars.domain.promotions.segments); membership is computed, never
    # stored.
    "segments", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(200), nullable=False),
    Column("rules", JSON, nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
    Index(None, "tenant_id", "id"),
)


# Budgets ---------------------------------------------------------------------------------------
# What was spent is summed from the receipts' own rows (receipt_promotions, receipt_budgets)
# when reported. A capped budget or bucket also holds what is left, split over a few slot rows
# that commits charge by conditional updates (``left >= :x``), so that concurrent commits
# rarely wait on the same row (see db/promotions/budget_slots.py).

promotion_budgets = Table(
    "promotion_budgets", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("budget_minor", BigInteger, nullable=True),  # the current version's caps
    Column("budget_points", BigInteger, nullable=True),
    UniqueConstraint("tenant_id", "promotion_id"),
)


promotion_budget_slots = Table(
    # What a capped promotion may still give, split over slots; null: that cap is not set.
    "promotion_budget_slots", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("left_minor", BigInteger, nullable=True),
    Column("left_points", BigInteger, nullable=True),
    UniqueConstraint("tenant_id", "promotion_id", "slot"),
)


promotion_member_spend = Table(
    "promotion_member_spend", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("spent_minor", BigInteger, nullable=False),
    Column("spent_points", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "promotion_id", "member_id"),
)


promotion_member_uses = Table(
    "promotion_member_uses", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
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
    tenant_column(),
    Column("total_minor", BigInteger, nullable=True),
    Column("base_bp", Integer, nullable=False),
    Column("mass_bp", Integer, nullable=False),
    Column("targeted_bp", Integer, nullable=False),
    timestamp("updated_at"),
    UniqueConstraint("tenant_id"),
)


bucket_slots = Table(
    # What a capped bucket ('mass' or 'targeted') may still give in a month, split over slots.
    "bucket_slots", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("month", Date, nullable=False),
    Column("bucket", String(10), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("left_minor", BigInteger, nullable=False),
    CheckConstraint("bucket in ('mass', 'targeted')", name="bucket"),
    UniqueConstraint("tenant_id", "month", "bucket", "slot"),
)


receipt_budgets = Table(
    # What a receipt's base-scheme points and program cashback count in the base bucket, less
    # what refunds took back. The base bucket only reports, so it is summed from these rows
    # when asked for instead of kept on one row per tenant and month that every commit would
    # queue on.
    "receipt_budgets", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("month", Date, nullable=False),
    Column("base_points", BigInteger, nullable=False),
    Column("refunded_points", BigInteger, nullable=False, server_default="0"),
    Column("point_value_minor", BigInteger, nullable=False),
    # The program's cashback credited to the member's wallet, and what refunds took back.
    Column("cashback_minor", BigInteger, nullable=False, server_default="0"),
    Column("refunded_cashback_minor", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("tenant_id", "receipt_id"),
    Index(None, "tenant_id", "month"),
)


# Coupons -----------------------------------------------------------------------------------------
# Codes are stored only as HMAC-SHA256 digests under the tenant's secret (migration 0005).

coupon_secrets = Table(
    "coupon_secrets", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("secret", String(64), nullable=False),  # hex, 32 random bytes
    timestamp("created_at"),
    UniqueConstraint("tenant_id"),
)


coupon_series = Table(
    "coupon_series", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(200), nullable=False),
    Column("effect", JSON, nullable=False),  # {"kind": <registry key>, ...its fields}
    Column("max_uses", Integer, nullable=False),  # per code
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    timestamp("created_at"),
    CheckConstraint("max_uses >= 1", name="max_uses"),
    Index(None, "tenant_id", "id"),
)


coupon_codes = Table(
    "coupon_codes", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("series_id", Id, ForeignKey("coupon_series.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    # 0 since migration 0046: a code's uses are its coupon_uses rows not given back, and what
    # it has left is in coupon_code_slots (the shared code's one row every till waited on).
    Column("uses", Integer, nullable=False),
    Column("max_uses", Integer, nullable=False),
    timestamp("created_at"),
    CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses"),
    UniqueConstraint("tenant_id", "code_hash"),
    Index(None, "tenant_id", "series_id"),
)


coupon_holds = Table(
    # A quote with ``hold`` reserves one use of a code for its till until ``expires_at``.
    "coupon_holds", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("code_id", Id, ForeignKey("coupon_codes.id"), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    timestamp("expires_at"),
    Index(None, "tenant_id", "code_id"),
)


coupon_code_slots = Table(
    # The uses a code has left, split over slots (migration 0046), so that the tills taking one
    # shared code do not all wait on one row; made at the code's first use or hold. A hold
    # keeps the use it took until its till commits (the hold is consumed) or, expired, another
    # till needs it (see db/promotions/coupons.py).
    "coupon_code_slots", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("code_id", Id, ForeignKey("coupon_codes.id"), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("left_uses", Integer, nullable=False),
    CheckConstraint("left_uses >= 0", name="left_uses"),
    UniqueConstraint("tenant_id", "code_id", "slot"),
)


coupon_uses = Table(
    "coupon_uses", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("code_id", Id, ForeignKey("coupon_codes.id"), nullable=False),
    Column("series_id", Id, ForeignKey("coupon_series.id"), nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    timestamp("returned_at", nullable=True),  # a full refund within validity gave the use back
    UniqueConstraint("tenant_id", "receipt_id", "code_id"),
    Index(None, "tenant_id", "code_id"),  # a code's uses are counted from these rows
)


coupon_attempts = Table(
    # Wrong codes per till, for the rate limit.
    "coupon_attempts", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    timestamp("at"),
    Index(None, "tenant_id", "terminal_id", "at"),
)


issued_coupons = Table(
    # A code a promotion issued to the receipt's member at commit (one per receipt,
    # promotion and series); a full refund voids it while it is unused.
    "issued_coupons", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    Column("series_id", Id, ForeignKey("coupon_series.id"), nullable=False),
    Column("code_id", Id, ForeignKey("coupon_codes.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    timestamp("issued_at"),
    timestamp("voided_at", nullable=True),
    UniqueConstraint("tenant_id", "receipt_id", "promotion_id", "series_id"),
    Index(None, "tenant_id", "member_id"),
)


# Experiments and the programme holdout (migration 0024) ---------------------------------------
# Members are assigned by HMAC under the tenant's secret (coupon_secrets), never stored.

experiments = Table(
    # An A/B test between two or more promotions (its variants): each member gets only the
    # variant their hash picks.
    "experiments", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(200), nullable=False),
    Column("status", String(10), nullable=False),
    timestamp("started_at"),
    timestamp("stopped_at", nullable=True),
    CheckConstraint("status in ('running', 'stopped')", name="status"),
    Index(None, "tenant_id", "status"),
)


experiment_variants = Table(
    "experiment_variants", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("experiment_id", Id, ForeignKey("experiments.id"), nullable=False),
    Column("position", Integer, nullable=False),  # 0 is the baseline the others are read against
    Column("name", String(100), nullable=False),
    Column("promotion_id", Id, ForeignKey("promotions.id"), nullable=False),
    UniqueConstraint("tenant_id", "experiment_id", "position"),
    # A promotion is a variant of one experiment at most.
    UniqueConstraint("tenant_id", "promotion_id"),
)


holdouts = Table(
    # The share of members (basis points) who get no marketing promotions or messages.
    "holdouts", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("share_bp", Integer, nullable=False),
    timestamp("updated_at"),
    CheckConstraint("share_bp >= 0 AND share_bp <= 5000", name="share_bp"),
    UniqueConstraint("tenant_id"),
)


# Campaigns (0026): a message to a segment, once or recurring, with an optional control
# group kept out of it and recorded so that uplift can be measured.

campaigns = Table(
    "campaigns", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(200), nullable=False),
    Column("segment_id", Id, ForeignKey("segments.id"), nullable=False),
    # {language: {"subject": ..., "body": ...}}: the tenant's wording per language.
    Column("texts", JSON, nullable=False),
    Column("control_percent", Integer, nullable=False),
    Column("seed", String(32), nullable=False),
    Column("repeat_days", Integer, nullable=True),  # null: once
    Column("status", String(10), nullable=False),  # scheduled | running | done | cancelled
    timestamp("next_run_at", nullable=True),
    Column("runs", Integer, nullable=False),
    timestamp("created_at"),
    Index(None, "tenant_id", "status", "next_run_at"),
)

campaign_recipients = Table(
    "campaign_recipients", metadata,
    tenant_column(),
    Column("campaign_id", Id, ForeignKey("campaigns.id"), nullable=False),
    Column("run", Integer, nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    # queued | control | no_consent | capped | no_address
    Column("outcome", String(12), nullable=False),
    PrimaryKeyConstraint("tenant_id", "campaign_id", "run", "member_id"),
)
