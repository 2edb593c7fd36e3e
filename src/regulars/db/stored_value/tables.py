"""Tables of the stored-value area.

Gift certificate series, certificates (each a money account on the ledger, its code kept only
as a keyed digest) and the tenders that paid receipts.

Defined on :data:`regulars.db.base.metadata`; every table carries ``tenant_id``
and every index leads with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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

certificate_series = Table(
    "certificate_series", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("name", String(120), nullable=False),
    Column("nominal_values_minor", JSON, nullable=False),  # [] for an open amount
    Column("min_minor", BigInteger, nullable=True),
    Column("max_minor", BigInteger, nullable=True),
    Column("valid_days", Integer, nullable=False),
    Column("store_ids", JSON, nullable=False),  # [] for every store
    Column("multi_use", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    timestamp("created_at"),
    Index(None, "tenant_id", "id"),
)


certificates = Table(
    "certificates", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("series_id", Id, ForeignKey("certificate_series.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("code_hint", String(4), nullable=False),  # the last four characters, as printed
    # SHA-256 of the token of the public link that shows the balance (the token is shown once).
    Column("link_hash", String(64), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("nominal_minor", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    # Receipts it paid, less those whose tender a refund returned whole (single-use limit).
    Column("uses", Integer, nullable=False, server_default="0"),
    Column("order_ref", String(64), nullable=True),  # a corporate order's reference
    Column("sale_receipt_id", Id, ForeignKey("receipts.id"), nullable=True),
    timestamp("issued_at"),
    timestamp("expires_at"),
    UniqueConstraint("tenant_id", "code_hash"),
    UniqueConstraint("tenant_id", "link_hash"),
    UniqueConstraint("tenant_id", "account_id"),
    Index(None, "tenant_id", "series_id"),
    CheckConstraint("status in ('active', 'pending', 'blocked', 'void')", name="status"),
    CheckConstraint("uses >= 0", name="uses_nonneg"),
    # Room on each page for the new version of a row whose ``uses`` a tender counts, so that
    # the update stays on the page and writes none of the five index entries.
    postgresql_with={"fillfactor": 90},
)


receipt_tenders = Table(
    "receipt_tenders", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("tender_no", Integer, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("certificate_id", Id, ForeignKey("certificates.id"), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("returned_minor", BigInteger, nullable=False, server_default="0"),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    UniqueConstraint("tenant_id", "receipt_id", "tender_no"),
    CheckConstraint("amount_minor > 0", name="positive"),
    CheckConstraint("returned_minor >= 0 and returned_minor <= amount_minor",
                    name="returned_range"),
)


# Prepaid goods ---------------------------------------------------------------------------------
# A product sold as prepaid goods: its unit and the ledger asset its accounts are of.
goods_products = Table(
    "goods_products", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    Column("unit", String(12), nullable=False),
    Column("asset", String(20), nullable=False),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "product_id"),
    UniqueConstraint("tenant_id", "asset"),
)


# A goods account: a ledger account of the product's asset, held by a member or by a bearer
# card (its number kept only as a keyed digest and its last four characters).
goods_accounts = Table(
    "goods_accounts", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("goods_product_id", Id, ForeignKey("goods_products.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=True),
    Column("card_hash", String(64), nullable=True),
    Column("card_hint", String(4), nullable=True),
    Column("status", String(10), nullable=False),
    timestamp("created_at"),
    UniqueConstraint("tenant_id", "account_id"),
    UniqueConstraint("tenant_id", "card_hash"),
    UniqueConstraint("tenant_id", "member_id", "goods_product_id"),
    CheckConstraint("status in ('active', 'blocked')", name="status"),
    CheckConstraint("(member_id is null) <> (card_hash is null)", name="holder"),
)


# Each top-up (a purchase lot): the quantity bought, what was paid and, when locked, the price
# of one unit on the day of purchase.
goods_purchases = Table(
    "goods_purchases", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("goods_account_id", Id, ForeignKey("goods_accounts.id"), nullable=False),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    Column("quantity_milli", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=True),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=True),
    timestamp("purchased_at"),
    UniqueConstraint("tenant_id", "entry_id"),
    Index(None, "tenant_id", "goods_account_id"),
    CheckConstraint("quantity_milli > 0", name="positive"),
)


# What a goods tender took of each line of a receipt, and what refunds gave back of it.
goods_tenders = Table(
    "goods_tenders", metadata,
    Column("id", Id, primary_key=True),
    tenant_column(),
    Column("receipt_id", Id, ForeignKey("receipts.id"), nullable=False),
    Column("tender_no", Integer, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("goods_account_id", Id, ForeignKey("goods_accounts.id"), nullable=False),
    Column("line_quantity_milli", BigInteger, nullable=False),
    Column("quantity_milli", BigInteger, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("returned_milli", BigInteger, nullable=False, server_default="0"),
    Column("returned_minor", BigInteger, nullable=False, server_default="0"),
    Column("entry_id", Id, ForeignKey("entries.id"), nullable=False),
    UniqueConstraint("tenant_id", "receipt_id", "tender_no", "line_no"),
    CheckConstraint("quantity_milli > 0", name="positive"),
    CheckConstraint("returned_milli >= 0 and returned_milli <= quantity_milli",
                    name="returned_range"),
)
