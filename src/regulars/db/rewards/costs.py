"""What catalogue rewards cost the business, read from the claims' own rows for the budget's
burn: nothing is counted at commit, so no commit waits on a shared row for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from regulars.db.checkout.tables import receipts
from regulars.db.rewards.tables import reward_claims


def redeemed_cost(conn: Connection, tenant_id: int, *, start: datetime,
                  end: datetime) -> tuple[int, int]:
    """How many catalogue rewards were redeemed on receipts that occurred in ``[start,
    end)`` and still stand (a refund of the rewarded line, or of the receipt, closed the
    claim), and their cost in minor units: each claim's ``cost_minor`` (the reward's stated
    cost, else the discount it gave), as recorded when it was redeemed."""
    c, r = reward_claims.c, receipts.c
    count, cost = conn.execute(
        select(func.count(), func.coalesce(func.sum(c.cost_minor), 0))
        .select_from(reward_claims.join(receipts, (r.tenant_id == c.tenant_id)
                                        & (r.id == c.receipt_id)))
        .where(c.tenant_id == tenant_id, c.status == "used", r.occurred_at >= start,
               r.occurred_at < end)).one()
    return int(count), int(cost)
