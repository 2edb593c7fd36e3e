"""Receipts as the console lists and shows them: filtered pages with the names of their store,
till and member, and what a receipt's promotions, coupons and cashier were."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from regulars.db import personal
from regulars.db.checkout.tables import receipts
from regulars.db.members.tables import members
from regulars.db.promotions.tables import (
    coupon_series,
    coupon_uses,
    promotion_versions,
    receipt_promotions,
)
from regulars.db.tenancy.tables import staff, stores, terminals


def list_receipts(conn: Connection, tenant_id: int, *, store_id: int | None,
                  terminal_id: int | None, member_id: int | None, since: datetime | None,
                  until: datetime | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of receipts, newest first, each with its store's and till's names and its
    member's phone."""
    query = (select(receipts.c.id, receipts.c.receipt_no, receipts.c.status,
                    receipts.c.store_id, receipts.c.terminal_id, receipts.c.member_id,
                    receipts.c.gross_minor, receipts.c.discount_minor, receipts.c.paid_minor,
                    receipts.c.points_spent, receipts.c.points_earned,
                    receipts.c.refunded_paid_minor, receipts.c.occurred_at,
                    stores.c.name.label("store_name"), terminals.c.name.label("till_name"),
                    members.c.phone_sealed)
             .join(stores, and_(stores.c.id == receipts.c.store_id,
                                stores.c.tenant_id == tenant_id))
             .join(terminals, and_(terminals.c.id == receipts.c.terminal_id,
                                   terminals.c.tenant_id == tenant_id))
             .outerjoin(members, and_(members.c.id == receipts.c.member_id,
                                      members.c.tenant_id == tenant_id))
             .where(receipts.c.tenant_id == tenant_id))
    if store_id is not None:
        query = query.where(receipts.c.store_id == store_id)
    if terminal_id is not None:
        query = query.where(receipts.c.terminal_id == terminal_id)
    if member_id is not None:
        query = query.where(receipts.c.member_id == member_id)
    if since is not None:
        query = query.where(receipts.c.occurred_at >= since)
    if until is not None:
        query = query.where(receipts.c.occurred_at < until)
    query = query.order_by(receipts.c.occurred_at.desc(), receipts.c.id.desc())
    return [personal.opened(dict(r._mapping), "phone_sealed", "member_phone")
            for r in conn.execute(query.limit(limit).offset(offset))]


def places(conn: Connection, tenant_id: int, receipt_id: int) -> dict[str, Any] | None:
    """The names of the receipt's store, till and cashier (``None``: no such receipt)."""
    row = conn.execute(
        select(stores.c.name.label("store_name"), terminals.c.name.label("till_name"),
               terminals.c.code.label("till_code"), staff.c.name.label("cashier_name"))
        .select_from(receipts)
        .join(stores, and_(stores.c.id == receipts.c.store_id,
                           stores.c.tenant_id == tenant_id))
        .join(terminals, and_(terminals.c.id == receipts.c.terminal_id,
                              terminals.c.tenant_id == tenant_id))
        .outerjoin(staff, and_(staff.c.id == receipts.c.staff_id, staff.c.tenant_id == tenant_id))
        .where(receipts.c.tenant_id == tenant_id, receipts.c.id == receipt_id)).one_or_none()
    return dict(row._mapping) if row else None


def promotions_applied(conn: Connection, tenant_id: int,
                       receipt_id: int) -> list[dict[str, Any]]:
    """Each promotion the receipt got, with the definition of the version that priced it."""
    query = (select(receipt_promotions.c.promotion_id, receipt_promotions.c.version,
                    receipt_promotions.c.discount_minor, receipt_promotions.c.points,
                    receipt_promotions.c.refunded_discount_minor,
                    receipt_promotions.c.refunded_points, receipt_promotions.c.cashback_minor,
                    receipt_promotions.c.refunded_cashback_minor,
                    promotion_versions.c.definition)
             .join(promotion_versions, and_(
                 promotion_versions.c.tenant_id == tenant_id,
                 promotion_versions.c.promotion_id == receipt_promotions.c.promotion_id,
                 promotion_versions.c.version == receipt_promotions.c.version))
             .where(receipt_promotions.c.tenant_id == tenant_id,
                    receipt_promotions.c.receipt_id == receipt_id)
             .order_by(receipt_promotions.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def coupons_used(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    query = (select(coupon_uses.c.series_id, coupon_uses.c.discount_minor,
                    coupon_uses.c.points, coupon_uses.c.returned_at,
                    coupon_series.c.name, coupon_series.c.effect)
             .join(coupon_series, and_(coupon_series.c.id == coupon_uses.c.series_id,
                                       coupon_series.c.tenant_id == tenant_id))
             .where(coupon_uses.c.tenant_id == tenant_id,
                    coupon_uses.c.receipt_id == receipt_id)
             .order_by(coupon_uses.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]
