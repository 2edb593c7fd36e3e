"""A business that moves to another time zone: its receipts fall on other local days, and
what is kept per local day (each member's qualifying spend, which levels are reached on, and
the daily aggregates the figures read) is rebuilt in the same transaction (SQLite, and
PostgreSQL for tests marked ``postgres``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from regulars.db.analytics.tables import sales_days
from regulars.db.program.spend_totals import LIFETIME_DAY
from regulars.db.program.tables import spend_days
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.runtime import Runtime
from regulars.services.tenancy import business
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line


def test_a_new_time_zone_moves_receipts_to_their_new_local_days(rt: Runtime,
                                                                clock: FakeClock) -> None:
    """From Moscow to Los Angeles: a receipt of 23:00 UTC on 1 March was on 2 March in Moscow
    (02:00), beside the morning's, and is on 1 March in Los Angeles (15:00)."""
    pos = Pos(rt, make_shop(rt))
    member = pos.register(1)["id"]
    pos.commit(member, (line("tea", 4000),), receipt="late",
               occurred_at=clock.now - timedelta(hours=11))
    pos.commit(member, (line("cake", 6000),), receipt="morning")

    def days_held() -> dict[Any, int]:
        with rt.db.read() as conn:
            return {r.day: int(r.net_minor) for r in conn.execute(
                select(spend_days.c.day, spend_days.c.net_minor)
                .where(spend_days.c.tenant_id == pos.tenant_id,
                       spend_days.c.day != LIFETIME_DAY))}

    def figures_held() -> dict[Any, int]:
        with rt.db.read() as conn:
            return {r.day: int(r.revenue) for r in conn.execute(
                select(sales_days.c.day, func.sum(sales_days.c.member_revenue_minor
                                                  + sales_days.c.anonymous_revenue_minor)
                       .label("revenue"))
                .where(sales_days.c.tenant_id == pos.tenant_id).group_by(sales_days.c.day))}

    assert days_held() == figures_held() == {clock.now.date(): 10000}
    business.update(rt, pos.tenant_id, business.Changes(timezone="America/Los_Angeles"),
                    actor=audit.SYSTEM)
    moved = {clock.now.date() - timedelta(days=1): 4000, clock.now.date(): 6000}
    assert days_held() == figures_held() == moved
    assert ledger_admin.check(rt, pos.tenant_id) == []
    pos.commit(member, (line("tea", 1000),), receipt="after")  # on the new local day
    assert figures_held() == {**moved, clock.now.date(): 7000}
    assert ledger_admin.check(rt, pos.tenant_id) == []
