"""Aggregates per store and per cashier: net receipts, those with a member, the members who
made them, revenue, redemptions, refunds, manual adjustments and enrolments, grouped by the
receipt's (or entry's, or member's) store or staff member. Scoped by ``tenant_id`` and a span
of instants (the local days ``days`` of it for the per-day member counts).

A store's enrolments and the chain's enrolments and active members are sums of the member
counts per day (``join_days``, ``purchase_gaps``); a cashier's enrolments are read from the
members who joined in the span, and the active members of a store or a cashier are a distinct
count in the one pass over the span's receipts that counts their receipts: members who bought
at two stores are active at each, once in the chain.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from regulars.db.analytics import gaps, joins
from regulars.db.analytics.figures import Scope, sold
from regulars.db.analytics.tables import join_days
from regulars.db.checkout.tables import receipts, refunds
from regulars.db.ledger.tables import entries
from regulars.db.members.tables import members
from regulars.db.tenancy.tables import staff, stores
from regulars.domain.analytics.branches import Counts

Days = tuple[date, date]
"""The local days ``[first, end)`` of a span."""


def _sales(conn: Connection, scope: Scope, key: Any, *only: Any) -> dict[int, dict[str, int]]:
    known = receipts.c.member_id.is_not(None)
    net = receipts.c.paid_minor - receipts.c.refunded_paid_minor
    rows = conn.execute(select(key, func.count(), func.sum(case((known, 1), else_=0)),
                               func.sum(net), func.sum(case((known, net), else_=0)),
                               func.sum(case((receipts.c.points_spent > 0, 1), else_=0)),
                               func.count(func.distinct(receipts.c.member_id)))
                        .where(*sold(scope), key.is_not(None), *only).group_by(key)).all()
    return {int(r[0]): {"receipts": int(r[1]), "member_receipts": int(r[2] or 0),
                        "revenue_minor": int(r[3] or 0), "member_revenue_minor": int(r[4] or 0),
                        "redemptions": int(r[5] or 0), "active_members": int(r[6])}
            for r in rows}


def _refunds(conn: Connection, scope: Scope, key: Any, *only: Any
             ) -> dict[int, dict[str, int]]:
    rows = conn.execute(
        select(key, func.count(), func.sum(refunds.c.paid_minor))
        .select_from(refunds.join(receipts, and_(receipts.c.id == refunds.c.receipt_id,
                                                 receipts.c.tenant_id == refunds.c.tenant_id)))
        .where(refunds.c.tenant_id == scope.tenant_id, refunds.c.occurred_at >= scope.start,
               refunds.c.occurred_at < scope.end, key.is_not(None), *only)
        .group_by(key)).all()
    return {int(r[0]): {"refunds": int(r[1]), "refunded_minor": int(r[2] or 0)} for r in rows}


def _adjustments(conn: Connection, scope: Scope, key: Any, *only: Any
                 ) -> dict[int, dict[str, int]]:
    rows = conn.execute(
        select(key, func.count(), func.sum(entries.c.points))
        .where(entries.c.tenant_id == scope.tenant_id, entries.c.code == "adjust",
               entries.c.occurred_at >= scope.start, entries.c.occurred_at < scope.end,
               key.is_not(None), *only)
        .group_by(key)).all()
    return {int(r[0]): {"adjustments": int(r[1]), "adjusted_points": int(r[2] or 0)}
            for r in rows}


def _store_enrolments(conn: Connection, tenant_id: int, days: Days
                      ) -> dict[int, dict[str, int]]:
    """Members who joined on the local days ``days`` per store (merged duplicates left
    out): a sum over the rows of those days."""
    c = join_days.c
    rows = conn.execute(
        select(c.store_id, func.sum(c.members))
        .where(c.tenant_id == tenant_id, c.day >= days[0], c.day < days[1], c.store_id != 0)
        .group_by(c.store_id)).all()
    return {int(r[0]): {"enrolments": int(r[1])} for r in rows if r[1]}


def _enrolments(conn: Connection, scope: Scope, key: Any, *only: Any
                ) -> dict[int, dict[str, int]]:
    """Members who joined in the span per ``key`` (merged duplicates left out)."""
    rows = conn.execute(
        select(key, func.count())
        .where(members.c.tenant_id == scope.tenant_id, members.c.status == "active",
               members.c.created_at >= scope.start, members.c.created_at < scope.end,
               key.is_not(None), *only)
        .group_by(key)).all()
    return {int(r[0]): {"enrolments": int(r[1])} for r in rows}


def _merge(*parts: dict[int, dict[str, int]]) -> dict[int, Counts]:
    found: dict[int, dict[str, int]] = {}
    for part in parts:
        for key, values in part.items():
            found.setdefault(key, {}).update(values)
    return {key: Counts(**values) for key, values in found.items()}


def by_store(conn: Connection, scope: Scope, days: Days) -> dict[int, Counts]:
    """Per store id, every store of the tenant with something in the span (``days``: its
    local days)."""
    return _merge(_sales(conn, scope, receipts.c.store_id),
                  _refunds(conn, scope, receipts.c.store_id),
                  _adjustments(conn, scope, entries.c.store_id),
                  _store_enrolments(conn, scope.tenant_id, days))


def by_staff(conn: Connection, scope: Scope) -> dict[int, Counts]:
    """Per staff id; enrolments by the staff member who enrolled (known since 0038)."""
    return _merge(_sales(conn, scope, receipts.c.staff_id),
                  _refunds(conn, scope, receipts.c.staff_id),
                  _adjustments(conn, scope, entries.c.staff_id),
                  _enrolments(conn, scope, members.c.staff_id))


def without_staff(conn: Connection, scope: Scope) -> dict[int, Counts]:
    """Per store id, what no staff member is recorded for: receipts (and their refunds) and
    manual adjustments with no staff id, and the members who joined at the store with none
    (who registered themselves, or joined before 0038 recorded who enrolled them). With
    :func:`by_staff` it sums to :func:`by_store` where staff work at their own store;
    active members aside, a distinct count per row."""
    return _merge(_sales(conn, scope, receipts.c.store_id, receipts.c.staff_id.is_(None)),
                  _refunds(conn, scope, receipts.c.store_id, receipts.c.staff_id.is_(None)),
                  _adjustments(conn, scope, entries.c.store_id, entries.c.staff_id.is_(None)),
                  _enrolments(conn, scope, members.c.store_id, members.c.staff_id.is_(None)))


def chain_members(conn: Connection, tenant_id: int, days: Days) -> tuple[int, int]:
    """(members who joined, members with a net receipt) on the local days ``days``, the
    whole business's: those who joined at no store too, and a member who bought at two
    stores once."""
    joined = joins.new(conn, tenant_id, days[0], days[1])
    return joined, gaps.active(conn, tenant_id, days[0], days[1])


def store_names(conn: Connection, tenant_id: int) -> dict[int, str]:
    return {int(r[0]): str(r[1]) for r in conn.execute(
        select(stores.c.id, stores.c.name).where(stores.c.tenant_id == tenant_id))}


def staff_members(conn: Connection, tenant_id: int) -> dict[int, tuple[str, int | None]]:
    """{staff id: (name, their store's id)}."""
    return {int(r[0]): (str(r[1]), None if r[2] is None else int(r[2])) for r in conn.execute(
        select(staff.c.id, staff.c.name, staff.c.store_id).where(staff.c.tenant_id == tenant_id))}
