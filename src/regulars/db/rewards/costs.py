"""What catalogue rewards cost the business, read from the claims' own rows: for the budget's
burn (nothing is counted at commit, so no commit waits on a shared row for it), and per
receipt for the figures read over receipts and the check of the daily aggregates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, case, cast, func, select

from regulars.db.checkout.tables import receipts
from regulars.db.rewards.tables import reward_claims
from regulars.domain.analytics.days import Rewards


@dataclass(frozen=True, kw_only=True, slots=True)
class Redeemed:
    """The standing claims redeemed on receipts of one program version."""

    program_version: int
    claims: int
    cost_minor: int
    points: int


def redeemed(conn: Connection, tenant_id: int, *, start: datetime,
             end: datetime) -> list[Redeemed]:
    """The catalogue rewards redeemed on receipts that occurred in ``[start, end)`` and still
    stand (a refund of the rewarded line, or of the receipt, closed the claim), per program
    version of those receipts (which fixes the point value the points are worth): how many,
    their cost in minor units (each claim's ``cost_minor``, the reward's stated cost, else
    the discount it gave, as recorded when it was redeemed) and the points spent for them."""
    c, r = reward_claims.c, receipts.c
    rows = conn.execute(
        select(r.program_version, func.count(), func.sum(c.cost_minor), func.sum(c.points))
        .select_from(reward_claims.join(receipts, (r.tenant_id == c.tenant_id)
                                        & (r.id == c.receipt_id)))
        .where(c.tenant_id == tenant_id, c.status == "used", r.occurred_at >= start,
               r.occurred_at < end)
        .group_by(r.program_version).order_by(r.program_version))
    return [Redeemed(program_version=int(row[0]), claims=int(row[1]),
                     cost_minor=int(row[2] or 0), points=int(row[3] or 0)) for row in rows]


COUNTED = ("used", "refunded")
"""The claims whose discount a receipt's points discount holds (standing or closed by a
refund)."""


def by_receipt(tenant_id: int) -> Any:
    """A subquery: per receipt with catalogue rewards (``receipt_id``), what they took off
    (``discount_minor``, claims standing or closed by a refund; ``spread_minor`` of it by
    claims that name no line, spread over several) and the stated cost of those whose claim
    stands (``cost_minor``; a claim a refund closed costs nothing)."""
    c = reward_claims.c
    return (select(c.receipt_id.label("receipt_id"),
                   func.sum(c.discount_minor).label("discount_minor"),
                   cast(func.sum(case((c.line_no.is_(None), c.discount_minor), else_=0)),
                        BigInteger).label("spread_minor"),
                   func.sum(case((c.status == "used", c.cost_minor), else_=0)).label("cost_minor"))
            .where(c.tenant_id == tenant_id, c.receipt_id.is_not(None),
                   c.status.in_(COUNTED))
            .group_by(c.receipt_id).subquery("claimed"))


def on_line(line: Any) -> Any:
    """A scalar subquery: what the claims naming ``line`` (a ``receipt_lines`` alias of the
    enclosing query) took off it, standing or closed by a refund."""
    c = reward_claims.c
    # A whole number (PostgreSQL sums to numeric), as the integer divisions it joins need.
    return (select(cast(func.coalesce(func.sum(c.discount_minor), 0), BigInteger))
            .where(c.tenant_id == line.c.tenant_id, c.receipt_id == line.c.receipt_id,
                   c.line_no == line.c.line_no, c.status.in_(COUNTED))
            .scalar_subquery())


def rewards_by_receipt(conn: Connection, tenant_id: int) -> dict[int, Rewards]:
    """Every receipt with catalogue rewards, by id: :func:`by_receipt` as the daily
    aggregates count it, with the discount of each claim that names its line."""
    c = reward_claims.c
    named: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for r in conn.execute(select(c.receipt_id, c.line_no, func.sum(c.discount_minor))
                          .where(c.tenant_id == tenant_id, c.receipt_id.is_not(None),
                                 c.line_no.is_not(None), c.status.in_(COUNTED))
                          .group_by(c.receipt_id, c.line_no)
                          .order_by(c.receipt_id, c.line_no)):
        named[int(r[0])].append((int(r[1]), int(r[2])))
    claimed = by_receipt(tenant_id)
    return {int(r[0]): Rewards(discount_minor=int(r[1]), cost_minor=int(r[2]),
                               by_line=tuple(named.get(int(r[0]), ())))
            for r in conn.execute(select(claimed.c.receipt_id, claimed.c.discount_minor,
                                         claimed.c.cost_minor))}
