"""What the console's marketing pages read beyond the services' own views: a promotion's
versions, a coupon series' uses, and the names behind a page of member ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, select

from regulars.db import personal
from regulars.db.checkout.tables import receipts
from regulars.db.members.tables import members
from regulars.db.promotions.tables import coupon_uses, promotion_versions


def versions_of(conn: Connection, tenant_id: int, promotion_id: int) -> list[dict[str, Any]]:
    """Every saved version of a promotion, newest first."""
    query = (select(promotion_versions.c.version, promotion_versions.c.definition,
                    promotion_versions.c.created_at)
             .where(promotion_versions.c.tenant_id == tenant_id,
                    promotion_versions.c.promotion_id == promotion_id)
             .order_by(promotion_versions.c.version.desc()))
    return [dict(r._mapping) for r in conn.execute(query)]


def series_uses(conn: Connection, tenant_id: int, series_id: int, *,
                limit: int) -> list[dict[str, Any]]:
    """The latest uses of a series' codes: the receipt, when, and what each gave."""
    query = (select(coupon_uses.c.receipt_id, coupon_uses.c.discount_minor,
                    coupon_uses.c.points, coupon_uses.c.returned_at,
                    receipts.c.receipt_no, receipts.c.occurred_at, receipts.c.member_id)
             .join(receipts, and_(receipts.c.id == coupon_uses.c.receipt_id,
                                  receipts.c.tenant_id == tenant_id))
             .where(coupon_uses.c.tenant_id == tenant_id,
                    coupon_uses.c.series_id == series_id)
             .order_by(coupon_uses.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in conn.execute(query)]


def members_brief(conn: Connection, tenant_id: int, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    query = (select(members.c.id, members.c.phone_sealed, members.c.first_name,
                    members.c.last_name)
             .where(members.c.tenant_id == tenant_id, members.c.id.in_(ids))
             .order_by(members.c.id))
    return [personal.opened(dict(r._mapping), "phone_sealed", "phone")
            for r in conn.execute(query)]
