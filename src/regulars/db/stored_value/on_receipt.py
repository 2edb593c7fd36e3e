"""The stored value one receipt moved, as its views list it: the gift cards it sold, the goods
it sold into goods accounts, and the certificate, wallet and goods tenders that paid it. Every
query is scoped by ``tenant_id``; codes and card numbers appear only as their last four
characters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, select

from regulars.db.catalog.tables import products
from regulars.db.stored_value.tables import (
    certificate_series,
    certificates,
    goods_accounts,
    goods_products,
    goods_purchases,
    goods_tenders,
    receipt_tenders,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class SoldCertificateRow:
    certificate_id: int
    series_id: int
    series_name: str
    code_hint: str
    nominal_minor: int
    status: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SoldGoodsRow:
    goods_account_id: int
    sku: str
    product_name: str
    unit: str
    quantity_milli: int
    paid_minor: int
    member_id: int | None
    card_hint: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MoneyTenderRow:
    tender_no: int
    kind: str
    code_hint: str | None
    amount_minor: int
    returned_minor: int


@dataclass(frozen=True, kw_only=True, slots=True)
class GoodsTenderRow:
    tender_no: int
    line_no: int
    sku: str
    product_name: str
    unit: str
    quantity_milli: int
    amount_minor: int
    returned_milli: int
    returned_minor: int
    member_id: int | None
    card_hint: str | None


def certificates_sold(conn: Connection, tenant_id: int,
                      receipt_id: int) -> list[SoldCertificateRow]:
    c, s = certificates.c, certificate_series.c
    rows = conn.execute(
        select(c.id.label("certificate_id"), c.series_id, s.name.label("series_name"),
               c.code_hint, c.nominal_minor, c.status)
        .join(certificate_series, and_(s.tenant_id == tenant_id, s.id == c.series_id))
        .where(c.tenant_id == tenant_id, c.sale_receipt_id == receipt_id).order_by(c.id))
    return [SoldCertificateRow(**dict(r._mapping)) for r in rows]


def _goods_rows(conn: Connection, tenant_id: int, table: Table, receipt_id: int,
                columns: list[Any], order: list[Any]) -> list[dict[str, Any]]:
    """Rows of ``table`` (goods purchases or goods tenders) of a receipt with ``columns``
    and the product and holder of their goods account: sku, product name, unit, member,
    card ending."""
    a, g, t = goods_accounts.c, goods_products.c, table.c
    rows = conn.execute(
        select(*columns, products.c.sku, products.c.name.label("product_name"), g.unit,
               a.member_id, a.card_hint)
        .join(goods_accounts, and_(a.tenant_id == tenant_id, a.id == t.goods_account_id))
        .join(goods_products, and_(g.tenant_id == tenant_id, g.id == a.goods_product_id))
        .join(products, and_(products.c.tenant_id == tenant_id,
                             products.c.id == g.product_id))
        .where(t.tenant_id == tenant_id, t.receipt_id == receipt_id).order_by(*order))
    return [dict(r._mapping) for r in rows]


def goods_sold(conn: Connection, tenant_id: int, receipt_id: int) -> list[SoldGoodsRow]:
    p = goods_purchases.c
    return [SoldGoodsRow(**r) for r in _goods_rows(
        conn, tenant_id, goods_purchases, receipt_id,
        [p.goods_account_id, p.quantity_milli, p.paid_minor], [p.id])]


def money_tenders(conn: Connection, tenant_id: int, receipt_id: int) -> list[MoneyTenderRow]:
    t, c = receipt_tenders.c, certificates.c
    rows = conn.execute(
        select(t.tender_no, t.kind, c.code_hint, t.amount_minor, t.returned_minor)
        .select_from(receipt_tenders)
        .outerjoin(certificates, and_(c.tenant_id == tenant_id, c.id == t.certificate_id))
        .where(t.tenant_id == tenant_id, t.receipt_id == receipt_id).order_by(t.tender_no))
    return [MoneyTenderRow(**dict(r._mapping)) for r in rows]


def goods_tenders_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[GoodsTenderRow]:
    t = goods_tenders.c
    return [GoodsTenderRow(**r) for r in _goods_rows(
        conn, tenant_id, goods_tenders, receipt_id,
        [t.tender_no, t.line_no, t.quantity_milli, t.amount_minor, t.returned_milli,
         t.returned_minor], [t.tender_no, t.line_no])]
