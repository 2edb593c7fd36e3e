"""Reads for uplift: each member of a promotion's test and control groups with what they paid
and how often they came in a window, and what the promotion gave. Scoped by ``tenant_id``.

What a member paid is net of refunds, over the receipts the figures count as purchases
(:func:`~regulars.db.checkout.purchases.purchased`): a voided or wholly refunded receipt, or
one that only sold gift cards or prepaid goods, is neither spend nor a visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, select

from regulars.db.checkout.purchases import purchased
from regulars.db.checkout.tables import receipts
from regulars.db.members.tables import members
from regulars.db.promotions.tables import promotion_groups, receipt_promotions


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberWindow:
    member_id: int
    group: str  # 'test' or 'control'
    paid_minor: int
    visits: int


def group_members(conn: Connection, tenant_id: int, promotion_id: int, *,
                  since: datetime, until: datetime) -> list[MemberWindow]:
    """Every member recorded in the promotion's groups with their net spend and visits in
    ``[since, until)`` (members with no receipt there come with zeros; a receipt that only
    sold stored value is no visit), in member order."""
    on = and_(receipts.c.tenant_id == tenant_id,
              receipts.c.member_id == promotion_groups.c.member_id,
              purchased(), receipts.c.occurred_at >= since, receipts.c.occurred_at < until)
    net = receipts.c.paid_minor - receipts.c.refunded_paid_minor
    query = (select(promotion_groups.c.member_id, promotion_groups.c.group,
                    func.coalesce(func.sum(net), 0).label("paid_minor"),
                    func.count(receipts.c.id).label("visits"))
             .select_from(promotion_groups.outerjoin(receipts, on))
             .where(promotion_groups.c.tenant_id == tenant_id,
                    promotion_groups.c.promotion_id == promotion_id)
             .group_by(promotion_groups.c.member_id, promotion_groups.c.group)
             .order_by(promotion_groups.c.member_id))
    return [MemberWindow(member_id=int(r.member_id), group=str(r.group),
                         paid_minor=max(0, int(r.paid_minor)), visits=int(r.visits))
            for r in conn.execute(query)]


@dataclass(frozen=True, kw_only=True, slots=True)
class Given:
    """What a promotion gave in a window, net of refunds: discounts, points, the points'
    value at the point value each receipt counted them at, and cashback to wallets."""

    discount_minor: int
    points: int
    points_value_minor: int
    cashback_minor: int = 0


def promotion_given(conn: Connection, tenant_id: int, promotion_id: int, *,
                    since: datetime, until: datetime) -> Given:
    t = receipt_promotions
    points = t.c.points - t.c.refunded_points
    query = (select(func.coalesce(func.sum(t.c.discount_minor - t.c.refunded_discount_minor), 0),
                    func.coalesce(func.sum(points), 0),
                    func.coalesce(func.sum(points * func.coalesce(t.c.point_value_minor, 0)), 0),
                    func.coalesce(func.sum(t.c.cashback_minor - t.c.refunded_cashback_minor), 0))
             .select_from(t.join(receipts, and_(receipts.c.tenant_id == tenant_id,
                                                receipts.c.id == t.c.receipt_id)))
             .where(t.c.tenant_id == tenant_id, t.c.promotion_id == promotion_id,
                    receipts.c.status != "voided",
                    receipts.c.occurred_at >= since, receipts.c.occurred_at < until))
    discount, given_points, value, cashback = conn.execute(query).one()
    return Given(discount_minor=int(discount), points=int(given_points),
                 points_value_minor=int(value), cashback_minor=int(cashback))


def member_outcomes(conn: Connection, tenant_id: int, *, since: datetime,
                    until: datetime) -> list[tuple[int, int, int]]:
    """(member id, net spend, visits) in ``[since, until)`` of every member who joined before
    ``until`` (zeros for those who did not come), in member order: everyone an experiment or
    the holdout assigned, whether or not they came (intention to treat)."""
    on = and_(receipts.c.tenant_id == tenant_id, receipts.c.member_id == members.c.id,
              purchased(), receipts.c.occurred_at >= since, receipts.c.occurred_at < until)
    net = receipts.c.paid_minor - receipts.c.refunded_paid_minor
    query = (select(members.c.id, func.coalesce(func.sum(net), 0),
                    func.count(receipts.c.id))
             .select_from(members.outerjoin(receipts, on))
             .where(members.c.tenant_id == tenant_id, members.c.created_at < until)
             .group_by(members.c.id).order_by(members.c.id))
    return [(int(m), max(0, int(p)), int(v)) for m, p, v in conn.execute(query)]
