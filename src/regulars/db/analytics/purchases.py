"""Members' purchases for the lifetime-value models and the RFM groups: the net receipts
with a member (as the figures count them: voided and fully refunded receipts left out),
grouped per member and local day, then per member. Scoped by ``tenant_id``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from regulars.db.base import UtcDateTime
from regulars.db.checkout.purchases import purchased
from regulars.db.checkout.tables import receipts, refunds
from regulars.db.ledger.tables import entries
from regulars.domain.analytics.local_days import EPOCH_ORDINAL, SECONDS_A_DAY, OffsetSpan

MemberPurchases = tuple[int, int, int, int, int, int]
"""(member id, purchase days, first day, last day, spend, the first day's spend): days as
:meth:`date.toordinal`, amounts in minor units."""


class _EpochSeconds(FunctionElement[int]):
    """Whole seconds since the epoch of a UTC time column, rounded down."""

    type = BigInteger()
    inherit_cache = True


@compiles(_EpochSeconds, "postgresql")
def _epoch_postgresql(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(_EpochSeconds, "sqlite")
def _epoch_sqlite(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


def _local_day(spans: Sequence[OffsetSpan]) -> ColumnElement[int]:
    """The local day (an ordinal) of a receipt, at the offset its instant falls in."""
    at = receipts.c.occurred_at
    offset: ColumnElement[int] = literal(spans[-1].offset_seconds, BigInteger)
    if len(spans) > 1:
        offset = case(*((at < literal(s.until, UtcDateTime()), s.offset_seconds)
                        for s in spans[:-1]), else_=offset)
    shifted = _EpochSeconds(at) + offset + literal(EPOCH_ORDINAL * SECONDS_A_DAY, BigInteger)
    return shifted // literal(SECONDS_A_DAY, BigInteger)


def first_receipt_at(conn: Connection, tenant_id: int) -> datetime | None:
    """When the tenant's first receipt was made (None without one)."""
    found: datetime | None = conn.execute(
        select(func.min(receipts.c.occurred_at)).where(receipts.c.tenant_id == tenant_id)
    ).scalar()
    return found


def member_purchases(conn: Connection, tenant_id: int, *, until: datetime,
                     spans: Sequence[OffsetSpan], page_members: int = 10_000
                     ) -> Iterator[MemberPurchases]:
    """Every member's net purchases made before ``until``, in member order: a voided or
    fully refunded receipt is no purchase, a partly refunded one counts with what it kept
    (never below zero), and a member's receipts on one local day (at the offsets ``spans``,
    which cover the receipts' instants) are one purchase. The database groups them; one
    statement reads the members of one page, at most ``page_members`` (a range of member ids
    bounded first by a read of the receipts' member index), so that the reader holds no more
    than a page whatever the connection (a server-side cursor needs a transaction) and each
    receipt is grouped once, not again on every page after its own."""
    c = receipts.c
    net = c.paid_minor - c.refunded_paid_minor
    paid = (select(c.member_id.label("member_id"), _local_day(spans).label("day"),
                   case((net < 0, 0), else_=net).label("amount"))
            .where(c.tenant_id == tenant_id, purchased(), c.member_id.is_not(None),
                   c.occurred_at < until, c.member_id > bindparam("after"),
                   c.member_id <= bindparam("upto"))
            .subquery("paid"))
    days = (select(paid.c.member_id, paid.c.day, func.sum(paid.c.amount).label("amount"),
                   func.min(paid.c.day).over(partition_by=paid.c.member_id).label("first"))
            .group_by(paid.c.member_id, paid.c.day).subquery("days"))
    first_spend = func.sum(case((days.c.day == days.c.first, days.c.amount), else_=0))
    query = (select(days.c.member_id, func.count(), func.min(days.c.day), func.max(days.c.day),
                    func.sum(days.c.amount), first_spend)
             .group_by(days.c.member_id).order_by(days.c.member_id))
    bound = (select(c.member_id).distinct()
             .where(c.tenant_id == tenant_id, c.member_id > bindparam("after"))
             .order_by(c.member_id).offset(page_members - 1).limit(1))
    after = 0
    while True:
        upto = conn.execute(bound, {"after": after}).scalar()
        page = conn.execute(query, {"after": after,
                                    "upto": _NO_MEMBER_ABOVE if upto is None else upto}).all()
        for row in page:
            yield (int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]),
                   int(row[5]))
        if upto is None:
            return
        after = int(upto)


_NO_MEMBER_ABOVE = 2**63 - 1
"""The bound of the last page: no member id is above it (ids are 64-bit)."""


def purchases_stamp(conn: Connection, tenant_id: int) -> tuple[int, int, int]:
    """(last receipt id, last refund id, last ledger entry id) of the tenant: any new
    receipt, refund, void or merge changes one, so figures over past purchases computed at
    one stamp hold until it changes."""
    row = conn.execute(select(
        select(func.max(receipts.c.id)).where(receipts.c.tenant_id == tenant_id)
        .scalar_subquery(),
        select(func.max(refunds.c.id)).where(refunds.c.tenant_id == tenant_id)
        .scalar_subquery(),
        select(func.max(entries.c.id)).where(entries.c.tenant_id == tenant_id)
        .scalar_subquery())).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)
