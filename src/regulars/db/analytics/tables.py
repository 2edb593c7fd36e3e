"""Tables of the analytics area.

Analytics: what the reports keep between runs: each business's fraud-scan settings and the
(cashier, member) pairs the scan flagged, with their evidence and a manager's decision; the
simulator's saved scenarios and their runs; the daily aggregates the figures read (sales
and points per local day and till, kept by :mod:`regulars.db.analytics.days`), each
member's first, second and last purchase, and the member counts per local day that the
member figures sum.

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
    String,
    Table,
    UniqueConstraint,
)

from regulars.db.base import Id, metadata, tenant_column, timestamp

DAY_COUNTS = (
    "member_receipts", "member_revenue_minor", "member_discount_minor",
    "member_reward_cost_minor", "member_items_milli",
    "anonymous_receipts", "anonymous_revenue_minor", "anonymous_discount_minor",
    "anonymous_reward_cost_minor", "anonymous_items_milli",
    "points_issued", "points_redeemed", "points_expired")
"""The counters of a ``sales_days`` row, each only ever moved by an increment."""
DAY_KEY = ("tenant_id", "day", "terminal_id", "store_id", "staff_id")

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


scenarios = Table(
    # A saved what-if: a draft base program (its rules as program versions store them; null:
    # the current program) and draft promotions (definitions as promotion versions store
    # them, never offered at a till), the period of past receipts to replay and the payback
    # assumptions.
    "scenarios", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(100), nullable=False),
    Column("program", JSON, nullable=True),
    Column("promotions", JSON, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("assumptions", JSON, nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
    Index(None, "tenant_id", "id"),
)


scenario_runs = Table(
    # One replay of a scenario: its progress while it runs (receipts done of the total) and
    # its figures once done, as they were then (a later edit of the scenario runs anew).
    "scenario_runs", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("scenario_id", Id, ForeignKey("scenarios.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("receipts_total", BigInteger, nullable=False),
    Column("receipts_done", BigInteger, nullable=False),
    Column("result", JSON, nullable=True),
    Column("detail", String(500), nullable=True),
    timestamp("created_at"),
    timestamp("finished_at", nullable=True),
    # Written with every page of progress: a running run whose heartbeat is older than
    # ``services.analytics.scenarios.RUN_LEASE`` has stopped (its process died).
    timestamp("heartbeat_at", nullable=True),
    Index(None, "tenant_id", "scenario_id", "id"),
    CheckConstraint("status in ('running', 'done', 'failed')", name="status"),
)


sales_days = Table(
    # Net sales and points moved per local day (the tenant's time zone) and till and cashier:
    # receipts by the day of the sale (refunds and voids change the sale's day), points by
    # the day of the entry. 0 stands for no till, store or cashier (expiry, the console), so
    # that the key is a plain unique constraint for the upserts. One row per till and day,
    # so that tills never wait for each other on it.
    "sales_days", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("day", Date, nullable=False),
    Column("terminal_id", BigInteger, nullable=False),
    Column("store_id", BigInteger, nullable=False),
    Column("staff_id", BigInteger, nullable=False),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in DAY_COUNTS),
    UniqueConstraint(*DAY_KEY),
)


member_purchases = Table(
    # Each member's net receipts (sold: committed or partly refunded): the first, the next one
    # strictly later, the last, the one before the last (strictly earlier), and how many. A
    # member with none (all went back, or merged into another) has no row.
    "member_purchases", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    timestamp("first_at", nullable=True),
    timestamp("second_at", nullable=True),
    timestamp("last_at", nullable=True),
    timestamp("previous_at", nullable=True),
    Column("receipts", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "member_id"),
)


purchase_gaps = Table(
    # How many members made a net purchase on local ``day`` (the tenant's time zone) whose
    # previous net purchase was on ``previous_day`` (1970-01-01 for a first purchase): each
    # member adds 1 per day they bought on. Members who bought in the days ``[a, b)`` are the
    # rows of those days with ``previous_day < a``: a sum over at most days² / 2 rows, however
    # many members there are. Kept by :mod:`regulars.db.analytics.gaps`.
    "purchase_gaps", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("day", Date, nullable=False),
    Column("previous_day", Date, nullable=False),
    Column("members", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "day", "previous_day"),
    Index(None, "tenant_id", "previous_day", "day"),
)


join_days = Table(
    # How many members (merged duplicates left out) joined on local ``day`` (the tenant's
    # time zone) at ``store_id`` (0: none). The new members of a span of days, the whole
    # business's or one store's, are a sum over at most days × stores rows, however many
    # members. Kept by regulars.db.analytics.joins.
    "join_days", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("day", Date, nullable=False),
    Column("store_id", BigInteger, nullable=False),
    Column("members", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "day", "store_id"),
)


repeat_gaps = Table(
    # How many members whose first net purchase was on local ``day`` made their next one
    # (strictly later) ``within_days`` whole days after it, rounded up: within ``n`` days
    # of the first (to the microsecond) exactly when ``within_days <= n``. Only gaps of at
    # most regulars.db.analytics.repeats.MAX_DAYS (the longest window a figure takes) have
    # rows: at most days × MAX_DAYS of them, however many members. Kept by
    # regulars.db.analytics.repeats.
    "repeat_gaps", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("day", Date, nullable=False),
    Column("within_days", Integer, nullable=False),
    Column("members", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "day", "within_days"),
)
